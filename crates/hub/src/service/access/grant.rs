//! Grants and PIN changes: credentials checked, PINs sealed, one plan per change.

use super::*;

impl Service {
    /// Checks a credential input and turns it into a new credential and
    /// its wire form per lock (PINs sealed per lock later).
    pub(super) fn check_credential(
        &self,
        p: &Principal,
        person_id: i64,
        c: &CredentialInput,
        issued: &mut Vec<SecretPin>,
    ) -> Result<(NewCredential, Option<SecretPin>, Option<Credential>), ServiceError> {
        let kind = kind_of(&c.kind)?;
        let label = match &c.label {
            Some(l) => Some(check_name("label", l)?),
            None => None,
        };
        let mut data = None;
        let mut pin = None;
        let mut plain = None;
        match kind {
            CredentialKind::Pin => {
                let policy = PinPolicy::DEFAULT;
                let chosen = match (&c.pin, c.generate) {
                    (Some(_), true) => {
                        return Err(crate::service::refused(
                            "pin",
                            "give a PIN or ask to generate one, not both",
                        ))
                    }
                    (None, false) => {
                        return Err(crate::service::refused("pin", "give a PIN or set generate"))
                    }
                    (Some(x), false) => x.clone(),
                    (None, true) => {
                        let mut rng = rng()?;
                        let g = policy.generate(6, &mut rng);
                        issued.push(g.clone());
                        g
                    }
                };
                policy
                    .check(chosen.expose())
                    .map_err(|e| invalid("pin", e.to_string()))?;
                pin = Some(chosen);
            }
            CredentialKind::Card => {
                let uid = c
                    .uid
                    .as_deref()
                    .ok_or_else(|| invalid("uid", "a card needs its UID (hex)"))?;
                let bytes = unhex(uid.trim()).map_err(|_| invalid("uid", "hex digits"))?;
                if bytes.is_empty() || bytes.len() > 10 {
                    return Err(invalid("uid", "1 to 10 bytes"));
                }
                let v =
                    heapless::Vec::from_slice(&bytes).map_err(|_| invalid("uid", "too long"))?;
                plain = Some(Credential::Card(CardUid(v)));
                data = Some(hex(&bytes));
            }
            CredentialKind::Fingerprint => {
                let t = c
                    .template
                    .ok_or_else(|| invalid("template", "the sensor's template slot"))?;
                plain = Some(Credential::Fingerprint { template: t });
                data = Some(t.to_string());
            }
            CredentialKind::AppKey => {
                let k = c
                    .key
                    .as_deref()
                    .ok_or_else(|| invalid("key", "the phone's public key (64 hex digits)"))?;
                let bytes = unhex(k.trim()).map_err(|_| invalid("key", "64 hex digits"))?;
                let arr = <[u8; 32]>::try_from(bytes.as_slice())
                    .map_err(|_| invalid("key", "64 hex digits"))?;
                plain = Some(Credential::AppKey(arr));
                data = Some(hex(&arr));
            }
            _ => return Err(invalid("credentials", "unsupported kind")),
        }
        let pin_tag = pin
            .as_ref()
            .and_then(|x| self.store.pin_tag(p.org_id, x.expose().as_bytes()));
        Ok((
            NewCredential {
                person_id,
                kind,
                label,
                data,
                pin_tag,
                existing_id: None,
            },
            pin,
            plain,
        ))
    }

    pub(super) fn pin_payload(
        &self,
        lock_id: i64,
        pin: &SecretPin,
    ) -> Result<Payload, ServiceError> {
        Ok(
            match self.store.seal_pin(lock_id, pin.expose().as_bytes())? {
                Some(sealed) => Payload::Pin {
                    key: "pin_sealed",
                    value: sealed,
                },
                None => Payload::Pin {
                    key: "pin_ref",
                    value: self.plane.pins.put(pin.clone())?,
                },
            },
        )
    }

