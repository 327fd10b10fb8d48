//! People, their credentials, and where each person and credential is.

use super::*;

impl Store {
    /// Adds a person.
    pub async fn create_person(
        &self,
        org_id: i64,
        name: &str,
        owner: bool,
        now: i64,
    ) -> Result<Person, StoreError> {
        let r = sqlx::query(
            "INSERT INTO people (org_id, name, owner, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, org_id, name, owner, created_at",
        )
        .bind(org_id)
        .bind(name)
        .bind(i64::from(owner))
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        person_row(&r)
    }

    /// A person of an organisation.
    pub async fn get_person(&self, org_id: i64, id: i64) -> Result<Option<Person>, StoreError> {
        sqlx::query(
            "SELECT id, org_id, name, owner, created_at FROM people \
             WHERE org_id = $1 AND id = $2 AND removed_at IS NULL",
        )
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(person_row)
        .transpose()
    }

    /// The people of an organisation, by id.
    pub async fn list_people(&self, org_id: i64) -> Result<Vec<Person>, StoreError> {
        sqlx::query(
            "SELECT id, org_id, name, owner, created_at FROM people \
             WHERE org_id = $1 AND removed_at IS NULL ORDER BY id",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(person_row)
        .collect()
    }

    /// A person's credentials (revoked ones too).
    pub async fn person_credentials(
        &self,
        person_id: i64,
    ) -> Result<Vec<CredentialRow>, StoreError> {
        sqlx::query(
            "SELECT id, person_id, kind, label, data, revoked_at, pin_tag FROM credentials \
             WHERE person_id = $1 ORDER BY id",
        )
        .bind(person_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(cred_row)
        .collect()
    }

    /// Whether another person's live PIN with `tag` is on any of `locks`
    /// (returns that lock).
    pub async fn pin_tag_on_locks(
        &self,
        org_id: i64,
        tag: &str,
        except_credential: Option<i64>,
        locks: &[i64],
    ) -> Result<Option<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT dc.lock_id AS lock_id FROM credentials c \
             JOIN door_credentials dc ON dc.credential_id = c.id \
             WHERE c.org_id = $1 AND c.pin_tag = $2 AND c.revoked_at IS NULL \
             AND dc.state NOT IN ('removed', 'failed') AND c.id <> $3",
        )
        .bind(org_id)
        .bind(tag)
        .bind(except_credential.unwrap_or(-1))
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let l: i64 = col(&r, "lock_id")?;
            if locks.contains(&l) {
                return Ok(Some(l));
            }
        }
        Ok(None)
    }

    /// Person-on-door rows where `column` = `id`, by id.
    pub(super) async fn doors_where(
        &self,
        column: &str,
        id: i64,
    ) -> Result<Vec<DoorAccess>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DOOR_COLS} FROM door_access WHERE {column} = $1 ORDER BY id"
        )))
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(door_row)
        .collect()
    }

    /// Person-on-door rows of a person (all states).
    pub async fn doors_of_person(&self, person_id: i64) -> Result<Vec<DoorAccess>, StoreError> {
        self.doors_where("person_id", person_id).await
    }

    /// Person-on-door rows of a lock (all states).
    pub async fn doors_of_lock(&self, lock_id: i64) -> Result<Vec<DoorAccess>, StoreError> {
        self.doors_where("lock_id", lock_id).await
    }

    /// Person-on-door rows whose current change belongs to a batch.
    pub async fn doors_of_batch(&self, batch_id: i64) -> Result<Vec<DoorAccess>, StoreError> {
        self.doors_where("batch_id", batch_id).await
    }

    /// Doors of a batch whose derived state is due to change: an operation
    /// of the current change failed, was sent while the door shows
    /// `pending`, or the confirming digest read answered.
    pub async fn batch_doors_to_reconcile(&self, batch_id: i64) -> Result<Vec<i64>, StoreError> {
        sqlx::query(
            "SELECT DISTINCT d.id AS id FROM door_access d JOIN operations o \
             ON o.access_door = d.id AND o.access_gen = d.gen \
             WHERE d.batch_id = $1 AND d.state IN ('pending', 'setting', 'removing') \
             AND (o.state IN ('failed', 'refused') \
                  OR (o.kind = 'get_slot_digests' AND o.state = 'applied') \
                  OR (o.state <> 'pending' AND d.state = 'pending'))",
        )
        .bind(batch_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| col(r, "id"))
        .collect()
    }

    /// Doors of a batch per state.
    pub async fn batch_counts(&self, batch_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
        sqlx::query(
            "SELECT state, COUNT(*) AS n FROM door_access WHERE batch_id = $1 GROUP BY state",
        )
        .bind(batch_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((col(r, "state")?, col(r, "n")?)))
        .collect()
    }

    /// One person-on-door row.
    pub async fn get_door(&self, id: i64) -> Result<Option<DoorAccess>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DOOR_COLS} FROM door_access WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(door_row)
        .transpose()
    }

    pub(super) async fn door_credentials_where(
        &self,
        column: &str,
        id: i64,
    ) -> Result<Vec<DoorCredential>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, door_access_id, credential_id, lock_id, cred_index, state, error \
             FROM door_credentials WHERE {column} = $1 ORDER BY id"
        )))
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(door_cred_row)
        .collect()
    }

    /// Credentials on a person-on-door row.
    pub async fn door_credentials(
        &self,
        door_access_id: i64,
    ) -> Result<Vec<DoorCredential>, StoreError> {
        self.door_credentials_where("door_access_id", door_access_id)
            .await
    }

    /// Door credentials of a credential (all doors).
    pub async fn credential_doors(
        &self,
        credential_id: i64,
    ) -> Result<Vec<DoorCredential>, StoreError> {
        self.door_credentials_where("credential_id", credential_id)
            .await
    }

    /// A credential of an organisation.
    pub async fn get_credential(
        &self,
        org_id: i64,
        id: i64,
    ) -> Result<Option<CredentialRow>, StoreError> {
        sqlx::query(
            "SELECT id, person_id, kind, label, data, revoked_at, pin_tag FROM credentials \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(cred_row)
        .transpose()
    }

    /// A batch of an organisation.
    pub async fn get_batch(&self, org_id: i64, id: i64) -> Result<Option<Batch>, StoreError> {
        let r =
            sqlx::query("SELECT id, kind, created_at FROM batches WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        r.map(|r| {
            Ok(Batch {
                id: col(&r, "id")?,
                kind: crate::store::parse_enum(&r, "kind", ChangeKind::parse)?,
                created_at: col(&r, "created_at")?,
            })
        })
        .transpose()
    }
}
