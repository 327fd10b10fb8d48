//! A small HTTP client for the hub's API: bearer token, the API's own
//! request types (`tumbler_hub::api::*`) serialised as JSON, answers as JSON,
//! problem details turned into [`CliError`]s with exit codes.

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use crate::config::ClientConfig;
use crate::exit::{self, CliError};

/// Default hub URL (what `tumbler up` listens on).
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

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
        let detail = json.get("detail").and_then(Value::as_str).unwrap_or("");
        let code = json.get("code").and_then(Value::as_str).unwrap_or("error");
        let mut msg = format!("{code}: {detail}");
        if status == 401 {
            msg.push_str(" (run `tumbler login`)");
        }
        Err(CliError::new(exit::for_status(status), msg))
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Result<Value, CliError> {
        self.call::<()>(Method::GET, path, None).await
    }

    /// POST with a request body (one of the API's body types).
    pub async fn post<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Value, CliError> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str) -> Result<Value, CliError> {
        self.call::<()>(Method::POST, path, None).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> Result<Value, CliError> {
        self.call::<()>(Method::DELETE, path, None).await
    }
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
