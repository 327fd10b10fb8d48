//! The edge that fetches rental reservation feeds over HTTP(S): conditional
//! requests (`If-None-Match`, `If-Modified-Since`), a size and time limit, and
//! the backoff rule for failures. What a feed says is decided elsewhere
//! (`service::rentals::{feed, diff}`, pure).

use std::time::Duration;

/// Largest feed body read (an Airbnb export of a busy year is ~50 KiB).
pub const MAX_FEED_BYTES: usize = 4 * 1024 * 1024;

/// What a fetch brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// `304 Not Modified`: the validators still hold; nothing to read.
    NotModified,
    /// A body with the validators to send next time.
    Body {
        /// The text.
        text: String,
        /// `ETag`.
        etag: Option<String>,
        /// `Last-Modified`.
        last_modified: Option<String>,
    },
}

/// Why a fetch failed (the feed is left as it was).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server answered with an error status.
    #[error("HTTP {0}")]
    Status(u16),
    /// Connecting, TLS, reading or the time limit.
    #[error("transport: {0}")]
    Transport(String),
    /// The body is larger than [`MAX_FEED_BYTES`].
    #[error("feed larger than {MAX_FEED_BYTES} bytes")]
    TooLarge,
}

/// An HTTP client for feeds (one per hub; connections pooled).
#[derive(Debug, Clone)]
pub struct FeedClient {
    http: reqwest::Client,
}

impl FeedClient {
    /// A client with a 20 s time limit and at most 5 redirects.
    pub fn new() -> Result<Self, FetchError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("tumbler-hub/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Transport(e.to_string()))?;
        Ok(FeedClient { http })
    }

    /// Fetches `url`, conditional on the validators of the last fetch.
    pub async fn fetch(
        &self,
        url: &str,
        etag: Option<&str>,
        last_modified: Option<&str>,
    ) -> Result<Fetched, FetchError> {
        let mut req = self
            .http
            .get(url)
            .header("Accept", "text/calendar, */*;q=0.5");
        if let Some(e) = etag {
            req = req.header("If-None-Match", e);
        }
        if let Some(m) = last_modified {
            req = req.header("If-Modified-Since", m);
        }
        let mut resp = req
            .send()
            .await
            .map_err(|e| FetchError::Transport(e.without_url().to_string()))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (etag, last_modified) = (header("etag"), header("last-modified"));
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| FetchError::Transport(e.without_url().to_string()))?
        {
            if body.len() + chunk.len() > MAX_FEED_BYTES {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body {
            text: String::from_utf8_lossy(&body).into_owned(),
            etag,
            last_modified,
        })
    }
}

/// When to poll again after `failures` failures in a row (0: success):
/// the interval on success, then 1, 2, 4, … minutes, never beyond the
/// interval's 4× nor beyond 6 hours.
pub fn next_poll_after(interval_ms: i64, failures: i64) -> i64 {
    if failures <= 0 {
        return interval_ms;
    }
    let step = 60_000i64.saturating_mul(1i64 << (failures - 1).clamp(0, 20));
    step.min(interval_ms.saturating_mul(4))
        .clamp(1_000, 6 * 3_600_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_bounded() {
        let i = 15 * 60_000;
        assert_eq!(next_poll_after(i, 0), i);
        assert_eq!(next_poll_after(i, 1), 60_000);
        assert_eq!(next_poll_after(i, 2), 120_000);
        assert_eq!(next_poll_after(i, 3), 240_000);
        assert_eq!(next_poll_after(i, 30), 4 * i);
        assert_eq!(next_poll_after(24 * 3_600_000, 30), 6 * 3_600_000);
    }
}
