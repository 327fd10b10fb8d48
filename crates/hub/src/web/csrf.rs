//! Cross-site request forgery: every web request that changes something
//! carries a token only a page of this hub can know.
//!
//! The token is derived from the session token (a hash of it under a
//! fixed label), which sits in an `HttpOnly` cookie another site can
//! neither read nor compute from. So it needs no server-side state and
//! works on any hub of a cluster. Pages put it in a hidden `_csrf` field
//! of every form and in the `X-CSRF-Token` header htmx sends; [`guard`]
//! checks it on every request but GET and HEAD, before any handler runs,
//! so no route can forget it. Sign-in has no session yet: there the
//! browser's `Origin` (when sent) must be this hub.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::api::ApiError;

/// Form field that carries the token.
pub const FIELD: &str = "_csrf";
/// Header that carries the token (htmx requests).
pub const HEADER: &str = "x-csrf-token";
/// Largest form body the guard reads.
const MAX_FORM: usize = 64 * 1024;

/// The CSRF token of a session (32 hex digits).
pub fn token_for(session_token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"tumbler web csrf v1\0");
    h.update(session_token.as_bytes());
    let d = h.finalize();
    hex::encode(d.get(..16).unwrap_or_default())
}

/// True if `given` is the token of `session_token` (constant time).
pub fn matches(session_token: &str, given: &str) -> bool {
    let want = token_for(session_token);
    want.len() == given.len() && bool::from(want.as_bytes().ct_eq(given.as_bytes()))
}

/// The `_csrf` field of a URL-encoded form body.
pub fn form_token(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned())
}

fn refused(detail: &str) -> Response {
    let e = ApiError::new(StatusCode::FORBIDDEN, "csrf", "Form expired", detail);
    (e.status, super::page::error_page(&e)).into_response()
}

/// True if the request's `Origin`, when present, is the host it was sent to.
fn same_origin(req: &Request) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return true;
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let origin = origin.to_str().unwrap_or_default();
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or_default();
    !host.is_empty() && origin_host == host
}

/// The middleware: lets GET and HEAD through; checks every other request's
/// token (header, or the form's `_csrf` field) against its session.
pub async fn guard(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    if !same_origin(&req) {
        return refused("this form was sent from another site");
    }
    if req.uri().path() == "/login" {
        return next.run(req).await;
    }
    let Some(session) = super::session_token(req.headers()) else {
        // No session: the handler's extractor sends the browser to sign in.
        return next.run(req).await;
    };
    if let Some(given) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        if matches(&session, given) {
            return next.run(req).await;
        }
        return refused("reload the page and try again");
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
        return refused("the form is too large");
    };
    match form_token(&bytes) {
        Some(given) if matches(&session, &given) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => refused(
            "this form expired or did not come from this hub; reload the page and try again",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_belongs_to_its_session_only() {
        let t = token_for("tum_s_abc");
        assert_eq!(t.len(), 32);
        assert!(matches("tum_s_abc", &t));
        assert!(!matches("tum_s_abd", &t));
        assert!(!matches("tum_s_abc", &t[..31]));
        assert!(!matches("tum_s_abc", ""));
    }

    #[test]
    fn the_form_field_is_found_among_others() {
        assert_eq!(
            form_token(b"name=a%20b&_csrf=xyz&x=1").as_deref(),
            Some("xyz")
        );
        assert_eq!(form_token(b"name=a"), None);
    }
}
