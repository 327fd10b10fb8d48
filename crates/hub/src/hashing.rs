//! A bounded pool for password hashing: a fixed number of worker threads,
//! each with its own argon2 memory reused from hash to hash, behind a
//! bounded queue that refuses work at once when full.
//!
//! Why: argon2 takes `m_cost` KiB per hash (19 MiB by default). Handing
//! each login to `spawn_blocking` let a flood run up to 512 hashes at once
//! on as many threads, each with its own malloc arena that keeps its freed
//! memory: 64 concurrent wrong logins took the hub to gigabytes, never
//! returned. Here at most `workers` hashes run at once, their memory is
//! allocated once per worker, and a full queue answers
//! [`HashError::Busy`] instead of piling requests up.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use argon2::Block;
use tokio::sync::oneshot;

use crate::secrets::{self, PasswordParams, SecretError};

/// Why a hashing request was not served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// Every worker is busy and the wait queue is full: try again shortly.
    #[error("password hashing is busy")]
    Busy,
    /// The pool's workers are gone (they only stop when the pool is dropped).
    #[error("password hashing workers stopped")]
    Stopped,
    /// Hashing itself failed (random source, parameters).
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// How big the pool is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashPoolConfig {
    /// Hashes computed at once (one thread each). Default: the number of cores.
    pub workers: usize,
    /// Requests that may wait for a worker; one more is refused at once.
    /// Default: four per worker.
    pub queue: usize,
}

impl Default for HashPoolConfig {
    fn default() -> Self {
        let workers = std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(2)
            .clamp(1, 16);
        Self {
            workers,
            queue: workers.saturating_mul(4),
        }
    }
}

/// One unit of work: runs on a worker with that worker's argon2 memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The pool; cheap to clone. The workers end when the last clone is dropped.
#[derive(Clone)]
pub struct HashPool {
    tx: SyncSender<Job>,
    config: HashPoolConfig,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPool")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HashPool {
    /// Starts `config.workers` threads (at least one).
    pub fn start(config: HashPoolConfig) -> std::io::Result<Self> {
        let workers = config.workers.max(1);
        // The channel's own buffer is the wait queue: `try_send` fails when
        // it is full, which is the refusal.
        let (tx, rx) = sync_channel::<Job>(config.queue);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("tumbler-hash-{i}"))
                .spawn(move || work(&rx))?;
        }
        Ok(Self {
            tx,
            config: HashPoolConfig {
                workers,
                queue: config.queue,
            },
        })
    }

    /// The pool's size.
    pub fn config(&self) -> HashPoolConfig {
        self.config
    }

    /// Queues `f` for a worker and returns where its result will arrive;
    /// [`HashError::Busy`] at once if the queue is full.
    fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<oneshot::Receiver<T>, HashError> {
        let (done, answer) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            // The asker may have gone (request cancelled): nothing to do then.
            let _ = done.send(f(memory));
        });
        match self.tx.try_send(job) {
            Ok(()) => Ok(answer),
            Err(TrySendError::Full(_)) => Err(HashError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(HashError::Stopped),
        }
    }

    /// Runs `f` on a worker (see [`HashPool::submit`]).
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        self.submit(f)?.await.map_err(|_| HashError::Stopped)
    }

    /// Takes one worker until the returned guard is dropped, or `None` if
    /// none became free (bounded retries, about `wait`). For tests (and drills) that need a
    /// saturated pool without racing real hashes; blocks the calling thread.
    pub fn occupy(&self, wait: std::time::Duration) -> Option<Occupied> {
        // No clock in library code: bounded retries, yielding between them.
        let mut tries = wait.as_millis().saturating_mul(1_000);
        loop {
            let (started, is_started) = std::sync::mpsc::channel::<()>();
            let (release, wait_release) = std::sync::mpsc::channel::<()>();
            let submitted = self.submit(move |_| {
                let _ = started.send(());
                let _ = wait_release.recv();
            });
            match submitted {
                Ok(answer) => {
                    is_started.recv_timeout(wait).ok()?;
                    return Some(Occupied {
                        _release: release,
                        _answer: answer,
                    });
                }
                // With no wait queue a job is only taken by a worker already
                // waiting for one: retry until one is, or the time is up.
                Err(HashError::Busy) if tries > 0 => {
                    tries -= 1;
                    std::thread::yield_now();
                }
                Err(_) => return None,
            }
        }
    }

    /// Hashes a new password (PHC string).
    pub async fn hash(&self, password: &str, params: PasswordParams) -> Result<String, HashError> {
        let pw = zeroize::Zeroizing::new(password.to_owned());
        Ok(self
            .run(move |memory| secrets::hash_password_in(&pw, params, memory))
            .await??)
    }

    /// Checks a password against a stored PHC string.
    pub async fn verify(&self, password: &str, stored: &str) -> Result<bool, HashError> {
        let pw = zeroize::Zeroizing::new(password.to_owned());
        let stored = stored.to_owned();
        self.run(move |memory| secrets::verify_password_in(&pw, &stored, memory))
            .await
    }
}

/// A worker held by [`HashPool::occupy`]; dropping it frees the worker.
#[derive(Debug)]
pub struct Occupied {
    _release: std::sync::mpsc::Sender<()>,
    _answer: oneshot::Receiver<()>,
}

/// A worker: takes jobs until every sender is gone.
fn work(rx: &Mutex<Receiver<Job>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        // Hold the lock only to take one job, not while running it.
        let job = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(&mut memory),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_a_full_queue_refuses_at_once() {
        let pool = HashPool::start(HashPoolConfig {
            workers: 1,
            queue: 1,
        })
        .unwrap();
        let params = PasswordParams::fast_for_tests();
        let h = pool.hash("correct horse", params).await.unwrap();
        assert!(pool.verify("correct horse", &h).await.unwrap());
        assert!(!pool.verify("wrong horse", &h).await.unwrap());
        // Also verifies with the crate's own verifier (same PHC format).
        assert!(secrets::verify_password("correct horse", &h));
        // A hash made elsewhere verifies here.
        let other = secrets::hash_password("battery staple", params).unwrap();
        assert!(pool.verify("battery staple", &other).await.unwrap());

        // Block the one worker, fill the one queue slot: the next is refused
        // at once, not queued.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let started = Arc::new(std::sync::Barrier::new(2));
        let s2 = started.clone();
        let busy = pool
            .submit(move |_| {
                s2.wait();
                let _ = wait.recv();
            })
            .unwrap();
        tokio::task::spawn_blocking(move || started.wait())
            .await
            .unwrap();
        let queued = pool.submit(|_| 7).unwrap();
        assert!(matches!(pool.submit(|_| 8), Err(HashError::Busy)));
        assert!(matches!(
            pool.verify("correct horse", &h).await,
            Err(HashError::Busy)
        ));
        release.send(()).unwrap();
        busy.await.unwrap();
        assert_eq!(queued.await.unwrap(), 7);
        assert!(pool.verify("correct horse", &h).await.unwrap());
    }
}
