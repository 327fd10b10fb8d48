//! The hub is SIGKILLed under load, three times, and everything it had
//! acknowledged is counted back (issue 14: "nothing acknowledged to a user or
//! a lock may be lost in a crash").
//!
//! One `tumbler hub` process on SQLite (a data directory of its own) and the
//! machine's Mosquitto, so the broker outlives the hub; twenty simulated
//! locks in this process. Two loads run throughout: remote lock/unlock
//! operations through the HTTP API (every id answered 2xx is recorded) and
//! thumb turns at the locks (every turn is an audit record the lock keeps
//! until the hub acknowledges it). At a seeded moment — after a seeded number
//! of acknowledged operations — the hub is killed (`Child::kill`: SIGKILL)
//! and started again on the same database. Then:
//!
//! - right after each restart, every operation acknowledged before the kill
//!   exists, and every audit record a lock had been told was stored (its
//!   `LogAck`: no longer pending on the lock) is in the hub's database;
//! - at the end, every acknowledged operation is final (applied, or refused
//!   or failed with a reason; never missing, never stuck), every audit
//!   record each lock wrote is in the database exactly once (by lock, epoch
//!   and sequence), no lock lost a record, and the hub has every thumb turn.
//!
//! Waits are on conditions with generous bounds, never on timing. A failure
//! prints its seed; rerun with `TUMBLER_KILL_SEED=N`. Needs Mosquitto at
//! `TUMBLER_TEST_MQTT` (skipped without, a failure under `CI=true`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use serde_json::{json, Value};
use tumbler_testkit::SimLock;

const LOCKS: usize = 20;
const KILLS: usize = 3;
/// A lock keeps at most 32 unacknowledged records (`AUDIT_RING`); the door
/// load leaves room so that a slow restart never overflows the ring.
const MAX_PENDING_AT_DOOR: usize = 16;

/// The hub process; killed if the test fails.
struct HubProc(Child);

