//! Delivers webhooks from the outbox ([`crate::store::webhooks`]): claims
//! the head of each lane (endpoint × lock, so one lock's events arrive in
//! order), signs it ([`crate::hooks::sign`]), POSTs it, logs the attempt,
//! schedules a retry with the configured backoff or gives up after the last
//! delay (a day by default), and disables an endpoint that failed
//! [`WebhookOptions::disable_after_failures`] times in a row over at least
//! [`WebhookOptions::disable_after`], with an alert.
//!
//! Addresses: every host name is resolved by [`CheckedResolver`], which
//! hands the HTTP client only addresses [`crate::hooks::target`] allows, so
//! the connection goes to a checked address; literal IPs are checked
//! before sending; redirects are not followed.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::config::WebhookOptions;
use crate::hooks::{sign, target};
use crate::model::AlertKind;
use crate::observe::Metrics;
use crate::store::alerts::NewAlert;
use crate::store::webhooks::{AttemptResult, DueDelivery};
use crate::store::{Store, StoreError};

/// Deliveries claimed per pass.
const BATCH: i64 = 32;

/// Resolves host names to the addresses the hub may call only.
#[derive(Debug, Clone, Copy)]
struct CheckedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let mut refused = None;
            let ok: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match target::address_allowed(a.ip(), allow) {
                    Ok(()) => true,
                    Err(e) => {
                        refused = Some(e);
                        false
                    }
                })
                .collect();
            if ok.is_empty() {
                let e: Box<dyn std::error::Error + Send + Sync> = match refused {
                    Some(e) => Box::new(e),
                    None => "the name has no address".into(),
                };
                return Err(e);
            }
            let addrs: reqwest::dns::Addrs = Box::new(ok.into_iter());
            Ok(addrs)
        })
    }
}

/// The delivery worker of one hub.
pub struct WebhookWorker {
    store: Store,
    clock: Arc<dyn Clock>,
    options: WebhookOptions,
    http: reqwest::Client,
    metrics: Metrics,
}

