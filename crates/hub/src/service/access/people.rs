//! People: add, list, and one person with their credentials and doors.

use super::*;

impl Service {
    /// Adds a person (owners, managers).
    pub async fn create_person(
        &self,
        p: &Principal,
        name: &str,
        owner: bool,
    ) -> Result<Person, ServiceError> {
        self.require(p, ADMINS)?;
        let name = check_name("name", name)?;
        let person = self
            .store
            .create_person(p.org_id, &name, owner, self.now_ms())
            .await?;
        Ok(person)
    }

    /// The organisation's people.
    pub async fn list_people(&self, p: &Principal) -> Result<Vec<Person>, ServiceError> {
        self.require(p, HISTORY)?;
        Ok(self.store.list_people(p.org_id).await?)
    }

    /// A person with their credentials and doors, states refreshed.
    pub async fn person_detail(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<PersonDetail, ServiceError> {
        self.require(p, HISTORY)?;
        let person = self.own_person(p, id).await?;
        let store = &self.store;
        let credentials = store.person_credentials(id).await?;
        let mut doors = Vec::new();
        for d in store.doors_of_person(id).await? {
            let d = self.plane.reconcile_door(d).await?;
            let lock = store.get_lock(p.org_id, d.lock_id).await?;
            let creds = store.door_credentials(d.id).await?;
            doors.push(PersonDoor {
                door_access_id: d.id,
                lock_id: d.lock_id,
                lock_name: lock.map(|l| l.name).unwrap_or_default(),
                slot: d.slot,
                schedule_text: serde_json::from_value::<AccessSchedule>(d.schedule.clone())
                    .map(|s| s.describe())
                    .unwrap_or_default(),
                schedule: d.schedule,
                state: d.state,
                error: d.error,
                credentials: creds
                    .iter()
                    .filter_map(|c| {
                        // Every door credential belongs to one of the person's
                        // credentials (revoked ones included).
                        let cred = credentials.iter().find(|x| x.id == c.credential_id)?;
                        Some(CredentialOnDoor {
                            credential_id: c.credential_id,
                            kind: cred.kind,
                            label: cred.label.clone(),
                            state: c.state,
                            error: c.error.clone(),
                        })
                    })
                    .collect(),
            });
        }
        Ok(PersonDetail {
            person,
            credentials,
            doors,
        })
    }
}