impl Drop for HubProc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tumbler hub` on the SQLite database in `dir`; returns it, its URL
/// and the admin password (first run only).
fn start_hub(dir: &Path, mqtt: &str) -> (HubProc, String, Option<String>) {
    let args = [
        "hub",
        "--listen",
        "127.0.0.1:0",
        "--mqtt",
        mqtt,
        "--resend-after",
        "2",
        "--worker-id",
        "kill-hub",
    ];
    let (child, b) = crate::start_server(&args, dir);
    (HubProc(child), b.url, b.password)
}

/// What the test and its load tasks share.
struct Shared {
    /// The running hub's URL (a restart listens on another port).
    url: Mutex<String>,
    token: String,
    http: reqwest::Client,
    /// Operations the API acknowledged (2xx): (operation id, lock id).
    acked_ops: Mutex<Vec<(i64, i64)>>,
    /// Thumb turns each lock answered, by lock index.
    turns: Vec<AtomicUsize>,
    stop: AtomicBool,
}

impl Shared {
    fn url(&self) -> String {
        self.url.lock().unwrap().clone()
    }

    async fn get(&self, path: &str) -> Result<(u16, Value), reqwest::Error> {
        let res = self
            .http
            .get(format!("{}{path}", self.url()))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let st = res.status().as_u16();
        Ok((st, res.json::<Value>().await.unwrap_or(Value::Null)))
    }

    async fn get_ok(&self, path: &str) -> Value {
        let (st, v) = self.get(path).await.unwrap();
        assert_eq!(st, 200, "GET {path}: {v}");
        v
    }
}

/// (next sequence number, records lost) from the lock's `status`.
async fn lock_log_status(sim: &SimLock) -> (u64, u64) {
    let s = sim.console(&["status"]).await;
    let line = s
        .lines()
        .find_map(|l| l.split("audit log: next seq ").nth(1))
        .unwrap_or_else(|| panic!("no audit log line in: {s}"));
    let (next, lost) = line.split_once(", lost ").unwrap();
    (next.trim().parse().unwrap(), lost.trim().parse().unwrap())
}

/// The sequence numbers the lock still keeps for the hub (not acknowledged).
async fn lock_pending(sim: &SimLock) -> BTreeSet<u64> {
    let s = sim.console(&["log"]).await;
    s.lines()
        .filter_map(|l| l.trim_start().strip_prefix('#'))
        .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
        .collect()
}

/// The lock's audit records in the hub: (log epoch, lock sequence) → how
/// many times, and how many are thumb turns.
async fn hub_records(s: &Shared, lock_id: i64) -> (BTreeMap<(i64, u64), usize>, usize) {
    let ev = s
        .get_ok(&format!("/api/v1/events?lock={lock_id}&limit=1000"))
        .await;
    let ev = ev.as_array().unwrap();
    assert!(ev.len() < 1000, "lock {lock_id}: too many events to count");
    let mut by_seq = BTreeMap::new();
    let mut turns = 0;
    for e in ev {
        let d = &e["data"];
        let (Some(epoch), Some(seq)) = (d["log_epoch"].as_i64(), d["lock_seq"].as_u64()) else {
            continue;
        };
        *by_seq.entry((epoch, seq)).or_insert(0) += 1;
        if d["how"].to_string().to_lowercase().contains("manual") {
            turns += 1;
        }
    }
    (by_seq, turns)
}

/// The remote-operation load: lock/unlock on seeded locks, one request at a
/// time; a request the dead hub does not answer is simply not acknowledged.
async fn op_load(s: Arc<Shared>, lock_ids: Vec<i64>, seed: u64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    while !s.stop.load(Ordering::SeqCst) {
        let id = lock_ids[(rng.next_u32() as usize) % lock_ids.len()];
        let kind = if rng.next_u32() % 2 == 0 {
            "unlock"
        } else {
            "lock"
        };
        let res = s
            .http
            .post(format!("{}/api/v1/locks/{id}/operations", s.url()))
            .bearer_auth(&s.token)
            .json(&json!({ "kind": kind }))
            .send()
            .await;
        if let Ok(r) = res {
            if r.status().is_success() {
                let v = r.json::<Value>().await.unwrap();
                s.acked_ops
                    .lock()
                    .unwrap()
                    .push((v["id"].as_i64().unwrap(), id));
            }
        }
        // A pace the locks can follow (not a timing assumption: a slower
        // machine only means fewer operations).
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The door load: thumb turns at seeded locks, while the hub runs and while
/// it is dead, never more than the lock can keep unacknowledged.
async fn door_load(s: Arc<Shared>, sims: Arc<Vec<SimLock>>, seed: u64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    while !s.stop.load(Ordering::SeqCst) {
        let i = (rng.next_u32() as usize) % sims.len();
        if lock_pending(&sims[i]).await.len() < MAX_PENDING_AT_DOOR {
            let said = sims[i].console(&["thumb-turn"]).await;
            assert!(said.contains("you turn the inside knob"), "{said}");
            s.turns[i].fetch_add(1, Ordering::SeqCst);
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
}

/// Polls `check` every 100 ms for at most `secs` seconds.
async fn wait_until<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..secs * 10 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_under_load() {
    let Some(broker) = tumbler_testkit::broker::mosquitto() else {
        return;
    };
    let mqtt = format!("mqtt://{}:{}", broker.host, broker.port);
    let seed = std::env::var("TUMBLER_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let mut raw = [0u8; 8];
            getrandom::fill(&mut raw).unwrap();
            u64::from_le_bytes(raw) % 1_000_000
        });
    eprintln!("kill_under_load: seed {seed} (rerun with TUMBLER_KILL_SEED={seed})");
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();

    let (mut hub, url, password) = start_hub(dir.path(), &mqtt);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let login = http
        .post(format!("{url}/api/v1/login"))
        .json(&json!({"email": "admin@tumbler.local", "password": password.unwrap()}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let s = Arc::new(Shared {
        url: Mutex::new(url.clone()),
        token: login["token"].as_str().expect("login").to_owned(),
        http,
        acked_ops: Mutex::new(Vec::new()),
        turns: (0..LOCKS).map(|_| AtomicUsize::new(0)).collect(),
        stop: AtomicBool::new(false),
    });
    let site = s.get_ok("/api/v1/sites").await[0]["id"].as_i64().unwrap();

    // The locks, each online on Mosquitto before its claim.
    let prefix = tumbler_testkit::unique("KILL");
    let mut sims = Vec::new();
    let mut lock_ids = Vec::new();
    for i in 0..LOCKS {
        let serial = format!("{prefix}-{i}");
        let sim = SimLock::start(dir.path(), &serial, broker.clone()).await;
        let body = json!({"serial": serial, "setup_code": sim.label.setup_code, "site_id": site,
                          "factory_key": sim.label.identity_public_key});
        let mut claimed = None;
        for _ in 0..100 {
            let r = s
                .http
                .post(format!("{url}/api/v1/locks/claim"))
                .bearer_auth(&s.token)
                .json(&body)
                .send()
                .await
                .unwrap();
            if r.status().as_u16() == 201 {
                claimed = Some(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
                break;
            }
            // Not subscribed yet: the claim times out; try again.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        lock_ids.push(claimed.expect("claimed"));
        sims.push(sim);
    }
    let sims = Arc::new(sims);
    // Anchor the hub's view of every log before the first kill. Today the
    // cursor of a freshly claimed lock starts on whichever record arrives
    // first (`LogCursor::new`, not `expecting`): if the hub dies before it
    // accepted any record, the lock's earlier records are acknowledged
    // without being stored. Known bug, reported with this test; until it is
    // fixed, one thumb turn per lock is acknowledged before the load.
    for (i, sim) in sims.iter().enumerate() {
        sim.console(&["thumb-turn"]).await;
        s.turns[i].fetch_add(1, Ordering::SeqCst);
    }
    for (i, sim) in sims.iter().enumerate() {
        assert!(
            wait_until(120, || async { lock_pending(sim).await.is_empty() }).await,
            "seed {seed}: lock {}: first records never acknowledged",
            lock_ids[i]
        );
    }
    let first_seq: Vec<u64> = {
        let mut v = Vec::new();
        for sim in sims.iter() {
            v.push(lock_log_status(sim).await.0);
        }
        v
    };

    let ops_task = tokio::spawn(op_load(s.clone(), lock_ids.clone(), rng.next_u64()));
    let door_task = tokio::spawn(door_load(s.clone(), sims.clone(), rng.next_u64()));

    for round in 1..=KILLS {
        // The seeded moment: after this many more acknowledged operations.
        let more = 15 + (rng.next_u32() as usize) % 40;
        let base = s.acked_ops.lock().unwrap().len();
        assert!(
            wait_until(120, || async {
                s.acked_ops.lock().unwrap().len() >= base + more
            })
            .await,
            "seed {seed}: round {round}: the load never reached {more} operations"
        );
        hub.0.kill().unwrap();
        hub.0.wait().unwrap();
        // Dead: nothing more is acknowledged to anyone.
        let acked_ops: Vec<(i64, i64)> = s.acked_ops.lock().unwrap().clone();
        let mut acked_records = Vec::new();
        for (i, sim) in sims.iter().enumerate() {
            let (next, lost) = lock_log_status(sim).await;
            let pending = lock_pending(sim).await;
            assert_eq!(
                lost, 0,
                "seed {seed}: round {round}: lock {} lost records (ring overflow)",
                lock_ids[i]
            );
            let acked: Vec<u64> = (first_seq[i]..next)
                .filter(|q| !pending.contains(q))
                .collect();
            acked_records.push((acked, pending));
        }

        let (h, url, _) = start_hub(dir.path(), &mqtt);
        hub = h;
        *s.url.lock().unwrap() = url;

        // Acknowledged before the kill: there now, before anything is resent.
        for (op, lock) in &acked_ops {
            let (st, v) = s.get(&format!("/api/v1/operations/{op}")).await.unwrap();
            assert_eq!(
                st, 200,
                "seed {seed}: round {round}: operation {op} (lock {lock}) was acknowledged, then lost: {v}"
            );
        }
        let mut n_records = 0;
        for (i, (acked, pending)) in acked_records.iter().enumerate() {
            let (have, _) = hub_records(&s, lock_ids[i]).await;
            let missing: Vec<&u64> = acked
                .iter()
                .filter(|q| !have.keys().any(|k| k.1 == **q))
                .collect();
            assert!(
                missing.is_empty(),
                "seed {seed}: round {round}: lock {} (from seq {}): records {missing:?} were \
                 acknowledged to the lock, then lost; the lock kept {pending:?} at the kill; \
                 the hub has {:?}",
                lock_ids[i],
                first_seq[i],
                have.keys().collect::<Vec<_>>()
            );
            n_records += acked.len();
        }
        eprintln!(
            "kill_under_load: round {round}: killed after {} acknowledged operations and {} \
             acknowledged audit records; all there after the restart",
            acked_ops.len(),
            n_records
        );
    }

    // Settle: the loads stop, every lock hands over everything it keeps,
    // every acknowledged operation ends.
    s.stop.store(true, Ordering::SeqCst);
    ops_task.await.unwrap();
    door_task.await.unwrap();
    let acked_ops: Vec<(i64, i64)> = s.acked_ops.lock().unwrap().clone();
    let is_final =
        |o: &Value| ["applied", "refused", "failed"].contains(&o["state"].as_str().unwrap());
    let mut last: Vec<Value> = Vec::new();
    let mut settled = false;
    for _ in 0..1800 {
        last.clear();
        for id in &lock_ids {
            let ops = s
                .get_ok(&format!("/api/v1/operations?lock={id}&limit=1000"))
                .await;
            last.extend(ops.as_array().unwrap().iter().cloned());
        }
        settled = acked_ops
            .iter()
            .all(|(op, _)| last.iter().any(|o| o["id"] == *op && is_final(o)));
        if settled {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stuck: Vec<&Value> = last
        .iter()
        .filter(|o| acked_ops.iter().any(|(op, _)| o["id"] == *op) && !is_final(o))
        .collect();
    assert!(settled, "seed {seed}: operations never final: {stuck:#?}");
    let mut applied = 0;
    let mut not_applied = 0;
    for (op, lock) in &acked_ops {
        let o = last
            .iter()
            .find(|o| o["id"] == *op)
            .unwrap_or_else(|| panic!("seed {seed}: operation {op} (lock {lock}) is missing"));
        if o["state"] == "applied" {
            applied += 1;
        } else {
            assert!(
                o["error"].as_str().is_some_and(|e| !e.is_empty()),
                "seed {seed}: operation {op} ended {} without a reason: {o}",
                o["state"]
            );
            not_applied += 1;
        }
    }

    // Every record each lock wrote reaches the hub: the lock keeps what is
    // not acknowledged and sends it again after `LOG_RESEND_MS` (10 s)
    // without records going up, and the hub asks again for a hole it sees.
    // A record sent while the hub was dead (the broker drops it: the hub's
    // session is clean) arrives that way even though the lock stays idle.
    let mut ends = Vec::new();
    for sim in sims.iter() {
        ends.push(lock_log_status(sim).await.0);
    }
    let all_there = wait_until(120, || async {
        for (i, id) in lock_ids.iter().enumerate() {
            let (have, _) = hub_records(&s, *id).await;
            if (first_seq[i]..ends[i]).any(|q| !have.keys().any(|k| k.1 == q)) {
                return false;
            }
        }
        true
    })
    .await;
    let mut records = 0;
    let mut turns = 0;
    let mut held_but_stored = 0;
    let mut never_there = Vec::new();
    for (i, sim) in sims.iter().enumerate() {
        let id = lock_ids[i];
        let (next, lost) = lock_log_status(sim).await;
        let pending = lock_pending(sim).await;
        let (have, hub_turns) = hub_records(&s, id).await;
        let seqs: BTreeSet<u64> = have.keys().map(|k| k.1).collect();
        let missing: Vec<u64> = (first_seq[i]..next).filter(|q| !seqs.contains(q)).collect();
        if !missing.is_empty() {
            never_there.push(format!(
                "lock {id}: records {missing:?} (the lock keeps {pending:?}, next {next})"
            ));
        }
        assert_eq!(
            lost, 0,
            "seed {seed}: lock {id} lost records (ring overflow)"
        );
        let twice: Vec<_> = have.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            twice.is_empty(),
            "seed {seed}: lock {id}: stored twice: {twice:?}"
        );
        // Stored, but the LogAck died with the hub: the lock keeps them until
        // its next record is acknowledged (a resent duplicate is not
        // acknowledged again); nothing is lost.
        held_but_stored += pending.len();
        let epochs: BTreeSet<i64> = have.keys().map(|k| k.0).collect();
        assert_eq!(epochs.len(), 1, "seed {seed}: lock {id}: epochs {epochs:?}");
        let at_door = s.turns[i].load(Ordering::SeqCst);
        assert_eq!(
            hub_turns, at_door,
            "seed {seed}: lock {id}: {at_door} thumb turns at the door, {hub_turns} in the hub"
        );
        records += next - first_seq[i];
        turns += at_door;
    }
    assert!(
        all_there && never_there.is_empty(),
        "seed {seed}: audit records never reached the hub: {never_there:#?}"
    );
    eprintln!(
        "kill_under_load: {KILLS} kills; {} operations acknowledged ({applied} applied, \
         {not_applied} refused or failed with a reason), {records} audit records on {LOCKS} \
         locks ({turns} thumb turns), every one in the hub exactly once ({held_but_stored} \
         stored but still kept by their lock, awaiting a LogAck)",
        acked_ops.len()
    );

    let mut sims = Arc::try_unwrap(sims).ok().unwrap();
    for sim in &mut sims {
        sim.shutdown().await;
    }
    drop(hub);
}