    /// The operations that put a person on a door: the user and schedules,
    /// each credential, then the digest read that confirms it.
    pub(super) fn grant_ops(
        slot: i64,
        name: &str,
        compiled: &CompiledSchedule,
        creds: &[(usize, i64)],
        payloads: &[(CredentialKind, Payload)],
        fresh: bool,
    ) -> Result<Vec<PlannedOp>, String> {
        let user = u16::try_from(slot).map_err(|_| "slot out of range".to_owned())?;
        let mut ops = Vec::new();
        for k in access::plan_user(user, name, compiled, fresh) {
            ops.push(op(&k)?);
        }
        for (r, idx) in creds {
            let (kind, payload) = payloads.get(*r).ok_or("credential ref out of range")?;
            let cslot = CredentialSlot {
                kind: *kind,
                index: u16::try_from(*idx).map_err(|_| "credential slot out of range")?,
            };
            let mut o = credential_op(cslot, user, payload)?;
            o.credential_ref = Some(*r);
            ops.push(o);
        }
        ops.push(op(&access::plan_digest_read(user))?);
        Ok(ops)
    }

    pub(super) async fn finish(
        &self,
        p: &Principal,
        draft: Draft<'_>,
        issued: Vec<(usize, SecretPin)>,
    ) -> Result<AccessOutcome, ServiceError> {
        let kind = draft.kind;
        let holders: Vec<i64> = draft.new_credentials.iter().map(|c| c.person_id).collect();
        let applied = self.apply_planned(&draft).await?;
        self.plane.wake();
        tracing::info!(
            org = p.org_id,
            batch = applied.batch_id,
            doors = applied.doors.len(),
            kind = kind.as_str(),
            "access change queued"
        );
        let batch = self.batch_status(p, applied.batch_id, true).await?;
        let pins = issued
            .into_iter()
            .map(|(k, pin)| IssuedPin {
                credential_id: applied.credential_ids.get(k).copied().unwrap_or_default(),
                person_id: holders.get(k).copied().unwrap_or_default(),
                pin: pin.expose().to_owned(),
            })
            .collect();
        Ok(AccessOutcome { batch, pins })
    }

    /// Gives a person access to doors with new credentials (owners, managers).
    pub async fn grant(
        &self,
        p: &Principal,
        person_id: i64,
        req: GrantRequest,
    ) -> Result<AccessOutcome, ServiceError> {
        self.require(p, ADMINS)?;
        let person = self.own_person(p, person_id).await?;
        let locks = self.claimed_locks(p, &req.lock_ids).await?;
        if req.credentials.is_empty() {
            return Err(invalid("credentials", "at least one credential"));
        }
        // Each lock says how many credentials a user may hold there.
        let per_door = locks
            .iter()
            .map(|l| l.capacity().creds_per_user)
            .min()
            .unwrap_or(Capacity::TUMBLER_DEFAULT.creds_per_user);
        if i64::try_from(req.credentials.len()).unwrap_or(i64::MAX) > per_door {
            return Err(invalid(
                "credentials",
                format!("at most {per_door} per person and door"),
            ));
        }
        let now_s = self.now_ms() / 1000;
        let mut new_credentials = Vec::new();
        let mut secret = Vec::new();
        let mut issued_raw = Vec::new();
        let mut issued = Vec::new();
        for (i, c) in req.credentials.iter().enumerate() {
            let before = issued_raw.len();
            let (nc, pin, plain) = self.check_credential(p, person_id, c, &mut issued_raw)?;
            if issued_raw.len() > before {
                if let Some(g) = issued_raw.last() {
                    issued.push((i, g.clone()));
                }
            }
            if let Some(tag) = &nc.pin_tag {
                let ids: Vec<i64> = locks.iter().map(|l| l.id).collect();
                if let Some(l) = self
                    .store
                    .pin_tag_on_locks(p.org_id, tag, None, &ids)
                    .await?
                {
                    return Err(invalid(
                        "pin",
                        format!("another person already uses this PIN on lock {l}; choose another"),
                    ));
                }
            }
            new_credentials.push(nc);
            secret.push((kind_of(&c.kind)?, pin, plain));
        }
        let mut doors = Vec::with_capacity(locks.len());
        for lock in &locks {
            let zone = self.plane.zone_of(lock).await?;
            let compiled = req
                .schedule
                .compile(&zone, now_s)
                .map_err(|e| crate::service::refused("schedule", e.to_string()))?;
            let mut payloads = Vec::with_capacity(secret.len());
            for (kind, pin, plain) in &secret {
                let payload = match (pin, plain) {
                    (Some(pin), _) => self.pin_payload(lock.id, pin)?,
                    (None, Some(c)) => Payload::Plain(c.clone()),
                    (None, None) => return Err(invalid("credentials", "empty credential")),
                };
                payloads.push((*kind, payload));
            }
            let name = person.name.clone();
            doors.push(DraftDoor::Grant {
                person_id,
                lock_id: lock.id,
                schedule: serde_json::to_value(&req.schedule)
                    .map_err(|e| crate::service::refused("schedule", e.to_string()))?,
                credentials: (0..secret.len()).collect(),
                capacity: lock.capacity(),
                ops: Box::new(move |slot, placed, fresh| {
                    Self::grant_ops(slot, &name, &compiled, placed, &payloads, fresh)
                }),
            });
        }
        let plan = Draft {
            org_id: p.org_id,
            created_by: Some(p.account_id),
            kind: ChangeKind::Grant,
            new_credentials,
            doors,
            revoke_credentials: Vec::new(),
        };
        self.finish(p, plan, issued).await
    }

