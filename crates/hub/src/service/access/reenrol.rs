//! After a reset: re-enrolling chosen people; lock-wide holidays.

use super::*;

impl Service {
    /// Re-enrols chosen people on a lock that was reset and re-claimed,
    /// with the schedules they had; cards, app keys and fingerprints come
    /// back as they were, PINs are new (given or generated). Nobody comes
    /// back unless listed (owners, managers).
    pub async fn reenrol(
        &self,
        p: &Principal,
        lock_id: i64,
        people: Vec<ReenrolPerson>,
    ) -> Result<AccessOutcome, ServiceError> {
        self.require(p, ADMINS)?;
        let lock = self.claimed_lock(p, lock_id).await?;
        if people.is_empty() {
            return Err(invalid("people", "pick at least one person"));
        }
        let store = &self.store;
        let zone = self.plane.zone_of(&lock).await?;
        let now_s = self.now_ms() / 1000;
        let rows = store.doors_of_lock(lock_id).await?;
        let mut new_credentials = Vec::new();
        let mut doors = Vec::new();
        let mut issued = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for r in &people {
            if !seen.insert(r.person_id) {
                return Err(invalid(
                    "people",
                    format!("person {} listed twice", r.person_id),
                ));
            }
            let person = self.own_person(p, r.person_id).await?;
            let last = rows
                .iter()
                .filter(|d| d.person_id == r.person_id)
                .max_by_key(|d| d.id)
                .ok_or_else(|| {
                    crate::service::refused(
                        "people",
                        format!("{} never had access to this door", person.name),
                    )
                })?;
            if last.state != DoorState::Removed {
                return Err(ServiceError::WrongState(format!(
                    "{} is {} on this door already",
                    person.name,
                    last.state.as_str()
                )));
            }
            let schedule: AccessSchedule = serde_json::from_value(last.schedule.clone())
                .map_err(|e| invalid("schedule", e.to_string()))?;
            let compiled = schedule
                .compile(&zone, now_s)
                .map_err(|e| invalid("schedule", format!("{}: {e}", person.name)))?;
            let all = store.person_credentials(r.person_id).await?;
            let mut payloads = Vec::new();
            let mut refs = Vec::new();
            for dc in store.door_credentials(last.id).await? {
                let Some(c) = all.iter().find(|x| x.id == dc.credential_id) else {
                    continue;
                };
                if c.revoked_at.is_some() || c.kind == CredentialKind::Pin {
                    continue;
                }
                let plain = match c.kind {
                    CredentialKind::Card => {
                        let b = unhex(c.data.as_deref().unwrap_or_default())?;
                        Credential::Card(CardUid(
                            heapless::Vec::from_slice(&b)
                                .map_err(|_| invalid("uid", "too long"))?,
                        ))
                    }
                    CredentialKind::AppKey => {
                        let b = unhex(c.data.as_deref().unwrap_or_default())?;
                        Credential::AppKey(
                            <[u8; 32]>::try_from(b.as_slice())
                                .map_err(|_| invalid("key", "stored key is not 32 bytes"))?,
                        )
                    }
                    CredentialKind::Fingerprint => Credential::Fingerprint {
                        template: c.data.as_deref().unwrap_or("0").parse().unwrap_or(0),
                    },
                    _ => continue,
                };
                refs.push(new_credentials.len());
                new_credentials.push(NewCredential {
                    person_id: r.person_id,
                    kind: c.kind,
                    label: c.label.clone(),
                    data: c.data.clone(),
                    pin_tag: None,
                    existing_id: Some(c.id),
                });
                payloads.push((c.kind, Payload::Plain(plain)));
            }
            if r.pin.is_some() || r.generate_pin {
                let input = CredentialInput {
                    kind: "pin".into(),
                    pin: r.pin.clone(),
                    generate: r.generate_pin,
                    ..Default::default()
                };
                let mut gen = Vec::new();
                let (nc, pin, _) = self.check_credential(p, r.person_id, &input, &mut gen)?;
                let pin = pin.ok_or_else(|| invalid("pin", "missing"))?;
                if let Some(tag) = &nc.pin_tag {
                    if let Some(l) = store
                        .pin_tag_on_locks(p.org_id, tag, None, &[lock_id])
                        .await?
                    {
                        return Err(invalid(
                            "pin",
                            format!("another person already uses this PIN on lock {l}"),
                        ));
                    }
                }
                if let Some(g) = gen.pop() {
                    issued.push((new_credentials.len(), g));
                }
                refs.push(new_credentials.len());
                new_credentials.push(nc);
                payloads.push((CredentialKind::Pin, self.pin_payload(lock_id, &pin)?));
            }
            if refs.is_empty() {
                return Err(invalid(
                    "people",
                    format!(
                        "{} had only a PIN here: give a new PIN or set generate_pin",
                        person.name
                    ),
                ));
            }
            let name = person.name.clone();
            let placed_refs = refs.clone();
            doors.push(DraftDoor::Grant {
                person_id: r.person_id,
                lock_id,
                schedule: last.schedule.clone(),
                credentials: refs,
                capacity: lock.capacity(),
                ops: Box::new(move |slot, placed, fresh| {
                    // `placed` refers to plan-wide refs; map to this door's payloads.
                    let local: Vec<(usize, i64)> = placed
                        .iter()
                        .filter_map(|(r, idx)| {
                            placed_refs.iter().position(|x| x == r).map(|i| (i, *idx))
                        })
                        .collect();
                    let mut ops =
                        Self::grant_ops(slot, &name, &compiled, &local, &payloads, fresh)?;
                    // Credential refs must be plan-wide for the store.
                    for o in &mut ops {
                        if let Some(i) = o.credential_ref {
                            o.credential_ref = placed_refs.get(i).copied();
                        }
                    }
                    Ok(ops)
                }),
            });
        }
        let plan = Draft {
            org_id: p.org_id,
            created_by: Some(p.account_id),
            kind: ChangeKind::Reenrol,
            new_credentials,
            doors,
            revoke_credentials: Vec::new(),
        };
        self.finish(p, plan, issued).await
    }

