//! The caller's organisation and its accounts.

use super::auth::{check_email, check_password};
use super::{check_name, Principal, Service, ServiceError, ADMINS, ANY_ROLE, OWNERS};
use crate::model::{Account, Org, Role};
use crate::store::orgs::NewAccount;
use crate::store::StoreError;

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
            .ok_or(ServiceError::NotFound)
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
        let current = self
            .store
            .get_account(p.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if current.role == Role::Owner
            && role != Role::Owner
            && self.store.count_owners(p.org_id).await? <= 1
        {
            return Err(ServiceError::LastOwner);
        }
        self.store
            .set_role(p.org_id, id, role)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Deletes an account and its tokens (owners). Not the last owner.
    pub async fn delete_account(&self, p: &Principal, id: i64) -> Result<(), ServiceError> {
        self.require(p, OWNERS)?;
        let current = self
            .store
            .get_account(p.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if current.role == Role::Owner && self.store.count_owners(p.org_id).await? <= 1 {
            return Err(ServiceError::LastOwner);
        }
        if self.store.delete_account(p.org_id, id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        }
    }
}
