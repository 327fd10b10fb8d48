//! People and access: people, granting and revoking access on doors, PIN
//! changes, the security-scare revoke, bulk batches with per-door results,
//! who can open a door, re-enrolment after a reset and its verification
//! report (JSON, or a printable page with `?format=html`).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::report_html::verification_html;
use super::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::api::AppState;
use crate::control::access::{AccessSchedule, VerificationReport};
use crate::control::SecretPin;
use crate::service::access::{
    AccessOutcome, BatchStatus, CredentialInput, GrantRequest, HolidayRequest, PersonDetail,
    ReenrolPerson, WhoCanOpen,
};
use crate::service::Principal;
use crate::store::access::{Person, VerificationRow};

/// Body of `POST /people`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonBody {
    /// Display name.
    pub name: String,
    /// Owners keep access through "revoke everyone except the owners".
    #[serde(default)]
    pub owner: bool,
}

/// A credential in a request. `Debug` redacts the PIN.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CredentialBody {
    /// `pin`, `card`, `fingerprint`, `app_key`.
    pub kind: String,
    /// The PIN (kind `pin`), unless `generate`.
    pub pin: Option<String>,
    /// Generate a PIN; it is returned once in the answer.
    #[serde(default)]
    pub generate: bool,
    /// Card UID, hex.
    pub uid: Option<String>,
    /// Fingerprint template slot.
    pub template: Option<u16>,
    /// App public key, hex.
    pub key: Option<String>,
    /// Label.
    pub label: Option<String>,
}

impl std::fmt::Debug for CredentialBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialBody")
            .field("kind", &self.kind)
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .field("generate", &self.generate)
            .finish_non_exhaustive()
    }
}

impl From<CredentialBody> for CredentialInput {
    fn from(b: CredentialBody) -> Self {
        CredentialInput {
            kind: b.kind,
            pin: b.pin.map(SecretPin::new),
            generate: b.generate,
            uid: b.uid,
            template: b.template,
            key: b.key,
            label: b.label,
        }
    }
}

/// Body of `POST /people/{id}/access`: one `credential` or several.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    /// The doors.
    pub lock_ids: Vec<i64>,
    /// When (default: permanent).
    pub schedule: Option<AccessSchedule>,
    /// One new credential.
    pub credential: Option<CredentialBody>,
    /// Several new credentials.
    #[serde(default)]
    pub credentials: Vec<CredentialBody>,
}

/// Body of `POST /people/{id}/revoke`.
#[derive(Debug, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    /// Only these doors (default: every door — the person moves out).
    pub lock_ids: Option<Vec<i64>>,
}

/// Body of `POST /credentials/{id}/change-pin`. `Debug` redacts the PIN.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ChangePinBody {
    /// The new PIN (default: generate one, returned once).
    pub pin: Option<String>,
}

impl std::fmt::Debug for ChangePinBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePinBody(<redacted>)")
    }
}

/// Body of `POST /credentials/{id}/replace`: a card's new UID, or a PIN's
/// new PIN (default for a PIN: generate one, returned once). `Debug`
/// redacts the PIN.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReplaceBody {
    /// The new card's UID (hex), for a lost card.
    pub uid: Option<String>,
    /// The new PIN, for a PIN.
    pub pin: Option<String>,
}

impl std::fmt::Debug for ReplaceBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplaceBody")
            .field("uid", &self.uid)
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Body of `POST /access/revoke-all-except-owners`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeAllBody {
    /// Must be `"revoke-all"`.
    pub confirm: String,
}

/// A person in `POST /locks/{id}/reenrol`. `Debug` redacts the PIN.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReenrolEntry {
    /// The person.
    pub person_id: i64,
    /// Their new PIN.
    pub pin: Option<String>,
    /// Generate a new PIN instead (returned once).
    #[serde(default)]
    pub generate_pin: bool,
}

impl std::fmt::Debug for ReenrolEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReenrolEntry")
            .field("person_id", &self.person_id)
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// Body of `POST /locks/{id}/reenrol`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReenrolBody {
    /// Who comes back (nobody else does).
    pub people: Vec<ReenrolEntry>,
}

/// Query of `GET /verifications/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationQuery {
    /// `json` (default) or `html`.
    pub format: Option<String>,
}

/// `GET /people`.
pub async fn list_people(
    State(s): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<Person>>, ApiError> {
    Ok(Json(s.service.list_people(&p).await?))
}

/// `POST /people`: 201.
pub async fn create_person(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<PersonBody>,
) -> Result<(StatusCode, Json<Person>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.service.create_person(&p, &b.name, b.owner).await?),
    ))
}

