//! Frames to locks that must not leave before what stands behind them is on
//! disk: sealed under a persisted counter, or acknowledging stored records.
//! They queue here in the order they were sealed; one task takes whatever
//! has queued, waits once on [`Store::durable`] (one disk sync covers the
//! whole group) and publishes them in order. Nobody handling a frame from a
//! lock waits for the disk (issue 14: group commit).

use tokio::sync::mpsc;

use crate::mqtt::Publisher;
use crate::store::Store;

/// Frames queued before sealing waits for room (each is at most a few
/// hundred bytes).
const QUEUE: usize = 65_536;

/// Most frames published per disk sync.
const GROUP: usize = 4_096;

/// The sending end; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Outbox {
    tx: mpsc::Sender<(String, Vec<u8>)>,
}

/// Why a frame was not queued.
#[derive(Debug)]
pub(crate) struct Closed;

impl Outbox {
    /// Starts the task publishing through `link` after syncing `store`.
    pub(crate) fn start(store: Store, link: Publisher) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, link, rx));
        Self { tx }
    }

    /// Queues `frame` for `serial`'s `down` topic.
    pub(crate) async fn send(&self, serial: &str, frame: Vec<u8>) -> Result<(), Closed> {
        self.tx
            .send((serial.to_owned(), frame))
            .await
            .map_err(|_| Closed)
    }
}

async fn run(store: Store, link: Publisher, mut rx: mpsc::Receiver<(String, Vec<u8>)>) {
    let mut group = Vec::with_capacity(64);
    while rx.recv_many(&mut group, GROUP).await > 0 {
        // Everything in the group was committed before it was queued.
        if let Err(e) = store.durable().await {
            // Not on disk: publishing could reuse a counter after a power
            // cut. Drop the group; operations are sent again, log records
            // are kept by the lock until acknowledged.
            tracing::error!(error = %e, frames = group.len(), "disk sync failed; frames to locks dropped");
            group.clear();
            continue;
        }
        for (serial, frame) in group.drain(..) {
            if let Err(e) = link.publish_down(&serial, frame).await {
                tracing::debug!(serial, error = ?e, "frame to lock not published");
            }
        }
    }
}
