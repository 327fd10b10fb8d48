//! [`OpEnded`]: an in-process signal that an operation ended, so an API
//! call waiting for its answer (`?wait_ms=`) wakes at once instead of
//! polling the database.
//!
//! On PostgreSQL, the lock plane's `lease::relay_op_ends` feeds it the notifications of
//! every hub on the database (trigger `operations_ended`), so an answer
//! stored by another hub wakes this hub's waiters too.
//!
//! It is only a hint: a signal can be missed (a notification connection
//! dropped, or a path that ends operations in bulk does not say which), so
//! waiters also re-read the database at [`OpEnded::FALLBACK`] intervals. The
//! database stays the source of truth.

use std::time::Duration;

use tokio::sync::broadcast;

/// Signals buffered per waiter before it lags (a lagging waiter re-reads).
const CAPACITY: usize = 1024;

/// The sending side, shared by the lock plane, the job runner and the API;
/// cheap to clone (all clones feed the same receivers).
#[derive(Clone, Debug)]
pub struct OpEnded {
    /// `Some(id)`: that operation ended; `None`: some ended (re-read).
    tx: broadcast::Sender<Option<i64>>,
}

impl Default for OpEnded {
    fn default() -> Self {
        Self::new()
    }
}

impl OpEnded {
    /// How often a waiter re-reads the database anyway.
    pub const FALLBACK: Duration = Duration::from_millis(250);

    /// A new channel with no waiters.
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        Self { tx }
    }

    /// Operation `id` became final.
    pub fn ended(&self, id: i64) {
        // No receiver (nobody waits) is not an error.
        let _ = self.tx.send(Some(id));
    }

    /// Some operations became final, which ones is not known.
    pub fn some_ended(&self) {
        let _ = self.tx.send(None);
    }

    /// A waiter's receiver; subscribe before reading the operation, so an
    /// end between the read and the wait is not missed.
    pub fn subscribe(&self) -> OpEndedRx {
        OpEndedRx {
            rx: self.tx.subscribe(),
        }
    }
}

/// A waiter's side of [`OpEnded`].
#[derive(Debug)]
pub struct OpEndedRx {
    rx: broadcast::Receiver<Option<i64>>,
}

impl OpEndedRx {
    /// Resolves when some operation may have ended (any signal, a lag, or
    /// never once the channel closed).
    pub async fn any_ended(&mut self) {
        match self.rx.recv().await {
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
        }
    }

    /// Resolves when operation `id` may have ended: its own signal, a
    /// bulk signal, a lag (signals were dropped), or the channel closing.
    /// The caller re-reads the operation either way.
    pub async fn maybe_ended(&mut self, id: i64) {
        loop {
            match self.rx.recv().await {
                Ok(Some(other)) if other != id => {}
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => return,
                Err(broadcast::error::RecvError::Closed) => {
                    // Never again: let the fallback re-reads do the work.
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}
