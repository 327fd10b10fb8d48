//! Login, bearer tokens and first-run bootstrap.

use serde::Serialize;

use super::{check_name, invalid, Principal, Service, ServiceError, ANY_ROLE};
use crate::model::{Account, Org, Role, Site, TokenInfo, TokenKind};
use crate::secrets;
use crate::store::orgs::NewAccount;

/// How long a login session lasts.
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;

/// A freshly issued token: the only time the secret is shown.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    /// The bearer token. Shown once; the hub keeps only its hash.
    pub token: String,
    /// Its metadata.
    #[serde(flatten)]
    pub info: TokenInfo,
}

/// What a first run created.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    /// The organisation.
    pub org: Org,
    /// Its first site.
    pub site: Site,
    /// The owner account.
    pub owner: Account,
}

/// Normalises and checks an e-mail-like login.
pub(crate) fn check_email(s: &str) -> Result<String, ServiceError> {
    let e = s.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(e)
    } else {
        Err(invalid("email", "must look like name@domain"))
    }
}

/// Checks a new password's length (8..=1024 bytes).
pub(crate) fn check_password(s: &str) -> Result<(), ServiceError> {
    if s.len() < 8 {
        return Err(invalid("password", "at least 8 characters"));
    }
    if s.len() > 1024 {
        return Err(invalid("password", "at most 1024 bytes"));
    }
    Ok(())
}

impl Service {
    /// Hashes a password off the async threads.
    pub(crate) async fn hash(&self, password: &str) -> Result<String, ServiceError> {
        let pw = password.to_owned();
        let params = self.password;
        tokio::task::spawn_blocking(move || secrets::hash_password(&pw, params))
            .await
            .map_err(|_| ServiceError::Task)?
            .map_err(ServiceError::from)
    }

    /// Resolves a bearer token. Unknown or expired: [`ServiceError::Unauthenticated`].
    pub async fn authenticate(&self, token: &str) -> Result<Principal, ServiceError> {
        let owner = self
            .store
            .token_owner(&secrets::token_hash(token), self.now_ms())
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        Ok(Principal {
            account_id: owner.account.id,
            org_id: owner.account.org_id,
            role: owner.account.role,
            token_id: owner.token_id,
            token_kind: owner.kind,
            operator: owner.operator,
        })
    }

    /// Password login: returns a session token. Wrong login and wrong
    /// password are the same error and take the same time.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<(IssuedToken, Account), ServiceError> {
        let email = email.trim().to_lowercase();
        let found = self.store.account_for_login(&email).await?;
        let (stored, account) = match found {
            Some((account, hash)) => (hash, Some(account)),
            None => (self.dummy_hash.to_string(), None),
        };
        let pw = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || secrets::verify_password(&pw, &stored))
            .await
            .map_err(|_| ServiceError::Task)?;
        let account = match (ok, account) {
            (true, Some(a)) => a,
            _ => return Err(ServiceError::Unauthenticated),
        };
        let now = self.now_ms();
        let token = secrets::new_token("tum_s_")?;
        let info = self
            .store
            .insert_token(
                account.id,
                TokenKind::Session,
                &secrets::token_hash(&token),
                "login",
                now,
                Some(now.saturating_add(SESSION_MS)),
            )
            .await?;
        tracing::info!(account = account.id, "login");
        Ok((IssuedToken { token, info }, account))
    }

    /// Ends the session (or revokes the API token) used for this call.
    pub async fn logout(&self, p: &Principal) -> Result<(), ServiceError> {
        self.store.delete_token(p.account_id, p.token_id).await?;
        Ok(())
    }

    /// The caller's own account.
    pub async fn me(&self, p: &Principal) -> Result<Account, ServiceError> {
        self.store
            .get_account(p.org_id, p.account_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)
    }

    /// Changes the caller's password after checking the current one; other
    /// login sessions end (API tokens stay: revoke them separately).
    pub async fn change_password(
        &self,
        p: &Principal,
        current: &str,
        new: &str,
    ) -> Result<(), ServiceError> {
        self.require(p, ANY_ROLE)?;
        check_password(new).map_err(|_| invalid("new_password", "8 to 1024 bytes"))?;
        let stored = self
            .store
            .password_hash(p.account_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let pw = current.to_owned();
        let ok = tokio::task::spawn_blocking(move || secrets::verify_password(&pw, &stored))
            .await
            .map_err(|_| ServiceError::Task)?;
        if !ok {
            return Err(invalid("current_password", "does not match"));
        }
        let hash = self.hash(new).await?;
        self.store
            .set_password_hash(p.account_id, &hash, p.token_id)
            .await?;
        tracing::info!(account = p.account_id, "password changed");
        Ok(())
    }

    /// The caller's tokens (metadata only).
    pub async fn list_tokens(&self, p: &Principal) -> Result<Vec<TokenInfo>, ServiceError> {
        self.require(p, ANY_ROLE)?;
        Ok(self.store.list_tokens(p.account_id).await?)
    }

    /// Creates a long-lived API token for the caller, with the caller's role.
    /// `expires_in_days`: 1..=3650, or `None` for no expiry.
    pub async fn create_api_token(
        &self,
        p: &Principal,
        label: &str,
        expires_in_days: Option<i64>,
    ) -> Result<IssuedToken, ServiceError> {
        self.require(p, ANY_ROLE)?;
        let label = check_name("label", label)?;
        let now = self.now_ms();
        let expires_at = match expires_in_days {
            None => None,
            Some(d) if (1..=3650).contains(&d) => Some(now.saturating_add(d * 86_400_000)),
            Some(_) => return Err(invalid("expires_in_days", "between 1 and 3650")),
        };
        let token = secrets::new_token("tum_a_")?;
        let info = self
            .store
            .insert_token(
                p.account_id,
                TokenKind::Api,
                &secrets::token_hash(&token),
                &label,
                now,
                expires_at,
            )
            .await?;
        Ok(IssuedToken { token, info })
    }

    /// Deletes one of the caller's tokens.
    pub async fn delete_token(&self, p: &Principal, id: i64) -> Result<(), ServiceError> {
        self.require(p, ANY_ROLE)?;
        if self.store.delete_token(p.account_id, id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// Creates an organisation with a first site and an owner. Used on first
    /// run (`tumbler up`), by operators ([`Service::create_org`]) and by
    /// tests. On a hub without organisations the owner becomes the hub
    /// operator (the first run's admin).
    pub async fn bootstrap_org(
        &self,
        org_name: &str,
        site_name: &str,
        time_zone: &str,
        owner_email: &str,
        owner_password: &str,
    ) -> Result<Bootstrap, ServiceError> {
        let org_name = check_name("org_name", org_name)?;
        let site_name = check_name("site_name", site_name)?;
        let tz = super::sites::check_time_zone(time_zone)?;
        let email = check_email(owner_email)?;
        check_password(owner_password)?;
        if self.store.account_for_login(&email).await?.is_some() {
            return Err(ServiceError::Conflict("email"));
        }
        let hash = self.hash(owner_password).await?;
        let now = self.now_ms();
        let first = self.store.count_orgs().await? == 0;
        let org = self.store.create_org(&org_name, now).await?;
        let owner = self
            .store
            .create_account(
                NewAccount {
                    org_id: org.id,
                    email: &email,
                    name: "Owner",
                    role: Role::Owner,
                    password_hash: &hash,
                },
                now,
            )
            .await?;
        if first {
            self.store.set_operator(owner.id, true).await?;
        }
        let site = self.store.create_site(org.id, &site_name, &tz, now).await?;
        Ok(Bootstrap { org, site, owner })
    }
}
