//! [`AppState`]: what every handler gets.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::config::MetricsToken;
use crate::mqtt::LinkHealth;
use crate::service::Service;

/// What every handler gets: the service layer (and through it the lock
/// plane) and a way to wake the job runner. Holds no state another hub
/// process would need (except in-flight claims and queued PINs, which are
/// per request).
#[derive(Clone, Debug)]
pub struct AppState {
    /// The use cases.
    pub service: Service,
    /// Notified when work was queued, so the job runner does not wait for its tick.
    pub jobs: Arc<Notify>,
    /// The broker link's state and counters (`None`: no link, as in tests
    /// of the API alone).
    pub link: Option<LinkHealth>,
    /// The bearer token `/metrics` asks for (`None`: loopback clients only).
    pub metrics_token: Option<Arc<MetricsToken>>,
}

impl AppState {
    /// State over a service (its plane may have no broker link: claims then answer 503).
    pub fn new(service: Service) -> Self {
        Self {
            jobs: service.plane().wake_handle(),
            service,
            link: None,
            metrics_token: None,
        }
    }

    /// The same state reporting `link` in `/health`.
    pub fn with_link(mut self, link: LinkHealth) -> Self {
        self.link = Some(link);
        self
    }

    /// The same state asking `token` of `/metrics` readers.
    pub fn with_metrics_token(mut self, token: Option<MetricsToken>) -> Self {
        self.metrics_token = token.map(Arc::new);
        self
    }

    /// Wakes the job runner.
    pub fn wake_jobs(&self) {
        self.jobs.notify_one();
    }
}
