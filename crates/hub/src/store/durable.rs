//! Group commit for SQLite: commits do not wait for the disk one by one;
//! whoever is about to *acknowledge* something (an HTTP answer to a user, a
//! frame to a lock) first waits on [`Store::durable`], and one `fdatasync`
//! of the write-ahead log covers every commit made before it started.
//!
//! SQLite runs in WAL mode with `synchronous = NORMAL`: a commit appends its
//! pages to the `-wal` file with `write()` and returns; the WAL is synced
//! before each checkpoint and the database file after it. So a transaction
//! is durable once the WAL file has been synced after its commit (or it was
//! checkpointed, which syncs). A process crash never loses a commit (the
//! pages are in the kernel); a power cut may lose commits that nobody has
//! been told about yet, which is allowed.
//!
//! PostgreSQL commits are durable when `COMMIT` returns (its own WAL flush
//! already groups concurrent commits), so [`Store::durable`] is free there.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use super::{Store, StoreError};

/// The barrier of one SQLite database file.
#[derive(Debug)]
pub(crate) struct Barrier {
    wal: PathBuf,
    /// Tickets handed out: one per caller of [`Barrier::wait`].
    asked: AtomicU64,
    /// Every ticket up to this one is covered by a finished sync.
    synced: AtomicU64,
    /// One sync at a time; callers queue here and usually find their ticket
    /// covered by the sync that ran while they waited.
    syncing: Mutex<()>,
    /// Syncs run (for figures: callers ÷ syncs is the grouping).
    syncs: AtomicU64,
}

impl Barrier {
    pub(crate) fn new(db: &std::path::Path) -> Self {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        Self {
            wal: PathBuf::from(wal),
            asked: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            syncing: Mutex::new(()),
            syncs: AtomicU64::new(0),
        }
    }

    /// Returns once everything committed before this call is on disk.
    pub(crate) async fn wait(&self) -> Result<(), StoreError> {
        // Every commit this caller made happened before it took its ticket.
        let ticket = self.asked.fetch_add(1, Ordering::SeqCst) + 1;
        if self.synced.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let _turn = self.syncing.lock().await;
        if self.synced.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        // Covers every ticket taken so far: their commits came before it.
        let upto = self.asked.load(Ordering::SeqCst);
        let wal = self.wal.clone();
        tokio::task::spawn_blocking(move || sync_file(&wal))
            .await
            .map_err(|e| StoreError::LogicBug(format!("sync task: {e}")))?
            .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        self.syncs.fetch_add(1, Ordering::Relaxed);
        self.synced.fetch_max(upto, Ordering::SeqCst);
        Ok(())
    }

    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.asked.load(Ordering::Relaxed),
            self.syncs.load(Ordering::Relaxed),
        )
    }
}

/// `fdatasync` of the WAL file. A missing WAL means everything was
/// checkpointed into the (synced) database file and the WAL removed.
fn sync_file(path: &std::path::Path) -> std::io::Result<()> {
    match std::fs::OpenOptions::new().read(true).open(path) {
        Ok(f) => f.sync_data(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

impl Store {
    /// Waits until every commit this task made before the call is on disk.
    /// Call it before telling anyone outside the hub that something was
    /// stored: an HTTP answer to a change, a frame that acknowledges or was
    /// sealed with a persisted counter. Concurrent callers share one sync.
    pub async fn durable(&self) -> Result<(), StoreError> {
        match &self.barrier {
            Some(b) => b.wait().await,
            None => Ok(()),
        }
    }

    /// `(callers, syncs)` of the durability barrier so far (SQLite), for
    /// figures: how many acknowledgements each disk sync covered.
    pub fn durable_counts(&self) -> Option<(u64, u64)> {
        self.barrier.as_ref().map(|b| b.counts())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::DatabaseConfig;
    use crate::store::{Store, StoreOptions};

    async fn sqlite() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(StoreOptions::new(DatabaseConfig::Sqlite {
            path: dir.path().join("hub.db"),
        }))
        .await
        .unwrap();
        (dir, store)
    }

    /// Commits no longer wait for the disk one by one (`synchronous =
    /// NORMAL` on every pooled connection); the barrier does.
    #[tokio::test]
    async fn commits_are_synced_by_the_barrier_not_one_by_one() {
        let (_dir, store) = sqlite().await;
        for _ in 0..3 {
            let mode: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(store.pool())
                .await
                .unwrap();
            assert_eq!(mode, 1, "synchronous must be NORMAL (1)");
        }
        store.durable().await.unwrap();
        assert_eq!(store.durable_counts(), Some((1, 1)));
        store.close().await;
    }

    /// Callers arriving while a sync runs share the next one: 64 at once
    /// need far fewer than 64 syncs, and every one of them returns.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_syncs() {
        let (_dir, store) = sqlite().await;
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(store.pool())
            .await
            .unwrap();
        let mut set = tokio::task::JoinSet::new();
        for i in 0..64_i64 {
            let s = store.clone();
            set.spawn(async move {
                sqlx::query("INSERT INTO t (x) VALUES ($1)")
                    .bind(i)
                    .execute(s.pool())
                    .await
                    .unwrap();
                s.durable().await.unwrap();
            });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap();
        }
        let (callers, syncs) = store.durable_counts().unwrap();
        assert_eq!(callers, 64);
        assert!((1..64).contains(&syncs), "{syncs} syncs for 64 callers");
        store.close().await;
    }
}