    /// Sets (or with `clear`, removes) a lock-wide holiday in holiday slot
    /// `slot` (0..=3): between two local times of the site, the lock runs in
    /// `mode` (`vacation`: the keypad and cards are off for everyone but
    /// admins; `privacy`: nobody from outside; `passage`: the door stays
    /// open). Enforced by the lock (owners, managers).
    pub async fn set_holiday(
        &self,
        p: &Principal,
        lock_id: i64,
        req: HolidayRequest,
    ) -> Result<crate::model::Operation, ServiceError> {
        self.require(p, ADMINS)?;
        let lock = self.claimed_lock(p, lock_id).await?;
        if req.slot > 3 {
            return Err(invalid("slot", "0 to 3"));
        }
        let kind = if req.clear {
            OpKind::ClearHolidaySchedule { slot: req.slot }
        } else {
            let mode = match req.mode.as_deref().unwrap_or("vacation") {
                "vacation" => tumbler_control::proto::OperatingMode::Vacation,
                "privacy" => tumbler_control::proto::OperatingMode::Privacy,
                "passage" => tumbler_control::proto::OperatingMode::Passage,
                "normal" => tumbler_control::proto::OperatingMode::Normal,
                _ => return Err(invalid("mode", "vacation, privacy, passage or normal")),
            };
            let zone = self.plane.zone_of(&lock).await?;
            let (from, to) = match (&req.from, &req.to) {
                (Some(f), Some(t)) => (f.clone(), t.clone()),
                _ => {
                    return Err(crate::service::refused(
                        "from",
                        "from and to (site local time) are required",
                    ))
                }
            };
            let window = AccessSchedule::DateRange { from, to }
                .compile(&zone, self.now_ms() / 1000)
                .map_err(|e| crate::service::refused("from", e.to_string()))?;
            let y = window
                .year_days
                .first()
                .copied()
                .ok_or_else(|| crate::service::refused("from", "empty window"))?;
            OpKind::SetHolidaySchedule {
                slot: req.slot,
                schedule: tumbler_control::proto::HolidaySchedule {
                    from: y.from,
                    to: y.to,
                    mode,
                },
            }
        };
        let planned = op(&kind).map_err(|e| invalid("request", e))?;
        self.enqueue(p, &lock, planned.kind, planned.params).await
    }
}