/// `GET /people/{id}`.
pub async fn get_person(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PersonDetail>, ApiError> {
    Ok(Json(s.service.person_detail(&p, id).await?))
}

fn accepted(o: AccessOutcome) -> (StatusCode, Json<AccessOutcome>) {
    (StatusCode::ACCEPTED, Json(o))
}

/// `POST /people/{id}/access`: 202 with the batch.
pub async fn grant(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<GrantBody>,
) -> Result<(StatusCode, Json<AccessOutcome>), ApiError> {
    let mut credentials: Vec<CredentialInput> = b.credentials.into_iter().map(Into::into).collect();
    if let Some(c) = b.credential {
        credentials.insert(0, c.into());
    }
    let o = s
        .service
        .grant(
            &p,
            id,
            GrantRequest {
                lock_ids: b.lock_ids,
                schedule: b.schedule.unwrap_or(AccessSchedule::Permanent),
                credentials,
            },
        )
        .await?;
    s.wake_jobs();
    Ok(accepted(o))
}

/// `POST /people/{id}/revoke`: 202 with the batch.
pub async fn revoke(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RevokeBody>,
) -> Result<(StatusCode, Json<AccessOutcome>), ApiError> {
    let o = s.service.revoke_person(&p, id, b.lock_ids).await?;
    s.wake_jobs();
    Ok(accepted(o))
}

/// `POST /credentials/{id}/change-pin`: 202 with the batch (and the PIN
/// once, if generated).
pub async fn change_pin(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ChangePinBody>,
) -> Result<(StatusCode, Json<AccessOutcome>), ApiError> {
    let o = s
        .service
        .change_pin(&p, id, b.pin.map(SecretPin::new))
        .await?;
    s.wake_jobs();
    Ok(accepted(o))
}

/// `POST /credentials/{id}/replace`: 202 with the batch.
pub async fn replace(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReplaceBody>,
) -> Result<(StatusCode, Json<AccessOutcome>), ApiError> {
    use crate::service::access::Replacement;
    let with = match (b.uid, b.pin) {
        (Some(uid), None) => Replacement::Card(uid),
        (None, pin) => Replacement::Pin(pin.map(SecretPin::new)),
        (Some(_), Some(_)) => {
            return Err(crate::service::ServiceError::Invalid {
                field: "uid",
                reason: "give a card's uid or a PIN, not both".into(),
            }
            .into())
        }
    };
    let o = s.service.replace_credential(&p, id, with).await?;
    s.wake_jobs();
    Ok(accepted(o))
}

/// `POST /access/revoke-all-except-owners`: 202 with the batch.
pub async fn revoke_all(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<RevokeAllBody>,
) -> Result<(StatusCode, Json<AccessOutcome>), ApiError> {
    if b.confirm != "revoke-all" {
        return Err(crate::service::ServiceError::ConfirmationRequired(
            "set confirm to \"revoke-all\": everyone but the owners loses access to every door"
                .into(),
        )
        .into());
    }
    let o = s.service.revoke_all_except_owners(&p).await?;
    s.wake_jobs();
    Ok(accepted(o))
}

/// Query of `GET /batches/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    /// Include the per-door list (default true; false: counts only).
    pub doors: Option<bool>,
}

/// `GET /batches/{id}`.
pub async fn batch(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<BatchQuery>,
) -> Result<Json<BatchStatus>, ApiError> {
    Ok(Json(
        s.service
            .batch_status(&p, id, q.doors.unwrap_or(true))
            .await?,
    ))
}

/// `GET /locks/{id}/who-can-open`.
pub async fn who_can_open(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<WhoCanOpen>>, ApiError> {
    Ok(Json(s.service.who_can_open(&p, id).await?))
}

/// `POST /locks/{id}/reenrol`: 202 with the batch.
pub async fn reenrol(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReenrolBody>,
) -> Result<(StatusCode, Json<AccessOutcome>), ApiError> {
    let people = b
        .people
        .into_iter()
        .map(|e| ReenrolPerson {
            person_id: e.person_id,
            pin: e.pin.map(SecretPin::new),
            generate_pin: e.generate_pin,
        })
        .collect();
    let o = s.service.reenrol(&p, id, people).await?;
    s.wake_jobs();
    Ok(accepted(o))
}

/// Body of `POST /locks/{id}/holidays`.
#[derive(Debug, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HolidayBody {
    /// Holiday slot 0..=3 (default 0).
    #[serde(default)]
    pub slot: u8,
    /// Start, site local time (`2026-12-24T00:00`).
    pub from: Option<String>,
    /// End, site local time.
    pub to: Option<String>,
    /// `vacation` (default), `privacy`, `passage`, `normal`.
    pub mode: Option<String>,
    /// Remove the holiday in `slot`.
    #[serde(default)]
    pub clear: bool,
}

/// `POST /locks/{id}/holidays`: 202 with the queued operation.
pub async fn holiday(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<HolidayBody>,
) -> Result<(StatusCode, Json<crate::model::Operation>), ApiError> {
    let op = s
        .service
        .set_holiday(
            &p,
            id,
            HolidayRequest {
                slot: b.slot,
                from: b.from,
                to: b.to,
                mode: b.mode,
                clear: b.clear,
            },
        )
        .await?;
    s.wake_jobs();
    Ok((StatusCode::ACCEPTED, Json(op)))
}

/// `POST /locks/{id}/verifications`: 202 with the running verification.
pub async fn start_verification(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<VerificationRow>), ApiError> {
    let v = s.service.start_verification(&p, id).await?;
    s.wake_jobs();
    Ok((StatusCode::ACCEPTED, Json(v)))
}

/// `GET /verifications/{id}`: JSON, or `?format=html` for the printable report.
pub async fn get_verification(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<VerificationQuery>,
) -> Result<Response, ApiError> {
    let v = s.service.get_verification(&p, id).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(v).into_response()),
        Some("html") => {
            let report: Option<VerificationReport> = v
                .report
                .as_ref()
                .and_then(|r| serde_json::from_value(r.clone()).ok());
            let Some(report) = report else {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "report_not_ready",
                    "Report not ready",
                    format!(
                        "the verification is {}{}",
                        v.state,
                        v.error.map(|e| format!(": {e}")).unwrap_or_default()
                    ),
                ));
            };
            Ok((
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                verification_html(&report),
            )
                .into_response())
        }
        Some(_) => Err(ApiError::invalid("format: json or html")),
    }
}
