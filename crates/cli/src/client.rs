//! A small HTTP client for the hub's API: bearer token, the API's own
//! request types (`tumbler_hub::api::*`) serialised as JSON, answers read
//! into the hub's own answer types ([`Answer`]), problem details turned into
//! [`CliError`]s with exit codes.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tumbler_hub::api::error::Problem;

use crate::config::ClientConfig;
use crate::exit::{self, CliError};

/// Default hub URL (what `tumbler up` listens on).
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

/// An answer of the hub: its JSON as received (what `--json` prints) and
/// the same read once into the hub's own type (what everything else uses).
/// No `Debug`: the JSON may hold a secret (a login's token) that the typed
/// body redacts.
#[derive(Clone)]
pub struct Answer<T> {
    /// The JSON as the hub sent it (`null` for 204).
    pub json: Value,
    /// The typed answer.
    pub body: T,
}

impl<T: DeserializeOwned> Answer<T> {
    /// Reads `json` into `T`; an answer of another shape is an error (the
    /// hub and this CLI disagree), never a silently empty field.
    pub fn read(json: Value) -> Result<Self, CliError> {
        let body = T::deserialize(&json).map_err(|e| {
            CliError::new(
                exit::FAILURE,
                format!("the hub's answer is not what this CLI expects: {e}"),
            )
        })?;
        Ok(Self { json, body })
    }
}

/// A client for one hub.
pub struct Api {
    http: reqwest::Client,
    /// Base URL without trailing slash.
    pub base: String,
    token: Option<String>,
}

impl Api {
    /// From the saved config, with an optional URL override.
    pub fn new(cfg: &ClientConfig, url: Option<&str>) -> Self {
        let base = url
            .map(str::to_owned)
            .or_else(|| cfg.url.clone())
            .unwrap_or_else(|| DEFAULT_URL.to_owned())
            .trim_end_matches('/')
            .to_owned();
        Self {
            http: reqwest::Client::new(),
            base,
            token: cfg.token.clone(),
        }
    }

    /// Requires a saved token.
    pub fn require_login(&self) -> Result<(), CliError> {
        if self.token.is_none() {
            return Err(CliError::new(
                exit::UNAUTHENTICATED,
                "not logged in: run `tumbler login` first",
            ));
        }
        Ok(())
    }

    /// Sends a request with an optional JSON body; returns the JSON answer
    /// (Null for 204).
    pub async fn call<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Value, CliError> {
        let url = format!("{}/api/v1{}", self.base, path);
        let mut req = self.http.request(method, &url);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.map_err(|e| {
            CliError::new(
                exit::UNREACHABLE,
                format!("cannot reach the hub at {}: {e}", self.base),
            )
        })?;
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = res
            .bytes()
            .await
            .map_err(|e| CliError::new(exit::UNREACHABLE, format!("reading the answer: {e}")))?;
        let json: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|_| {
                CliError::new(
                    exit::FAILURE,
                    format!("the hub answered {status} with a non-JSON body"),
                )
            })?
        };
        if (200..300).contains(&status) {
            return Ok(json);
        }
        // Not every error body is the hub's (a proxy in front of it may
        // answer): a body that is not a problem document reads as empty.
        let problem = Problem::deserialize(&json).unwrap_or_default();
        let code = if problem.code.is_empty() {
            "error"
        } else {
            &problem.code
        };
        let mut msg = format!("{code}: {}", problem.detail);
        if status == 401 {
            msg.push_str(" (run `tumbler login`)");
        }
        if let Some(wait) = refusal_wait(status, retry_after) {
            msg.push_str(&format!(" (wait {wait} and try again)"));
        }
        Err(CliError::new(exit::for_status(status), msg))
    }

    /// GET.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Answer<T>, CliError> {
        Answer::read(self.call::<()>(Method::GET, path, None).await?)
    }

    /// POST with a request body (one of the API's body types).
    pub async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Answer<T>, CliError> {
        Answer::read(self.call(Method::POST, path, Some(body)).await?)
    }

    /// PATCH with a request body (one of the API's body types).
    pub async fn patch<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Answer<T>, CliError> {
        Answer::read(self.call(Method::PATCH, path, Some(body)).await?)
    }

    /// PUT with a request body (one of the API's body types).
    pub async fn put<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Answer<T>, CliError> {
        Answer::read(self.call(Method::PUT, path, Some(body)).await?)
    }

    /// POST without a body.
    pub async fn post_empty<T: DeserializeOwned>(&self, path: &str) -> Result<Answer<T>, CliError> {
        Answer::read(self.call::<()>(Method::POST, path, None).await?)
    }

    /// DELETE (the hub answers 204, no body).
    pub async fn delete(&self, path: &str) -> Result<(), CliError> {
        self.call::<()>(Method::DELETE, path, None).await?;
        Ok(())
    }
}

/// For a 429 or 503 with `Retry-After`, the wait in words ("12 s",
/// "4 min 5 s"); `None` for other answers.
pub fn refusal_wait(status: u16, retry_after: Option<u64>) -> Option<String> {
    if !matches!(status, 429 | 503) {
        return None;
    }
    let secs = retry_after?;
    Some(if secs >= 60 {
        format!("{} min {} s", secs / 60, secs % 60)
    } else {
        format!("{secs} s")
    })
}

/// Builds `?a=1&b=x` from optional pairs (values URL-encoded).
pub fn query(pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