    /// Changes a PIN (forgotten PIN) on every door it is on; `pin` `None`
    /// generates one, returned once (owners, managers).
    pub async fn change_pin(
        &self,
        p: &Principal,
        credential_id: i64,
        pin: Option<SecretPin>,
    ) -> Result<AccessOutcome, ServiceError> {
        self.require(p, ADMINS)?;
        let store = &self.store;
        let cred = store
            .get_credential(p.org_id, credential_id)
            .await?
            .filter(|c| c.revoked_at.is_none())
            .ok_or(ServiceError::NotFound)?;
        let person_id = cred.person_id;
        if cred.kind != CredentialKind::Pin {
            return Err(invalid("credential", "not a PIN"));
        }
        let policy = PinPolicy::DEFAULT;
        let generated = pin.is_none();
        let pin = match pin {
            Some(x) => x,
            None => policy.generate(6, &mut rng()?),
        };
        policy
            .check(pin.expose())
            .map_err(|e| invalid("pin", e.to_string()))?;
        let live: Vec<DoorCredential> = store
            .credential_doors(credential_id)
            .await?
            .into_iter()
            .filter(|d| d.state != DoorState::Removed && d.state != DoorState::Removing)
            .collect();
        if live.is_empty() {
            return Err(ServiceError::WrongState("this PIN is on no door".into()));
        }
        let tag = store.pin_tag(p.org_id, pin.expose().as_bytes());
        if let Some(tag) = &tag {
            let ids: Vec<i64> = live.iter().map(|d| d.lock_id).collect();
            if let Some(l) = store
                .pin_tag_on_locks(p.org_id, tag, Some(credential_id), &ids)
                .await?
            {
                return Err(invalid(
                    "pin",
                    format!("another person already uses this PIN on lock {l}; choose another"),
                ));
            }
        }
        let mut doors = Vec::new();
        for dc in &live {
            let door = store
                .get_door(dc.door_access_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let user = u16::try_from(door.slot).map_err(|_| invalid("slot", "out of range"))?;
            let cslot = CredentialSlot {
                kind: CredentialKind::Pin,
                index: u16::try_from(dc.cred_index).map_err(|_| invalid("slot", "out of range"))?,
            };
            let payload = self.pin_payload(dc.lock_id, &pin)?;
            // The credential already exists: its id, no ref to resolve.
            let mut set = credential_op(cslot, user, &payload).map_err(|e| invalid("pin", e))?;
            if let Some(m) = set.params.as_object_mut() {
                m.insert("credential_id".into(), credential_id.into());
            }
            let ops = vec![
                set,
                op(&access::plan_digest_read(user)).map_err(|e| invalid("pin", e))?,
            ];
            doors.push(DraftDoor::Planned(DoorChange::Update {
                door_access_id: door.id,
                door_credentials: vec![dc.id],
                ops,
            }));
        }
        store.set_pin_tag(credential_id, tag.as_deref()).await?;
        let plan = Draft {
            org_id: p.org_id,
            created_by: Some(p.account_id),
            kind: ChangeKind::ChangePin,
            new_credentials: Vec::new(),
            doors,
            revoke_credentials: Vec::new(),
        };
        let mut out = self.finish(p, plan, Vec::new()).await?;
        if generated {
            out.pins.push(IssuedPin {
                credential_id,
                person_id,
                pin: pin.expose().to_owned(),
            });
        }
        Ok(out)
    }
}
