//! The hub's own metrics (Prometheus text at `/metrics`), one registry per
//! hub: a [`metrics_exporter_prometheus::PrometheusRecorder`] held here and
//! never installed as the process-wide recorder, so several hubs in one
//! process (tests, `tumbler-load`) each count only their own traffic.
//!
//! Counters are bumped where things happen (the plane for frames and events,
//! the webhook worker for deliveries, the HTTP layer for latencies); gauges
//! that the database already knows (locks online, operations by kind and
//! state, queue depth) are read from it at each scrape ([`Metrics::render`]).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics::{Counter, Key, Label, Metadata, Recorder};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

/// What the database says at one scrape (read by `Store::hub_counts`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HubCounts {
    /// Claimed locks by stored presence (`online`, `offline`, `unresponsive`).
    pub locks_by_presence: Vec<(String, i64)>,
    /// Operations by (kind, state), every row the hub keeps.
    pub operations: Vec<(String, String, i64)>,
}

tokio::task_local! {
    /// The request id of the HTTP request being served (set by the HTTP
    /// layer around each handler, see [`with_request_id`]).
    static REQUEST_ID: Arc<str>;
}

/// Runs `f` as part of the request `id`: [`request_id`] answers it inside,
/// so an operation the request queues is stored with it.
pub async fn with_request_id<F: std::future::Future>(id: Arc<str>, f: F) -> F::Output {
    REQUEST_ID.scope(id, f).await
}

/// The id of the HTTP request this code runs for, if any.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.to_string()).ok()
}

