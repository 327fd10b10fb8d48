//! Replacing one lost card or PIN while keeping its person, doors and
//! schedule: the new card or PIN is written into the same credential slot on
//! every door the credential is on, so the old one is gone from that slot
//! once the lock's slot digest confirms the change.

use super::*;

/// What replaces a lost credential.
#[derive(Debug, Clone)]
pub enum Replacement {
    /// A new card, its UID in hex.
    Card(String),
    /// A new PIN; `None` generates one (returned once).
    Pin(Option<SecretPin>),
}

impl Service {
    /// Replaces a lost card (new UID) or PIN (given or generated) on every
    /// door the credential is on; same person, same schedule, same slot
    /// (owners, managers). Bad input changes nothing.
    pub async fn replace_credential(
        &self,
        p: &Principal,
        credential_id: i64,
        with: Replacement,
    ) -> Result<AccessOutcome, ServiceError> {
        self.require(p, ADMINS)?;
        let cred = self
            .store
            .get_credential(p.org_id, credential_id)
            .await?
            .filter(|c| c.revoked_at.is_none())
            .ok_or(ServiceError::Missing {
                what: "credential",
                id: credential_id,
            })?;
        let uid = match (cred.kind, with) {
            (CredentialKind::Pin, Replacement::Pin(pin)) => {
                return self.change_pin(p, credential_id, pin).await
            }
            (CredentialKind::Card, Replacement::Card(uid)) => uid,
            (kind, Replacement::Card(_)) => {
                return Err(invalid(
                    "uid",
                    format!(
                        "credential {credential_id} is a {}, not a card",
                        kind.name()
                    ),
                ))
            }
            (kind, Replacement::Pin(_)) => {
                return Err(invalid(
                    "pin",
                    format!("credential {credential_id} is a {}, not a PIN", kind.name()),
                ))
            }
        };
        let input = CredentialInput {
            kind: "card".into(),
            uid: Some(uid),
            ..Default::default()
        };
        let (new, _, plain) = self.check_credential(p, cred.person_id, &input, &mut Vec::new())?;
        let plain = plain.ok_or_else(|| invalid("uid", "a card needs its UID (hex)"))?;
        let data = new.data.unwrap_or_default();
        if cred.data.as_deref() == Some(data.as_str()) {
            return Err(invalid("uid", "that is the card being replaced"));
        }
        let live: Vec<DoorCredential> = self
            .store
            .credential_doors(credential_id)
            .await?
            .into_iter()
            .filter(|d| d.state != DoorState::Removed && d.state != DoorState::Removing)
            .collect();
        if live.is_empty() {
            return Err(ServiceError::WrongState("this card is on no door".into()));
        }
        let payload = Payload::Plain(plain);
        let mut doors = Vec::new();
        for dc in &live {
            let door = self
                .store
                .get_door(dc.door_access_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let user = u16::try_from(door.slot).map_err(|_| invalid("slot", "out of range"))?;
            let cslot = CredentialSlot {
                kind: CredentialKind::Card,
                index: u16::try_from(dc.cred_index).map_err(|_| invalid("slot", "out of range"))?,
            };
            let mut set = credential_op(cslot, user, &payload).map_err(|e| invalid("uid", e))?;
            if let Some(m) = set.params.as_object_mut() {
                m.insert("credential_id".into(), credential_id.into());
            }
            let ops = vec![
                set,
                op(&access::plan_digest_read(user)).map_err(|e| invalid("uid", e))?,
            ];
            doors.push(DraftDoor::Planned(DoorChange::Update {
                door_access_id: door.id,
                door_credentials: vec![dc.id],
                ops,
            }));
        }
        self.store
            .set_credential_data(credential_id, Some(&data))
            .await?;
        let plan = Draft {
            org_id: p.org_id,
            created_by: Some(p.account_id),
            kind: ChangeKind::ReplaceCredential,
            new_credentials: Vec::new(),
            doors,
            revoke_credentials: Vec::new(),
        };
        self.finish(p, plan, Vec::new()).await
    }
}
