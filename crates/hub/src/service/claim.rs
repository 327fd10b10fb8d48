//! Claiming a lock in setup mode, and re-claiming it after a reset: the
//! setup-code exchange runs in the lock plane; this layer authorises,
//! validates and records.

use tumbler_control::SecretPin;

use super::{check_name, invalid, Principal, Service, ServiceError, ADMINS};
use crate::model::{ClaimState, Lock, OpName};
use crate::service::locks::check_serial;
use crate::store::plane::NewAudit;
use crate::store::sites::ClaimReservation;

/// How long a claim may hold its site against deletion (a claim takes
/// seconds; this only bounds a reservation left by a hub that stopped).
const CLAIM_RESERVATION_MS: i64 = 10 * 60 * 1000;

/// A claim request (`POST /locks/claim`).
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    /// The lock's serial.
    pub serial: String,
    /// The setup code from its label (never logged or stored).
    pub setup_code: SecretPin,
    /// Site of the caller's organisation.
    pub site_id: i64,
    /// Display name (default: the serial).
    pub label: Option<String>,
    /// The lock's factory identity key (hex, from its label or the
    /// manufacturer's registry), pinned to verify reset records and self-checks.
    pub factory_key: Option<String>,
}

impl Service {
    /// Claims a lock in setup mode into the caller's site (owners, managers).
    pub async fn claim(&self, p: &Principal, req: ClaimRequest) -> Result<Lock, ServiceError> {
        self.require(p, ADMINS)?;
        let serial = check_serial(&req.serial)?;
        check_setup_code(&req.setup_code)?;
        let name = check_name("label", req.label.as_deref().unwrap_or(&serial))?;
        let factory = req.factory_key.as_deref().map(parse_key).transpose()?;
        self.store
            .get_site(p.org_id, req.site_id)
            .await?
            .ok_or(ServiceError::Missing {
                what: "site",
                id: req.site_id,
            })?;
        if let Some(l) = self.store.lock_by_serial(&serial).await? {
            let held = matches!(
                l.claim_state,
                ClaimState::Claimed | ClaimState::ResetBindingStale
            );
            if held && l.org_id != Some(p.org_id) {
                return Err(ServiceError::ClaimedElsewhere);
            }
            if l.transfer_to_org.is_some_and(|t| t != p.org_id) {
                return Err(ServiceError::ClaimedElsewhere);
            }
            if held {
                return Err(ServiceError::WrongState(format!(
                    "the lock is already {} in your organisation{}",
                    l.claim_state,
                    if l.claim_state == ClaimState::ResetBindingStale {
                        "; use reclaim"
                    } else {
                        ""
                    }
                )));
            }
        }
        self.finish_claim(p, &serial, &req.setup_code, req.site_id, &name, factory)
            .await
    }

    /// Re-claims a lock of the caller's organisation after a factory reset
    /// (state `reset_binding_stale`), into the same site and name.
    pub async fn reclaim(
        &self,
        p: &Principal,
        id: i64,
        setup_code: &SecretPin,
        factory_key: Option<&str>,
    ) -> Result<Lock, ServiceError> {
        self.require(p, ADMINS)?;
        let lock = self.own_lock(p, id).await?;
        check_setup_code(setup_code)?;
        let factory = factory_key.map(parse_key).transpose()?;
        if lock.claim_state != ClaimState::ResetBindingStale {
            return Err(ServiceError::WrongState(format!(
                "the lock is {}; only a lock whose binding went stale after a reset can be re-claimed",
                lock.claim_state
            )));
        }
        let site = lock
            .site_id
            .ok_or_else(|| ServiceError::WrongState("the lock has no site".into()))?;
        self.finish_claim(p, &lock.serial, setup_code, site, &lock.name, factory)
            .await
    }

    async fn finish_claim(
        &self,
        p: &Principal,
        serial: &str,
        code: &SecretPin,
        site_id: i64,
        name: &str,
        factory: Option<[u8; 32]>,
    ) -> Result<Lock, ServiceError> {
        // The site is reserved before the lock is asked (deleting it is
        // refused meanwhile), so a lock never pairs into a site that is gone
        // by the time its binding is stored; the reservation ends in the
        // transaction that stores the binding, or here on failure.
        let now = self.now_ms();
        let until = now.saturating_add(CLAIM_RESERVATION_MS);
        match self
            .store
            .reserve_claim_site(serial, p.org_id, site_id, now, until)
            .await?
        {
            ClaimReservation::Reserved => {}
            ClaimReservation::Busy => return Err(ServiceError::ClaimInProgress),
            _ => {
                return Err(ServiceError::Missing {
                    what: "site",
                    id: site_id,
                })
            }
        }
        let result = self
            .pair_and_store(p, serial, code, site_id, name, factory)
            .await;
        if result.is_err() {
            if let Err(e) = self.store.end_claim_reservation(serial).await {
                tracing::warn!(serial, error = %e, "could not end a claim's site reservation");
            }
        }
        let lock = result?;
        self.after_claim(p, serial, site_id, lock).await
    }