/// A request id given by a caller is kept if it is 1..=64 characters of
/// `[A-Za-z0-9._:-]` (it goes into logs and a header); otherwise the hub
/// makes one.
pub fn acceptable_request_id(given: &str) -> bool {
    (1..=64).contains(&given.len())
        && given
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

/// Seconds: the buckets of `tumbler_http_request_duration_seconds`.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Names of every metric the hub exports (pinned: dashboards use them).
pub mod name {
    /// Claimed locks by presence (gauge, label `presence`).
    pub const LOCKS: &str = "tumbler_locks";
    /// Claimed locks online (gauge).
    pub const LOCKS_ONLINE: &str = "tumbler_locks_online";
    /// Operations by `kind` and `state` (gauge: rows the hub keeps).
    pub const OPERATIONS: &str = "tumbler_operations";
    /// Operations waiting to be sent or answered (gauge: pending + sent).
    pub const JOB_QUEUE: &str = "tumbler_job_queue_depth";
    /// Frames from locks taken off the broker (counter).
    pub const FRAMES_IN: &str = "tumbler_frames_in_total";
    /// Frames to locks handed to the broker (counter).
    pub const FRAMES_OUT: &str = "tumbler_frames_out_total";
    /// Frames from locks refused: tampered, replayed, forged (counter).
    pub const FRAMES_REJECTED: &str = "tumbler_frames_rejected_total";
    /// Lock events stored (counter).
    pub const EVENTS: &str = "tumbler_events_ingested_total";
    /// Webhook delivery attempts by `result` (counter).
    pub const WEBHOOKS: &str = "tumbler_webhook_deliveries_total";
    /// Webhook deliveries waiting (gauge).
    pub const WEBHOOK_QUEUE: &str = "tumbler_webhook_queue_depth";
    /// HTTP latency by `method`, `route` (template) and `status` (histogram).
    pub const HTTP: &str = "tumbler_http_request_duration_seconds";
}

const META: Metadata<'static> = Metadata::new("tumbler_hub", metrics::Level::INFO, None);

/// One hub's metrics; cheap to clone (shared).
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    recorder: PrometheusRecorder,
    frames_in: Counter,
    frames_out: Counter,
    frames_rejected: Counter,
    events: Counter,
    /// (kind, state) pairs set at an earlier scrape: set to 0 when they vanish.
    seen_ops: Mutex<HashSet<(String, String)>>,
    /// Presences set at an earlier scrape.
    seen_presence: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn labels(pairs: &[(&'static str, &str)]) -> Vec<Label> {
    pairs
        .iter()
        .map(|(k, v)| Label::new(*k, (*v).to_owned()))
        .collect()
}

impl Metrics {
    /// A fresh registry (nothing counted yet).
    pub fn new() -> Self {
        // Only an empty bucket list can fail; ours is a constant.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(name::HTTP.to_owned()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let counter = |n: &'static str| recorder.register_counter(&Key::from_static_name(n), &META);
        let inner = Inner {
            frames_in: counter(name::FRAMES_IN),
            frames_out: counter(name::FRAMES_OUT),
            frames_rejected: counter(name::FRAMES_REJECTED),
            events: counter(name::EVENTS),
            recorder,
            seen_ops: Mutex::default(),
            seen_presence: Mutex::default(),
        };
        Self(Arc::new(inner))
    }

    /// A frame came from a lock.
    pub fn frame_in(&self) {
        self.0.frames_in.increment(1);
    }

    /// A frame left for a lock.
    pub fn frame_out(&self) {
        self.0.frames_out.increment(1);
    }

    /// A frame from a lock was refused.
    pub fn frame_rejected(&self) {
        self.0.frames_rejected.increment(1);
    }

    /// `n` lock events were stored.
    pub fn events_ingested(&self, n: u64) {
        self.0.events.increment(n);
    }

    /// A webhook delivery attempt ended with `result` (`delivered`,
    /// `failed`, `timeout`).
    pub fn webhook_attempt(&self, result: &str) {
        self.0
            .recorder
            .register_counter(
                &Key::from_parts(name::WEBHOOKS, labels(&[("result", result)])),
                &META,
            )
            .increment(1);
    }

    /// An HTTP request to `route` (its template, never the concrete path:
    /// ids would make a series each) answered `status` after `took`.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let status = status.to_string();
        self.0
            .recorder
            .register_histogram(
                &Key::from_parts(
                    name::HTTP,
                    labels(&[("method", method), ("route", route), ("status", &status)]),
                ),
                &META,
            )
            .record(took.as_secs_f64());
    }

    fn gauge(&self, n: &'static str, pairs: &[(&'static str, &str)], v: i64) {
        #[allow(clippy::cast_precision_loss)]
        let v = v as f64;
        self.0
            .recorder
            .register_gauge(&Key::from_parts(n, labels(pairs)), &META)
            .set(v);
    }

    /// The text exposition, with the gauges set from `counts` and the
    /// webhook queue depth (when known) first.
    pub fn render(&self, counts: &HubCounts, webhook_queue: Option<i64>) -> String {
        let mut online = 0;
        let mut now_presence = HashSet::new();
        for (presence, n) in &counts.locks_by_presence {
            if presence == "online" {
                online = *n;
            }
            self.gauge(name::LOCKS, &[("presence", presence)], *n);
            now_presence.insert(presence.clone());
        }
        if let Ok(mut seen) = self.0.seen_presence.lock() {
            for gone in seen.difference(&now_presence) {
                self.gauge(name::LOCKS, &[("presence", gone)], 0);
            }
            seen.extend(now_presence);
        }
        self.gauge(name::LOCKS_ONLINE, &[], online);
        let mut queue = 0;
        let mut now_ops = HashSet::new();
        for (kind, state, n) in &counts.operations {
            if state == "pending" || state == "sent" {
                queue += n;
            }
            self.gauge(name::OPERATIONS, &[("kind", kind), ("state", state)], *n);
            now_ops.insert((kind.clone(), state.clone()));
        }
        if let Ok(mut seen) = self.0.seen_ops.lock() {
            for (kind, state) in seen.difference(&now_ops) {
                self.gauge(name::OPERATIONS, &[("kind", kind), ("state", state)], 0);
            }
            seen.extend(now_ops);
        }
        self.gauge(name::JOB_QUEUE, &[], queue);
        if let Some(n) = webhook_queue {
            self.gauge(name::WEBHOOK_QUEUE, &[], n);
        }
        self.0.recorder.handle().render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_registries_count_apart_and_vanished_series_read_zero() {
        let a = Metrics::new();
        let b = Metrics::new();
        a.frame_in();
        a.frame_in();
        b.frame_rejected();
        a.http_request("GET", "/api/v1/locks/{id}", 200, Duration::from_millis(3));
        let counts = HubCounts {
            locks_by_presence: vec![("online".into(), 2), ("offline".into(), 1)],
            operations: vec![("unlock".into(), "pending".into(), 3)],
        };
        let text = a.render(&counts, Some(0));
        assert!(text.contains("tumbler_frames_in_total 2"), "{text}");
        assert!(text.contains("tumbler_frames_rejected_total 0"), "{text}");
        assert!(text.contains("tumbler_locks_online 2"), "{text}");
        assert!(text.contains("tumbler_job_queue_depth 3"), "{text}");
        assert!(
            text.contains(r#"tumbler_http_request_duration_seconds_bucket{method="GET",route="/api/v1/locks/{id}",status="200",le="0.005"} 1"#),
            "{text}"
        );
        let text = b.render(&HubCounts::default(), None);
        assert!(text.contains("tumbler_frames_in_total 0"), "{text}");
        assert!(text.contains("tumbler_frames_rejected_total 1"), "{text}");
        // The pending unlock was answered: the series reads 0, not its old value.
        let text = a.render(
            &HubCounts {
                locks_by_presence: vec![],
                operations: vec![("unlock".into(), "applied".into(), 3)],
            },
            Some(0),
        );
        assert!(
            text.contains(r#"tumbler_operations{kind="unlock",state="pending"} 0"#),
            "{text}"
        );
        assert!(text.contains("tumbler_locks_online 0"), "{text}");
    }
}
