//! A webhook receiver on `127.0.0.1:0` for tests: records every request
//! (headers and body), answers 500 to the first N, can be slow, and can be
//! stopped and started again on the same port (a receiver that restarts).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use tokio::sync::watch;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: String,
    /// The raw body.
    pub body: Vec<u8>,
    /// What the receiver answered.
    pub status: u16,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}

#[derive(Debug, Default)]
struct Behaviour {
    fail_next: usize,
    delay: Duration,
    log: Vec<Received>,
}

/// The receiver; cheap to clone.
#[derive(Debug, Clone)]
pub struct Receiver {
    /// Where it listens (the same across restarts).
    pub addr: SocketAddr,
    state: Arc<Mutex<Behaviour>>,
    stop: Arc<Mutex<Option<watch::Sender<bool>>>>,
}

async fn hook(
    State(st): State<Arc<Mutex<Behaviour>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let delay = st.lock().map(|b| b.delay).unwrap_or_default();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let Ok(mut b) = st.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    let status = if b.fail_next > 0 {
        b.fail_next -= 1;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    };
    b.log.push(Received {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp").parse().unwrap_or(0),
        signature: h("webhook-signature"),
        body: body.to_vec(),
        status: status.as_u16(),
    });
    status
}

impl Receiver {
    /// Starts on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let r = Self {
            addr: listener.local_addr()?,
            state: Arc::default(),
            stop: Arc::default(),
        };
        r.serve(listener);
        Ok(r)
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let (tx, mut rx) = watch::channel(false);
        if let Ok(mut s) = self.stop.lock() {
            *s = Some(tx);
        }
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(self.state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.wait_for(|s| *s).await;
                })
                .await;
        });
    }

    /// `http://127.0.0.1:PORT/hook`.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Answers 500 to the next `n` requests.
    pub fn fail_next(&self, n: usize) {
        if let Ok(mut b) = self.state.lock() {
            b.fail_next = n;
        }
    }

    /// Waits this long before answering.
    pub fn set_delay(&self, d: Duration) {
        if let Ok(mut b) = self.state.lock() {
            b.delay = d;
        }
    }

    /// Everything received so far.
    pub fn log(&self) -> Vec<Received> {
        self.state.lock().map(|b| b.log.clone()).unwrap_or_default()
    }

    /// The requests answered 2xx.
    pub fn accepted(&self) -> Vec<Received> {
        self.log().into_iter().filter(|r| r.status < 300).collect()
    }

    /// Stops listening (the port is closed: connections are refused).
    pub async fn stop(&self) {
        if let Some(tx) = self.stop.lock().ok().and_then(|mut s| s.take()) {
            let _ = tx.send(true);
        }
        // Let the server task drop its listener.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    /// Listens again on the same port.
    pub async fn restart(&self) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        self.serve(listener);
        Ok(())
    }
}
