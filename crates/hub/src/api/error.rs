//! The one error type at the HTTP edge: RFC 9457 problem details with a
//! stable `code`. Internal failures are logged and hidden from the caller.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use serde::{Deserialize, Serialize};

use crate::service::ServiceError;

/// The body of an error answer (RFC 9457 problem details plus `code`), as
/// the hub writes it and the CLI reads it. Missing members read as empty:
/// an error page from something in front of the hub is not a problem
/// document, and what it does say is still shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Problem {
    /// `https://tumbler.invalid/problems/<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short human summary of the kind of problem.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// This occurrence's explanation.
    pub detail: String,
    /// Stable code for programs (`not_found`, `invalid_input`, …).
    pub code: String,
}

/// An error answer: status, stable machine code, human text.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code for programs (`not_found`, `invalid_input`, …).
    pub code: &'static str,
    /// Short human summary of the kind of problem.
    pub title: &'static str,
    /// This occurrence's explanation (never internals or secrets).
    pub detail: String,
    /// Seconds for a `Retry-After` header (429, 503), if known.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// A new error.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            title,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// The same error with a `Retry-After: secs` header.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// 400 `invalid_input`.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "Invalid input",
            detail,
        )
    }

    /// 404 `not_found`.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Not found",
            "no such resource",
        )
    }

    /// 401 `unauthenticated`.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Not authenticated",
            "a valid bearer token is required",
        )
    }

    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the hub could not complete the request; see its log",
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Unauthenticated => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Not authenticated",
                "invalid credentials or token",
            ),
            ServiceError::Forbidden => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                "your role does not allow this",
            ),
            ServiceError::NotOperator => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                "only a hub operator may do this (the first run's admin is one)",
            ),
            ServiceError::NotFound => ApiError::not_found(),
            ServiceError::Missing { what, id } => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "Not found",
                format!("no {what} {id} in your organisation"),
            ),
            ServiceError::Invalid { field, reason } => {
                ApiError::invalid(format!("{field}: {reason}"))
            }
            ServiceError::Refused { field, reason } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "refused",
                "Refused",
                format!("{field}: {reason}"),
            ),
            ServiceError::Conflict(what) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "Conflict",
                format!("{what} already exists"),
            ),
            ServiceError::InUse => ApiError::new(
                StatusCode::CONFLICT,
                "in_use",
                "Still in use",
                "remove what depends on it first",
            ),
            ServiceError::LastOwner => ApiError::new(
                StatusCode::CONFLICT,
                "last_owner",
                "Last owner",
                "an organisation keeps at least one owner",
            ),
            ServiceError::WrongSetupCode => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "wrong_setup_code",
                "Wrong setup code",
                "the lock refused the setup code; nothing was stored",
            ),
            ServiceError::ClaimedElsewhere => ApiError::new(
                StatusCode::CONFLICT,
                "claimed_by_another_org",
                "Claimed by another organisation",
                "this lock belongs to another organisation; it must be released or transferred first",
            ),
            ServiceError::WrongState(why) => ApiError::new(
                StatusCode::CONFLICT,
                "wrong_lock_state",
                "Wrong lock state",
                why,
            ),
            ServiceError::ClaimInProgress => ApiError::new(
                StatusCode::CONFLICT,
                "claim_in_progress",
                "Claim in progress",
                "another claim of this lock is running; try again in a few seconds",
            ),
            ServiceError::LockTimeout => ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "lock_timeout",
                "The lock did not answer",
                "the lock did not answer in time: is it online and in setup mode?",
            ),
            ServiceError::ClaimThrottled { retry_after_s } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "claim_throttled",
                "The lock refuses claims for now",
                format!(
                    "the lock refuses claims for {retry_after_s} s after too many wrong setup codes; \
                     this request cost no attempt — try again then, with the code on its label"
                ),
            )
            .with_retry_after(u64::from(retry_after_s)),
            ServiceError::ClaimFailed(why) => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "claim_failed",
                "Claim failed",
                why,
            ),
            ServiceError::LinkUnavailable => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "lock_link_unavailable",
                "No link to the locks",
                "this hub is not connected to a broker",
            ),
            ServiceError::ManufacturerKeyMissing => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "manufacturer_key_missing",
                "No manufacturer key",
                "this hub has no manufacturer signing key configured",
            ),
            ServiceError::ConfirmationRequired(what) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "confirmation_required",
                "Confirmation required",
                what,
            ),
            ServiceError::TooManyAttempts { retry_after_s } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "Too many failed logins",
                format!(
                    "too many failed logins for this account or from this address; \
                     try again in {retry_after_s} s"
                ),
            )
            .with_retry_after(retry_after_s),
            ServiceError::Busy { retry_after_s } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "Busy",
                format!("the hub is busy checking passwords; try again in {retry_after_s} s"),
            )
            .with_retry_after(retry_after_s),
            ServiceError::BadSetting(what) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_setting",
                "Invalid setting",
                what,
            ),
            other => {
                tracing::error!(error = %other, "request failed");
                ApiError::internal()
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
                "send a JSON body with Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(_) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Body rejected",
                "the request body could not be read or is too large",
            ),
            other => ApiError::invalid(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::invalid(r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::invalid(r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: format!("https://tumbler.invalid/problems/{}", self.code),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.to_owned(),
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}
