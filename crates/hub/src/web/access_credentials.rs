//! The forms of a person's page: change a PIN (given or generated),
//! replace a lost card or PIN, revoke on some or every door. Each calls the
//! service use case the API's handler calls and answers with the batch
//! ([`super::access_batch::answer`]: a generated PIN is shown once there).

use axum::extract::State;
use serde::Deserialize;

use super::access_batch::answer;
use super::access_form::Fields;
use super::{Form, WebPath};
use super::{Web, WebResult};
use crate::api::AppState;
use crate::control::SecretPin;
use crate::service::access::Replacement;
use crate::service::ServiceError;

/// The change-a-PIN form. `Debug` redacts the PIN.
#[derive(Deserialize)]
pub struct PinForm {
    /// The new PIN; blank generates one.
    pin: Option<String>,
}

impl std::fmt::Debug for PinForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinForm(<redacted>)")
    }
}

fn given(pin: Option<String>) -> Option<SecretPin> {
    pin.map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .map(SecretPin::new)
}

/// `POST /credentials/{id}/change-pin`.
pub async fn change_pin(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<PinForm>,
) -> WebResult {
    let o = s.service.change_pin(&web.p, id, given(f.pin)).await?;
    answer(&s, &web, o, "PIN change queued.").await
}

/// The replace-a-lost-credential form: a card's new UID, or a PIN's new
/// PIN (blank: generate one). `Debug` redacts the PIN.
#[derive(Deserialize)]
pub struct ReplaceForm {
    /// The new card's UID (hex).
    uid: Option<String>,
    /// The new PIN.
    pin: Option<String>,
}

impl std::fmt::Debug for ReplaceForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplaceForm")
            .field("uid", &self.uid)
            .finish_non_exhaustive()
    }
}

/// `POST /credentials/{id}/replace`.
pub async fn replace(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<ReplaceForm>,
) -> WebResult {
    let uid = f.uid.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    let pin = given(f.pin);
    let with = match (uid, pin) {
        (Some(uid), None) => Replacement::Card(uid),
        (None, pin) => Replacement::Pin(pin),
        (Some(_), Some(_)) => {
            return Err(ServiceError::Invalid {
                field: "uid",
                reason: "give a card's uid or a PIN, not both".into(),
            }
            .into())
        }
    };
    let o = s.service.replace_credential(&web.p, id, with).await?;
    answer(&s, &web, o, "Replacement queued.").await
}

/// `POST /people/{id}/revoke`: `everywhere=1` (the person moves out), or
/// the ticked `lock`s.
pub async fn revoke(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let f = Fields(pairs);
    let lock_ids = if f.checked("everywhere") {
        None
    } else {
        let ids = f.ids("lock", "lock_ids")?;
        if ids.is_empty() {
            return Err(ServiceError::Invalid {
                field: "lock_ids",
                reason: "choose at least one door".into(),
            }
            .into());
        }
        Some(ids)
    };
    let o = s.service.revoke_person(&web.p, id, lock_ids).await?;
    answer(&s, &web, o, "Revocation queued.").await
}