    /// Runs the setup-code exchange and stores the binding (ending the
    /// site reservation in the same transaction).
    async fn pair_and_store(
        &self,
        p: &Principal,
        serial: &str,
        code: &SecretPin,
        site_id: i64,
        name: &str,
        factory: Option<[u8; 32]>,
    ) -> Result<Lock, ServiceError> {
        let mut binding = self.plane.run_claim(serial, code).await?;
        if let Some(k) = factory {
            binding
                .pin_factory_public(k)
                .map_err(|e| ServiceError::ClaimFailed(format!("factory key: {e}")))?;
        }
        let bytes = binding
            .to_bytes()
            .map_err(|e| ServiceError::ClaimFailed(format!("binding: {e}")))?;
        let now = self.now_ms();
        Ok(self
            .store
            .claim_lock(serial, p.org_id, site_id, name, &bytes, now)
            .await?)
    }

    /// What follows a stored claim: users forgotten, audit, first queries.
    async fn after_claim(
        &self,
        p: &Principal,
        serial: &str,
        site_id: i64,
        lock: Lock,
    ) -> Result<Lock, ServiceError> {
        let now = self.now_ms();
        // A lock in setup mode holds no users: whoever the hub had on it is
        // gone (the counter before the reset was kept when it was detected).
        self.plane.access_lock_reset(lock.id, None).await?;
        self.store
            .audit(
                NewAudit {
                    org_id: p.org_id,
                    account_id: Some(p.account_id),
                    lock_id: Some(lock.id),
                    action: "lock_claimed",
                    detail: &serde_json::json!({"serial": serial, "site_id": site_id}),
                },
                now,
            )
            .await?;
        // The binding learns the reset-counter baseline from the first status.
        self.enqueue(p, &lock, OpName::GetStatus, serde_json::json!({}))
            .await?;
        // Slots are planned with what the lock says it holds.
        self.enqueue(p, &lock, OpName::GetCapabilities, serde_json::json!({}))
            .await?;
        // The hub shows the settings the lock reports (defaults after a reset).
        self.enqueue(p, &lock, OpName::GetSettings, serde_json::json!({}))
            .await?;
        // The lock keeps the site's time and DST rule, so schedules hold on
        // the lock across DST changes.
        match self.set_time_params(site_id, p.org_id).await {
            Ok(params) => {
                self.enqueue(p, &lock, OpName::SetTime, params).await?;
            }
            Err(e) => tracing::warn!(serial, error = %e, "no time rule for the site"),
        }
        // A lock that had offline codes gets a new secret and epoch.
        self.offline_after_claim(p, &lock).await?;
        tracing::info!(serial, org = p.org_id, "lock claimed");
        Ok(lock)
    }

    /// `params` of a `set_time` operation for a site: its zone's rule for
    /// this year (or the next one if this year's is irregular).
    pub(crate) async fn set_time_params(
        &self,
        site_id: i64,
        org_id: i64,
    ) -> Result<serde_json::Value, ServiceError> {
        let site = self
            .store
            .get_site(org_id, site_id)
            .await?
            .ok_or(ServiceError::Missing {
                what: "site",
                id: site_id,
            })?;
        let year = jiff::Timestamp::from_millisecond(self.now_ms())
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).year())
            .unwrap_or(2026);
        let rule = tumbler_control::time_rule_for(&site.time_zone, year)
            .or_else(|_| tumbler_control::time_rule_for(&site.time_zone, year.saturating_add(1)))
            .map_err(|e| invalid("time_zone", format!("{e:?}")))?;
        let op = serde_json::to_value(tumbler_control::OpKind::SetTime { rule })
            .map_err(|e| invalid("time_zone", e.to_string()))?;
        Ok(serde_json::json!({ "op": op }))
    }
}
/// A setup code that cannot be the printed one is refused here: every claim
/// start costs the lock one attempt towards its claim lockout.
fn check_setup_code(code: &SecretPin) -> Result<(), ServiceError> {
    if !tumbler_control::proto::claim::setup_code_well_formed(code.expose().as_bytes()) {
        return Err(invalid("setup_code", crate::plane::SETUP_CODE_FORMAT));
    }
    Ok(())
}

fn parse_key(s: &str) -> Result<[u8; 32], ServiceError> {
    let bytes = crate::store::plane::unhex(s.trim())
        .map_err(|_| invalid("factory_key", "64 hex digits"))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| invalid("factory_key", "64 hex digits"))
}
