//! Organisations, accounts and bearer tokens.

use sqlx::any::AnyRow;

use super::{col, parse_enum, Store, StoreError};
use crate::model::{Account, Org, Role, TokenInfo, TokenKind};

const ACCOUNT_COLS: &str = "id, org_id, email, name, role, created_at";

fn org_row(r: &AnyRow) -> Result<Org, StoreError> {
    Ok(Org {
        id: col(r, "id")?,
        name: col(r, "name")?,
        created_at: col(r, "created_at")?,
    })
}

fn account_row(r: &AnyRow) -> Result<Account, StoreError> {
    Ok(Account {
        id: col(r, "id")?,
        org_id: col(r, "org_id")?,
        email: col(r, "email")?,
        name: col(r, "name")?,
        role: parse_enum(r, "role", Role::parse)?,
        created_at: col(r, "created_at")?,
    })
}

fn token_row(r: &AnyRow) -> Result<TokenInfo, StoreError> {
    let kind: String = col(r, "kind")?;
    let kind = match kind.as_str() {
        "session" => TokenKind::Session,
        "api" => TokenKind::Api,
        other => return Err(StoreError::LogicBug(format!("token kind {other:?}"))),
    };
    Ok(TokenInfo {
        id: col(r, "id")?,
        account_id: col(r, "account_id")?,
        kind,
        label: col(r, "label")?,
        created_at: col(r, "created_at")?,
        expires_at: col(r, "expires_at")?,
    })
}

/// A new account's fields.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    /// Organisation.
    pub org_id: i64,
    /// Login (already normalised to lower case).
    pub email: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Role.
    pub role: Role,
    /// PHC argon2 string.
    pub password_hash: &'a str,
}

/// What a valid bearer token resolves to.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    /// The account.
    pub account: Account,
    /// The token's id (to log it out).
    pub token_id: i64,
    /// Session or API token.
    pub kind: TokenKind,
    /// A hub operator (may create and list organisations).
    pub operator: bool,
}

impl Store {
    /// Creates an organisation.
    pub async fn create_org(&self, name: &str, now: i64) -> Result<Org, StoreError> {
        let r = sqlx::query(
            "INSERT INTO orgs (name, created_at) VALUES ($1, $2) RETURNING id, name, created_at",
        )
        .bind(name)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        org_row(&r)
    }

