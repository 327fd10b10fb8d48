//! The web app through the hub's router without a socket: a signed-in
//! browser is a session token in the `tumbler_session` cookie, and its
//! forms carry that session's CSRF token.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use tumbler_hub::web::{csrf, SESSION_COOKIE};

use crate::hub::HasState;

/// An answer: status, headers, body as text.
#[derive(Debug)]
pub struct Page {
    /// HTTP status.
    pub status: StatusCode,
    /// Headers (`location` after a form, `set-cookie` after sign-in).
    pub headers: HeaderMap,
    /// The HTML (or other text).
    pub body: String,
}

impl Page {
    /// Where a redirect leads.
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }
}

/// A browser signed in with `session` (a session token from a login).
#[derive(Debug, Clone)]
pub struct Browser {
    /// The session token (the cookie's value).
    pub session: String,
}

impl Browser {
    /// A browser holding `session`.
    pub fn new(session: &str) -> Self {
        Self {
            session: session.to_string(),
        }
    }

    /// The CSRF token its pages carry.
    pub fn csrf(&self) -> String {
        csrf::token_for(&self.session)
    }

    /// `GET path`.
    pub async fn get(&self, app: &impl HasState, path: &str) -> Page {
        let req = Request::get(path)
            .header("cookie", format!("{SESSION_COOKIE}={}", self.session))
            .body(Body::empty())
            .unwrap();
        send(app, req).await
    }

    /// Submits a form to `path` with `fields` and the CSRF token.
    pub async fn post(&self, app: &impl HasState, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push((csrf::FIELD, &csrf));
        self.post_raw(app, path, &all).await
    }

    /// Submits a form to `path` with exactly `fields` (no CSRF token added).
    pub async fn post_raw(&self, app: &impl HasState, path: &str, fields: &[(&str, &str)]) -> Page {
        let req = Request::post(path)
            .header("cookie", format!("{SESSION_COOKIE}={}", self.session))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(encode(fields)))
            .unwrap();
        send(app, req).await
    }
}

/// A URL-encoded form body.
pub fn encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sends a prepared request through the whole app.
pub async fn send(app: &impl HasState, req: Request<Body>) -> Page {
    let res = tumbler_hub::app(app.app_state().clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Page {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}
