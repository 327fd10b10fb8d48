//! Login, bearer tokens and first-run bootstrap.

use std::net::IpAddr;

use serde::Serialize;

use super::login_limit::{retry_after_secs, Key, LoginLimits};
use super::{check_name, invalid, Principal, Service, ServiceError, ANY_ROLE};
use crate::model::{Account, Org, Role, Site, TokenInfo, TokenKind};
use crate::secrets;
use crate::store::orgs::NewAccount;

/// How long a login session lasts.
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;

/// Lifetime of an API token created without `expires_in_days`.
pub const API_TOKEN_DEFAULT_DAYS: i64 = 30;

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
    /// Hashes a password in the bounded pool ([`ServiceError::Busy`] when full).
    pub(crate) async fn hash(&self, password: &str) -> Result<String, ServiceError> {
        Ok(self.hashing.hash(password, self.password).await?)
    }

    /// Runs `f` on the login-limit table (a poisoned lock still holds valid counts).
    fn limits<T>(&self, f: impl FnOnce(&mut LoginLimits) -> T) -> T {
        let mut guard = match self.login_limits.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
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

    /// Password login with no client address (tests, the CLI's first run):
    /// only the per-account limit applies. See [`Service::login_from`].
    pub async fn login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<(IssuedToken, Account), ServiceError> {
        self.login_from(email, password, None).await
    }

    /// Password login: returns a session token. Wrong login and wrong
    /// password are the same error and take the same time. Limited per
    /// account and per client address: while either must wait, the answer
    /// is [`ServiceError::TooManyAttempts`] and no password is checked; a
    /// success resets the account's count.
    pub async fn login_from(
        &self,
        email: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<(IssuedToken, Account), ServiceError> {
        let email = email.trim().to_lowercase();
        let account_key = Key::Account(email.clone());
        let keys: Vec<Key> = std::iter::once(account_key.clone())
            .chain(client.map(Key::address))
            .collect();
        let now = self.now_ms();
        if let Err(wait_ms) = self.limits(|l| l.attempt(&keys, now)) {
            tracing::info!(
                retry_after_s = retry_after_secs(wait_ms),
                "login refused: too many failures"
            );
            return Err(ServiceError::TooManyAttempts {
                retry_after_s: retry_after_secs(wait_ms),
            });
        }
        let checked = self.check_login(&email, password).await;
        match &checked {
            Ok(Some(_)) => self.limits(|l| l.succeeded(&account_key, keys.get(1..).unwrap_or(&[]))),
            // Wrong login or password: the attempt stays counted.
            Ok(None) => {}
            // Nothing was checked (busy, database down): take the attempt back.
            Err(_) => self.limits(|l| l.cancel(&keys)),
        }
        let Some(account) = checked? else {
            return Err(ServiceError::Unauthenticated);
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

    /// The account if `password` is its password; `None` for a wrong login
    /// or password (an unknown login costs a hash too).
    async fn check_login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<Account>, ServiceError> {
        let found = self.store.account_for_login(email).await?;
        let (stored, account) = match found {
            Some((account, hash)) => (hash, Some(account)),
            None => (self.dummy_hash.to_string(), None),
        };
        let ok = self.hashing.verify(password, &stored).await?;
        Ok(account.filter(|_| ok))
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

    /// Changes the caller's password after checking the current one; every
    /// other token of the account (sessions and API tokens) is revoked in
    /// the same transaction, so a stolen token dies with the old password.
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
        let ok = self.hashing.verify(current, &stored).await?;
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
    /// `expires_in_days`: 1..=3650; `None`: [`API_TOKEN_DEFAULT_DAYS`].
    pub async fn create_api_token(
        &self,
        p: &Principal,
        label: &str,
        expires_in_days: Option<i64>,
    ) -> Result<IssuedToken, ServiceError> {
        self.require(p, ANY_ROLE)?;
        let label = check_name("label", label)?;
        let now = self.now_ms();
        let days = expires_in_days.unwrap_or(API_TOKEN_DEFAULT_DAYS);
        if !(1..=3650).contains(&days) {
            return Err(invalid("expires_in_days", "between 1 and 3650"));
        }
        let expires_at = Some(now.saturating_add(days * 86_400_000));
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