    /// An organisation by id.
    pub async fn get_org(&self, id: i64) -> Result<Option<Org>, StoreError> {
        let r = sqlx::query("SELECT id, name, created_at FROM orgs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(org_row).transpose()
    }

    /// Renames an organisation; `None` if it does not exist.
    pub async fn rename_org(&self, id: i64, name: &str) -> Result<Option<Org>, StoreError> {
        let r =
            sqlx::query("UPDATE orgs SET name = $2 WHERE id = $1 RETURNING id, name, created_at")
                .bind(id)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        r.as_ref().map(org_row).transpose()
    }

    /// Every organisation of the hub, by id (for operators).
    pub async fn list_orgs(&self) -> Result<Vec<Org>, StoreError> {
        let rows = sqlx::query("SELECT id, name, created_at FROM orgs ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(org_row).collect()
    }

    /// Makes an account a hub operator or not; false if no such account.
    pub async fn set_operator(&self, account_id: i64, operator: bool) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE accounts SET operator = $2 WHERE id = $1")
            .bind(account_id)
            .bind(i64::from(operator))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Number of organisations (0 means a fresh hub).
    pub async fn count_orgs(&self) -> Result<i64, StoreError> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM orgs")
            .fetch_one(&self.pool)
            .await?;
        col(&r, "n")
    }

    /// Creates an account; [`StoreError::Conflict`] if the e-mail is taken.
    pub async fn create_account(&self, a: NewAccount<'_>, now: i64) -> Result<Account, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO accounts (org_id, email, name, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ACCOUNT_COLS}"
        )))
        .bind(a.org_id)
        .bind(a.email)
        .bind(a.name)
        .bind(a.role.as_str())
        .bind(a.password_hash)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        account_row(&r)
    }

    /// An account and its password hash, by login.
    pub async fn account_for_login(
        &self,
        email: &str,
    ) -> Result<Option<(Account, String)>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLS}, password_hash FROM accounts WHERE email = $1"
        )))
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        match r {
            Some(r) => Ok(Some((account_row(&r)?, col(&r, "password_hash")?))),
            None => Ok(None),
        }
    }

    /// An account of an organisation.
    pub async fn get_account(&self, org_id: i64, id: i64) -> Result<Option<Account>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLS} FROM accounts WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(account_row).transpose()
    }

    /// Every account of an organisation, by id.
    pub async fn list_accounts(&self, org_id: i64) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLS} FROM accounts WHERE org_id = $1 ORDER BY id"
        )))
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(account_row).collect()
    }

    /// Locks organisation `org_id` against concurrent changes of its owners
    /// until `tx` ends: SQLite takes the database's write lock now (a no-op
    /// write, so a second writer waits instead of reading a stale count);
    /// PostgreSQL locks the org row (`FOR UPDATE`).
    async fn lock_org(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        org_id: i64,
    ) -> Result<(), StoreError> {
        let q = match self.backend {
            super::Backend::Sqlite => "UPDATE orgs SET name = name WHERE id = $1",
            super::Backend::Postgres => "SELECT id FROM orgs WHERE id = $1 FOR UPDATE",
        };
        sqlx::query(q).bind(org_id).execute(&mut **tx).await?;
        Ok(())
    }

    /// Refuses with [`StoreError::LastOwner`] if taking account `id` out of
    /// the owners would leave organisation `org_id` with none. Call under
    /// [`Store::lock_org`] in the same transaction as the change.
    async fn keep_an_owner(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        org_id: i64,
        id: i64,
    ) -> Result<(), StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM accounts WHERE org_id = $1 AND role = 'owner' AND id <> $2",
        )
        .bind(org_id)
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        let others: i64 = col(&r, "n")?;
        let is_owner =
            sqlx::query("SELECT id FROM accounts WHERE org_id = $1 AND id = $2 AND role = 'owner'")
                .bind(org_id)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?
                .is_some();
        if is_owner && others == 0 {
            return Err(StoreError::LastOwner);
        }
        Ok(())
    }

    /// Changes an account's role and, if it changed, revokes the account's
    /// tokens in the same transaction; `None` if no such account in the org.
    /// Refuses with [`StoreError::LastOwner`] (nothing changed) if the
    /// organisation would be left without an owner: checked and written in
    /// one transaction under the org's lock, so two owners demoting each
    /// other at once cannot both succeed.
    pub async fn set_role(
        &self,
        org_id: i64,
        id: i64,
        role: Role,
    ) -> Result<Option<Account>, StoreError> {
        let mut tx = self.begin_write().await?;
        self.lock_org(&mut tx, org_id).await?;
        if role != Role::Owner {
            Self::keep_an_owner(&mut tx, org_id, id).await?;
        }
        // A role change revokes every token of the account in the same
        // transaction: a token never outlives the role it was issued under.
        sqlx::query(
            "DELETE FROM tokens WHERE account_id IN \
             (SELECT id FROM accounts WHERE org_id = $1 AND id = $2 AND role <> $3)",
        )
        .bind(org_id)
        .bind(id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE accounts SET role = $3 WHERE org_id = $1 AND id = $2 RETURNING {ACCOUNT_COLS}"
        )))
        .bind(org_id)
        .bind(id)
        .bind(role.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let account = r.as_ref().map(account_row).transpose()?;
        tx.commit().await?;
        Ok(account)
    }

    /// Deletes an account and its tokens; false if no such account.
    /// Refuses with [`StoreError::LastOwner`] (nothing changed) if it is the
    /// organisation's last owner, in the same transaction as the delete.
    pub async fn delete_account(&self, org_id: i64, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        self.lock_org(&mut tx, org_id).await?;
        Self::keep_an_owner(&mut tx, org_id, id).await?;
        sqlx::query("DELETE FROM tokens WHERE account_id IN (SELECT id FROM accounts WHERE org_id = $1 AND id = $2)")
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM accounts WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// The stored password hash of an account.
    pub async fn password_hash(&self, account_id: i64) -> Result<Option<String>, StoreError> {
        let r = sqlx::query("SELECT password_hash FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(|r| col(r, "password_hash")).transpose()
    }

    /// Replaces an account's password hash and revokes every other token of
    /// the account, sessions and API tokens (only `keep_token` stays).
    pub async fn set_password_hash(
        &self,
        account_id: i64,
        hash: &str,
        keep_token: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
            .bind(account_id)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM tokens WHERE account_id = $1 AND id <> $2")
            .bind(account_id)
            .bind(keep_token)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Number of owners of an organisation.
    pub async fn count_owners(&self, org_id: i64) -> Result<i64, StoreError> {
        let r =
            sqlx::query("SELECT COUNT(*) AS n FROM accounts WHERE org_id = $1 AND role = 'owner'")
                .bind(org_id)
                .fetch_one(&self.pool)
                .await?;
        col(&r, "n")
    }

    /// Stores a token's hash.
    pub async fn insert_token(
        &self,
        account_id: i64,
        kind: TokenKind,
        token_hash: &str,
        label: &str,
        now: i64,
        expires_at: Option<i64>,
    ) -> Result<TokenInfo, StoreError> {
        let r = sqlx::query(
            "INSERT INTO tokens (account_id, kind, token_hash, label, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id, account_id, kind, label, created_at, expires_at",
        )
        .bind(account_id)
        .bind(kind.as_str())
        .bind(token_hash)
        .bind(label)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&self.pool)
        .await?;
        token_row(&r)
    }

    /// Resolves a token hash to its account, if the token exists and has not
    /// expired at `now`.
    pub async fn token_owner(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<TokenOwner>, StoreError> {
        let r = sqlx::query(
            "SELECT a.id, a.org_id, a.email, a.name, a.role, a.created_at, a.operator, \
                    t.id AS token_id, t.kind AS token_kind \
             FROM tokens t JOIN accounts a ON a.id = t.account_id \
             WHERE t.token_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > $2)",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = r else { return Ok(None) };
        let kind: String = col(&r, "token_kind")?;
        let operator: i64 = col(&r, "operator")?;
        Ok(Some(TokenOwner {
            operator: operator != 0,
            account: account_row(&r)?,
            token_id: col(&r, "token_id")?,
            kind: if kind == "api" {
                TokenKind::Api
            } else {
                TokenKind::Session
            },
        }))
    }

    /// An account's tokens.
    pub async fn list_tokens(&self, account_id: i64) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, account_id, kind, label, created_at, expires_at FROM tokens \
             WHERE account_id = $1 ORDER BY id",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_row).collect()
    }

    /// Deletes one of an account's tokens; false if not found.
    pub async fn delete_token(&self, account_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM tokens WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
