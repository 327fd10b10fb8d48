//! The caller's organisation and its accounts; organisations of the hub
//! (operators only).

use serde::{Deserialize, Serialize};

use super::auth::{check_email, check_password};
use super::{check_name, Principal, Service, ServiceError, ADMINS, ANY_ROLE, OWNERS};
use crate::model::{Account, Org, Role, Site};
use crate::store::orgs::NewAccount;
use crate::store::plane::NewAudit;
use crate::store::StoreError;

/// A new organisation, its first site and owner, and the owner's initial
/// password: shown this once (the hub keeps only its hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedOrg {
    /// The organisation.
    pub org: Org,
    /// Its first site ("Main site").
    pub site: Site,
    /// Its owner account.
    pub owner: Account,
    /// The owner's initial password, shown once; they change it with
    /// `tumbler password`.
    pub password: String,
}

/// Input for a new account.
#[derive(Debug, Clone)]
pub struct AccountInput<'a> {
    /// Login.
    pub email: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Role to give.
    pub role: Role,
    /// Initial password.
    pub password: &'a str,
}

impl Service {
    /// Every organisation of the hub (operators).
    pub async fn list_orgs(&self, p: &Principal) -> Result<Vec<Org>, ServiceError> {
        self.require_operator(p)?;
        Ok(self.store.list_orgs().await?)
    }

    /// Creates an organisation with a first site (`Main site` in
    /// `time_zone`) and an owner account with a random initial password
    /// (operators). Bad input or a taken e-mail changes nothing.
    pub async fn create_org(
        &self,
        p: &Principal,
        name: &str,
        owner_email: &str,
        time_zone: &str,
    ) -> Result<CreatedOrg, ServiceError> {
        self.require_operator(p)?;
        let name = check_name("name", name)?;
        let email = check_email(owner_email)
            .map_err(|_| super::invalid("owner_email", "must look like name@domain"))?;
        super::sites::check_time_zone(time_zone)?;
        let password = crate::secrets::new_password()?;
        let b = self
            .bootstrap_org(&name, "Main site", time_zone, &email, &password)
            .await
            .map_err(|e| match e {
                ServiceError::Conflict(_) => ServiceError::Conflict("owner_email"),
                other => other,
            })?;
        self.store
            .audit(
                NewAudit {
                    org_id: p.org_id,
                    account_id: Some(p.account_id),
                    lock_id: None,
                    action: "org_created",
                    detail: &serde_json::json!({"org_id": b.org.id, "name": name, "owner": email}),
                },
                self.now_ms(),
            )
            .await?;
        tracing::info!(org = b.org.id, by = p.account_id, "organisation created");
        Ok(CreatedOrg {
            org: b.org,
            site: b.site,
            owner: b.owner,
            password,
        })
    }

    /// The caller's organisation.
    pub async fn my_org(&self, p: &Principal) -> Result<Org, ServiceError> {
        self.require(p, ANY_ROLE)?;
        self.store
            .get_org(p.org_id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Renames the caller's organisation (owners).
    pub async fn rename_org(&self, p: &Principal, name: &str) -> Result<Org, ServiceError> {
        self.require(p, OWNERS)?;
        let name = check_name("name", name)?;
        self.store
            .rename_org(p.org_id, &name)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// The organisation's accounts (owners, managers).
    pub async fn list_accounts(&self, p: &Principal) -> Result<Vec<Account>, ServiceError> {
        self.require(p, ADMINS)?;
        Ok(self.store.list_accounts(p.org_id).await?)
    }

    /// One account (owners, managers).
    pub async fn get_account(&self, p: &Principal, id: i64) -> Result<Account, ServiceError> {
        self.require(p, ADMINS)?;
        self.store
            .get_account(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing {
                what: "account",
                id,
            })
    }

    /// Creates an account. Owners may give any role; managers only
    /// installer or support.
    pub async fn create_account(
        &self,
        p: &Principal,
        input: AccountInput<'_>,
    ) -> Result<Account, ServiceError> {
        self.require(p, ADMINS)?;
        if p.role == Role::Manager && matches!(input.role, Role::Owner | Role::Manager) {
            return Err(ServiceError::Forbidden);
        }
        let email = check_email(input.email)?;
        let name = check_name("name", input.name)?;
        check_password(input.password)?;
        let hash = self.hash(input.password).await?;
        self.store
            .create_account(
                NewAccount {
                    org_id: p.org_id,
                    email: &email,
                    name: &name,
                    role: input.role,
                    password_hash: &hash,
                },
                self.now_ms(),
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict => ServiceError::Conflict("email"),
                other => other.into(),
            })
    }

    /// Changes an account's role (owners). The last owner cannot step down.
    pub async fn set_role(
        &self,
        p: &Principal,
        id: i64,
        role: Role,
    ) -> Result<Account, ServiceError> {
        self.require(p, OWNERS)?;
        // The last-owner rule is checked by the store in the transaction
        // that writes the role (two owners demoting each other at once).
        self.store
            .set_role(p.org_id, id, role)
            .await?
            .ok_or(ServiceError::Missing {
                what: "account",
                id,
            })
    }

    /// Deletes an account and its tokens (owners). Not the last owner.
    pub async fn delete_account(&self, p: &Principal, id: i64) -> Result<(), ServiceError> {
        self.require(p, OWNERS)?;
        // The last-owner rule is checked by the store in the transaction
        // that deletes (two owners deleting each other at once).
        if self.store.delete_account(p.org_id, id).await? {
            Ok(())
        } else {
            Err(ServiceError::Missing {
                what: "account",
                id,
            })
        }
    }
}