/// Why the worker could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the webhook HTTP client: {0}")]
pub struct WorkerError(#[from] reqwest::Error);

impl WebhookWorker {
    /// A worker over `store`, counting into `metrics`.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        options: WebhookOptions,
        metrics: Metrics,
    ) -> Result<Self, WorkerError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .user_agent(concat!(
                "tumbler-hub/",
                env!("CARGO_PKG_VERSION"),
                " webhooks"
            ))
            .dns_resolver(Arc::new(CheckedResolver {
                allow_private: options.allow_private,
            }))
            .build()?;
        Ok(Self {
            store,
            clock,
            options,
            http,
            metrics,
        })
    }

    /// Runs passes every [`WebhookOptions::poll`] until `shutdown`.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(self.options.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = tick.tick() => {}
            }
            if let Err(e) = self.pass().await {
                tracing::warn!(error = %e, "webhook pass failed; will retry");
            }
        }
    }

    /// One pass: claims the due heads of lanes and sends them, lanes in
    /// parallel. Returns how many were attempted.
    pub async fn pass(&self) -> Result<usize, StoreError> {
        let now = self.clock.now().as_millisecond();
        let lease = i64::try_from(self.options.timeout.as_millis())
            .unwrap_or(i64::MAX)
            .saturating_mul(3);
        let due = self.store.claim_deliveries(now, lease, BATCH).await?;
        let n = due.len();
        let results =
            futures_util::future::join_all(due.into_iter().map(|d| self.deliver(d))).await;
        for r in results {
            r?;
        }
        Ok(n)
    }

    async fn deliver(&self, d: DueDelivery) -> Result<(), StoreError> {
        let started = tokio::time::Instant::now();
        let ts_s = self.clock.now().as_second();
        let (status, error) = self.attempt(&d, ts_s).await;
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let now = self.clock.now().as_millisecond();
        let attempts = usize::try_from(d.delivery.attempts).unwrap_or(usize::MAX);
        let retry_at = match &error {
            None => None,
            Some(_) => self.options.retry_delays.get(attempts).map(|wait| {
                now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX))
            }),
        };
        let result = match (&error, retry_at) {
            (None, _) => "delivered",
            (Some(_), Some(_)) => "retrying",
            (Some(_), None) => "given_up",
        };
        self.metrics.webhook_attempt(result);
        tracing::info!(
            delivery = d.delivery.id,
            webhook = d.delivery.webhook_id,
            event = d.delivery.event,
            attempt = attempts.saturating_add(1),
            status,
            error = error.as_deref().unwrap_or(""),
            latency_ms,
            result,
            "webhook attempt"
        );
        let run = self
            .store
            .record_attempt(
                &d.delivery,
                &AttemptResult {
                    status,
                    error,
                    latency_ms,
                    retry_at,
                },
                now,
            )
            .await?;
        let span_ms = run.since.map_or(0, |s| now.saturating_sub(s));
        let period = i64::try_from(self.options.disable_after.as_millis()).unwrap_or(i64::MAX);
        if run.consecutive >= self.options.disable_after_failures && span_ms >= period {
            let reason = format!(
                "{} failed attempts in a row over {} s",
                run.consecutive,
                span_ms / 1000
            );
            if self
                .store
                .set_webhook_enabled(d.org_id, d.delivery.webhook_id, false, Some(&reason))
                .await?
            {
                tracing::warn!(
                    webhook = d.delivery.webhook_id,
                    reason,
                    "webhook endpoint disabled"
                );
                let msg = format!(
                    "webhook {} ({}) disabled: {reason}; fix the endpoint, then enable it again",
                    d.delivery.webhook_id,
                    redact_url(&d.url)
                );
                self.store
                    .raise_alert(
                        NewAlert {
                            org_id: d.org_id,
                            lock_id: None,
                            kind: AlertKind::WebhookDisabled,
                            message: Some(&msg),
                        },
                        now,
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// Sends once: `(status, None)` on a 2xx, else what went wrong.
    async fn attempt(&self, d: &DueDelivery, ts_s: i64) -> (Option<u16>, Option<String>) {
        let url = match target::check_url(&d.url) {
            Ok(u) => u,
            Err(e) => return (None, Some(e.to_string())),
        };
        // A literal address never reaches the resolver: check it here.
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal {
            if let Err(e) = target::address_allowed(ip, self.options.allow_private) {
                return (None, Some(e.to_string()));
            }
        }
        let body = d.payload.clone().into_bytes();
        let sig = sign::signature(&d.key, &d.delivery.msg_id, ts_s, &body);
        let res = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &d.delivery.msg_id)
            .header("webhook-timestamp", ts_s.to_string())
            .header("webhook-signature", sig)
            .body(body)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => (
                Some(r.status().as_u16()),
                Some(format!("answered {}", r.status().as_u16())),
            ),
            Err(e) if e.is_timeout() => (None, Some("timed out".into())),
            Err(e) => (None, Some(error_chain(&e.without_url()))),
        }
    }
}

/// A reqwest error (its URL taken off: a query may carry a receiver's
/// token) with its causes (the useful part is often the last).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out.chars().take(300).collect()
}

/// The URL without its query (receivers sometimes put tokens there).
fn redact_url(u: &str) -> String {
    u.split(['?', '#']).next().unwrap_or(u).to_owned()
}

/// How long after the first attempt a delivery is given up, with `delays`.
pub fn give_up_after(delays: &[Duration]) -> Duration {
    delays.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_spans_about_a_day() {
        let d = give_up_after(&WebhookOptions::default().retry_delays);
        assert!(
            d > Duration::from_secs(23 * 3600) && d <= Duration::from_secs(24 * 3600),
            "{d:?}"
        );
        assert_eq!(redact_url("https://x.test/h?token=abc"), "https://x.test/h");
    }
}
