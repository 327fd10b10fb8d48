//! A lock's settings: read what it reported (with any change still on its way) and
//! change several at once as ONE operation the lock confirms (`pending → applied |
//! refused`). Names, kinds and ranges come from [`crate::settings`]; bounds are checked
//! here, before anything is queued; the lock itself refuses a loosening that may be
//! made only at the door (`only_at_the_door`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tumbler_control::OpKind;

use super::{Principal, Service, ServiceError, ADMINS, ANY_ROLE};
use crate::model::{ts, ClaimState, Lock, OpName, Operation};
use crate::settings::{self as names, OPERATING_MODE, SETTINGS};
use crate::store::operations::OperationFilter;

/// One setting of one lock, as `GET /locks/{id}/settings` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingView {
    /// The API and CLI name.
    pub name: String,
    /// The Matter DoorLock attribute, where one exists.
    pub matter: Option<String>,
    /// The value the lock reported (`None` until it answered).
    pub value: Option<Value>,
    /// Values it takes.
    pub range: String,
    /// A change still on its way to the lock (its newest).
    pub pending: Option<Value>,
    /// The value the lock accepts only at the door (keypad admin menu), if any.
    pub door_only: Option<String>,
    /// What it does.
    pub about: String,
}

/// A lock's settings (`GET /locks/{id}/settings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockSettings {
    /// The lock.
    pub lock_id: i64,
    /// When the lock last reported its settings (`None`: not yet).
    #[serde(serialize_with = "ts::ser_opt", deserialize_with = "ts::de_opt")]
    pub reported_at: Option<i64>,
    /// Every setting, in display order.
    pub settings: Vec<SettingView>,
    /// Settings and mode changes not yet answered by the lock, oldest first.
    pub pending: Vec<Operation>,
}

fn is_settings_op(k: OpName) -> bool {
    matches!(k, OpName::SetSettings | OpName::SetOperatingMode)
}

impl Service {
    async fn pending_settings_ops(
        &self,
        p: &Principal,
        lock: &Lock,
    ) -> Result<Vec<Operation>, ServiceError> {
        let filter = OperationFilter {
            lock_id: Some(lock.id),
            state: None,
            limit: 200,
        };
        let mut ops: Vec<Operation> = self
            .store
            .list_operations(p.org_id, &filter)
            .await?
            .into_iter()
            .filter(|o| is_settings_op(o.kind) && !o.state.is_final())
            .collect();
        ops.sort_by_key(|o| o.id);
        Ok(ops)
    }

    /// A lock's reported settings and the changes on their way (any role).
    pub async fn lock_settings(
        &self,
        p: &Principal,
        lock_id: i64,
    ) -> Result<LockSettings, ServiceError> {
        self.require(p, ANY_ROLE)?;
        let lock = self.own_lock(p, lock_id).await?;
        let reported = self.store.lock_settings(lock.id).await?;
        let pending = self.pending_settings_ops(p, &lock).await?;
        let settings = SETTINGS
            .iter()
            .map(|s| {
                let value = if s.name == OPERATING_MODE {
                    lock.telemetry.mode.clone().map(Value::from)
                } else {
                    reported
                        .as_ref()
                        .and_then(|r| r.values.get(s.name).cloned())
                };
                let pending = pending
                    .iter()
                    .rev()
                    .find_map(|o| o.params.get("changes").and_then(|c| c.get(s.name)).cloned());
                SettingView {
                    name: s.name.to_owned(),
                    matter: s.matter.map(str::to_owned),
                    value,
                    range: s.range(),
                    pending,
                    door_only: s.door_only.map(str::to_owned),
                    about: s.about.to_owned(),
                }
            })
            .collect();
        Ok(LockSettings {
            lock_id: lock.id,
            reported_at: reported.map(|r| r.at),
            settings,
            pending,
        })
    }

    /// Changes named settings of a lock as one operation (owners, managers). Every name
    /// and value is checked first (unknown name or out of range: nothing queued). The
    /// operating mode is its own operation on the lock, so it is changed alone.
    pub async fn change_lock_settings(
        &self,
        p: &Principal,
        lock_id: i64,
        changes: Map<String, Value>,
    ) -> Result<Operation, ServiceError> {
        self.require(p, ADMINS)?;
        let lock = self.own_lock(p, lock_id).await?;
        let checked = check_changes(&changes)?;
        if lock.claim_state != ClaimState::Claimed {
            return Err(ServiceError::WrongState(format!(
                "the lock is {}; re-claim it first",
                lock.claim_state
            )));
        }
        if let Some(mode) = checked.get(OPERATING_MODE) {
            let mode = mode
                .as_str()
                .and_then(names::operating_mode)
                .ok_or_else(|| ServiceError::BadSetting(format!("{OPERATING_MODE}: unknown")))?;
            let op = op_json(&OpKind::SetOperatingMode { mode })?;
            let params = serde_json::json!({ "op": op, "changes": checked });
            return self
                .enqueue(p, &lock, OpName::SetOperatingMode, params)
                .await;
        }
        // The newest record on its way is the base, so changes queued one after the
        // other add up instead of undoing each other.
        let pending = self.pending_settings_ops(p, &lock).await?;
        let base = match pending
            .iter()
            .rev()
            .find_map(|o| o.params.get("settings").and_then(Value::as_object).cloned())
        {
            Some(b) => Some(b),
            None => self.store.lock_settings(lock.id).await?.map(|r| r.values),
        };
        let mut record = base.as_ref().and_then(names::from_named).ok_or_else(|| {
            ServiceError::WrongState(format!(
                "lock {} has not reported its settings yet; try again once it is online",
                lock.id
            ))
        })?;
        for (name, v) in &checked {
            names::apply(&mut record, name, v);
        }
        let op = op_json(&OpKind::SetSettings { settings: record })?;
        let params = serde_json::json!({
            "op": op,
            "changes": checked,
            "settings": names::to_named(&record),
        });
        self.enqueue(p, &lock, OpName::SetSettings, params).await
    }
}

fn op_json(k: &OpKind) -> Result<Value, ServiceError> {
    serde_json::to_value(k).map_err(|e| ServiceError::BadSetting(format!("cannot encode: {e}")))
}

/// Checks every named change: known name, value in range, the operating mode alone.
pub fn check_changes(changes: &Map<String, Value>) -> Result<Map<String, Value>, ServiceError> {
    if changes.is_empty() {
        return Err(ServiceError::BadSetting(format!(
            "name at least one setting: {}",
            names::names()
        )));
    }
    let mut out = Map::new();
    for (name, v) in changes {
        let spec = names::spec(name).ok_or_else(|| {
            ServiceError::BadSetting(format!(
                "unknown setting {name:?}; settings are: {}",
                names::names()
            ))
        })?;
        let v = spec.check(v).map_err(ServiceError::BadSetting)?;
        out.insert(name.clone(), v);
    }
    if out.contains_key(OPERATING_MODE) && out.len() > 1 {
        return Err(ServiceError::BadSetting(format!(
            "{OPERATING_MODE}: change it on its own (it is a separate operation on the lock)"
        )));
    }
    Ok(out)
}
