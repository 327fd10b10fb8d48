//! Load figures for Tumbler: a whole hub (SQLite, built-in or external MQTT
//! broker) and a fleet of simulated locks in one process, driven through
//! the hub's HTTP API like a real client.
//!
//! Scenarios ([`Scenario`]):
//! - `raw`: the floor under a remote unlock, measured in the same run: the
//!   broker's own round trip (QoS 1 publish to a topic the same client
//!   subscribes to), one fsync in the hub's data directory and one loopback
//!   HTTP exchange ([`floor`]);
//! - `unlock`: remote-unlock round trip, API request → operation `applied`
//!   (the lock's answer stored), one at a time over all the locks; the
//!   client waits with `?wait_ms=` (long-poll), never sleeps;
//! - `code`: one new PIN for one person on every lock, until every door is
//!   `set` (confirmed by each lock's slot digest);
//! - `events`: every lock's thumb-turn turned N times at once; lock audit
//!   records stored by the hub per second, counted back from the database
//!   (none lost: stored == made at the doors).
//!
//! The hub runs on SQLite in a temporary directory, or on PostgreSQL in a
//! fresh schema dropped after the run ([`Options::database`]).
//!
//! Figures are medians and 99th percentiles, never asserted: this is a
//! measuring tool (`scripts/bench-load.sh`, `docs/benchmarks.md`).

// A benchmark's job is to read the clock. `serde_json::Value`'s `[]` reads
// give null for a missing key, and the reports written with `[]=` are objects.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};
use tokio::sync::{watch, Semaphore};
use tumbler_device::fleet::{console_line, fleet_with_consoles};
use tumbler_device::mqtt::{BrokerAddr, BrokerLogin};
use tumbler_device::FleetConfig;
use tumbler_hub::config::{
    DatabaseConfig, HubConfig, MqttConfig, PasswordParams, DEFAULT_RESEND_AFTER,
};
use tumbler_hub::store::plane::BindingKey;
use tumbler_hub::{Hub, SystemClock};

pub mod floor;

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Raw broker round trip.
    Raw,
    /// Remote-unlock round trip.
    Unlock,
    /// One new code confirmed on every lock.
    Code,
    /// Lock events ingested per second.
    Events,
}

impl Scenario {
    /// Parses `raw`, `unlock`, `code`, `events`.
    pub fn parse(s: &str) -> Option<Scenario> {
        Some(match s {
            "raw" => Scenario::Raw,
            "unlock" => Scenario::Unlock,
            "code" => Scenario::Code,
            "events" => Scenario::Events,
            _ => return None,
        })
    }
}

/// A run's settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Simulated locks.
    pub locks: usize,
    /// `None`: the hub's built-in broker; else an external broker.
    pub broker: Option<(String, u16)>,
    /// What to measure.
    pub scenarios: Vec<Scenario>,
    /// Remote unlocks measured.
    pub unlock_samples: usize,
    /// Raw broker round trips measured.
    pub raw_samples: usize,
    /// Thumb-turns per lock in the events burst.
    pub events_per_lock: usize,
    /// `None`: SQLite in a temporary directory; else a `postgres://` URL
    /// (the run uses a fresh schema, dropped after).
    pub database: Option<String>,
    /// fsync samples of the floor.
    pub fsync_samples: usize,
    /// Loopback HTTP exchanges of the floor.
    pub http_samples: usize,
    /// Claims in flight at once.
    pub claim_concurrency: usize,
    /// Lock connections started per 100 ms.
    pub connect_per_100ms: usize,
    /// Hub processes on the one database (more than one needs PostgreSQL
    /// and an external broker); API calls go to them in turn.
    pub hubs: usize,
}

impl Options {
    /// Defaults for `locks` locks on the built-in broker, every scenario.
    pub fn new(locks: usize) -> Self {
        Self {
            locks,
            broker: None,
            scenarios: vec![
                Scenario::Raw,
                Scenario::Unlock,
                Scenario::Code,
                Scenario::Events,
            ],
            unlock_samples: 200,
            raw_samples: 1000,
            events_per_lock: 3,
            database: None,
            fsync_samples: 200,
            http_samples: 1000,
            claim_concurrency: 8,
            connect_per_100ms: 50,
            hubs: 1,
        }
    }
}

/// p50, p99, mean, min, max of samples in milliseconds.
pub fn summary(mut ms: Vec<f64>) -> Value {
    if ms.is_empty() {
        return json!({"n": 0});
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    let n = ms.len();
    let at = |q: f64| -> f64 {
        let i = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
        ms.get(i).copied().unwrap_or_default()
    };
    let mean = ms.iter().sum::<f64>() / n as f64;
    json!({
        "n": n,
        "p50_ms": round(at(0.5)),
        "p99_ms": round(at(0.99)),
        "mean_ms": round(mean),
        "min_ms": round(ms.first().copied().unwrap_or_default()),
        "max_ms": round(ms.last().copied().unwrap_or_default()),
    })
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

struct Api {
    http: reqwest::Client,
    /// One base URL per hub; calls go to them in turn.
    bases: Vec<String>,
    next: std::sync::atomic::AtomicUsize,
    token: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let base = self
            .bases
            .get(i % self.bases.len().max(1))
            .ok_or_else(|| anyhow!("no hub"))?;
        let mut req = self
            .http
            .request(method, format!("{base}/api/v1{path}"))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.context("HTTP request")?;
        let st = res.status().as_u16();
        let v = res.json::<Value>().await.unwrap_or(Value::Null);
        Ok((st, v))
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let (st, v) = self.call(reqwest::Method::GET, path, None).await?;
        if st != 200 {
            bail!("GET {path}: {st} {v}");
        }
        Ok(v)
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let (st, v) = self.call(reqwest::Method::POST, path, Some(body)).await?;
        if !(200..300).contains(&st) {
            bail!("POST {path}: {st} {v}");
        }
        Ok(v)
    }
}

fn random_hex(n: usize) -> String {
    let mut raw = vec![0u8; n];
    let _ = getrandom::fill(&mut raw);
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs the scenarios; returns the figures as JSON. `progress` gets a line
/// per step (for stderr).
pub async fn run(o: &Options, progress: &(dyn Fn(&str) + Sync)) -> anyhow::Result<Value> {
    let dir = tempfile::tempdir()?;
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| anyhow!("no randomness: {e}"))?;
    let mqtt = match &o.broker {
        None => MqttConfig::Builtin,
        Some((host, port)) => MqttConfig::External {
            host: host.clone(),
            port: *port,
            login: None,
            tls: None,
        },
    };
    let (database, pg_schema) = match &o.database {
        None => (
            DatabaseConfig::Sqlite {
                path: dir.path().join("hub.db"),
            },
            None,
        ),
        Some(url) => (
            DatabaseConfig::Postgres { url: url.clone() },
            Some(format!("tumbler_load_{}", random_hex(4))),
        ),
    };
    if o.hubs > 1 && (o.database.is_none() || o.broker.is_none()) {
        bail!("--hubs above 1 needs --database postgres://… and --broker mqtt://…");
    }
    let mut hubs = Vec::new();
    let mut started = Ok(());
    for n in 0..o.hubs.max(1) {
        let config = HubConfig {
            listen: "127.0.0.1:0".parse()?,
            database: database.clone(),
            mqtt: mqtt.clone(),
            password: PasswordParams::fast_for_tests(),
            worker_id: format!("load-{}-{n}", random_hex(3)),
            pg_schema: pg_schema.clone(),
            manufacturer_key: None,
            binding_key: Some(BindingKey::new(key)),
            resend_after: DEFAULT_RESEND_AFTER,
            metrics_token: None,
            webhooks: Default::default(),
        };
        match Hub::start(config, Arc::new(SystemClock)).await {
            Ok(hub) => hubs.push(hub),
            Err(e) => {
                started = Err(anyhow::Error::from(e).context("starting a hub"));
                break;
            }
        }
    }
    let result = match started {
        // Boxed: the scenarios make one large future (a test thread's stack is 2 MiB).
        Ok(()) => Box::pin(run_on(o, &hubs, dir.path(), progress)).await,
        Err(e) => Err(e),
    };
    for hub in hubs {
        hub.shutdown().await;
    }
    if let (Some(url), Some(schema)) = (&o.database, &pg_schema) {
        drop_schema(url, schema).await?;
    }
    let mut report = result?;
    report["database"] = json!(if o.database.is_some() {
        "postgres"
    } else {
        "sqlite"
    });
    Ok(report)
}

/// Drops the run's PostgreSQL schema.
async fn drop_schema(url: &str, schema: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url)
        .await
        .context("connecting to PostgreSQL to drop the run's schema")?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&mut c)
    .await
    .with_context(|| format!("dropping schema {schema}"))?;
    c.close().await?;
    Ok(())
}

async fn run_on(
    o: &Options,
    hubs: &[Hub],
    data_dir: &std::path::Path,
    progress: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<Value> {
    let hub = hubs.first().ok_or_else(|| anyhow!("no hub"))?;
    let password = format!("load-{}", random_hex(8));
    let email = "load@tumbler.local";
    let b = hub
        .state
        .service
        .bootstrap_org("Load", "Site", "UTC", email, &password)
        .await?;
    let http = reqwest::Client::new();
    let bases: Vec<String> = hubs
        .iter()
        .map(|h| format!("http://{}", h.http_addr))
        .collect();
    let base = bases.first().cloned().unwrap_or_default();
    let login: Value = http
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    let api = Arc::new(Api {
        http,
        bases,
        next: std::sync::atomic::AtomicUsize::new(0),
        token: login["token"]
            .as_str()
            .ok_or_else(|| anyhow!("login: {login}"))?
            .to_owned(),
    });
    let broker = BrokerAddr {
        host: hub.mqtt_addr.0.clone(),
        port: hub.mqtt_addr.1,
        login: Some(BrokerLogin::Provisioned(*hub.broker_secret.expose())),
        tls: None,
    };
    let mut report = json!({
        "locks": o.locks,
        "broker": match &o.broker { None => "builtin".to_owned(), Some((h, p)) => format!("mqtt://{h}:{p}") },
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "hubs": hubs.len(),
    });

    // The fleet, connected and claimed.
    let (stop, stop_rx) = watch::channel(false);
    let mut fc = FleetConfig::new(o.locks, broker.clone());
    fc.prefix = format!("LOAD{}", random_hex(3).to_uppercase());
    fc.keep_labels = o.locks;
    fc.batch = o.connect_per_100ms.max(1);
    fc.batch_pause = Duration::from_millis(100);
    fc.online_timeout = Duration::from_secs(900);
    progress(&format!(
        "starting {} simulated locks on {}:{}",
        o.locks, broker.host, broker.port
    ));
    let (fleet, done, consoles) = fleet_with_consoles(fc, stop_rx)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    progress(&format!("{fleet}"));
    report["fleet"] = json!({
        "online": fleet.online,
        "connect_s": round(fleet.connect_time.as_secs_f64()),
    });
    if fleet.online < o.locks {
        bail!("only {} of {} locks came online", fleet.online, o.locks);
    }
    let t = Instant::now();
    let ids = claim_all(
        &api,
        &fleet.sample_labels,
        b.site.id,
        o.claim_concurrency,
        progress,
    )
    .await?;
    report["fleet"]["claim_s"] = json!(round(t.elapsed().as_secs_f64()));
    wait_queue_empty(&api, Duration::from_secs(1800)).await?;
    report["fleet"]["claimed_and_settled_s"] = json!(round(t.elapsed().as_secs_f64()));
    report["fleet"]["rss_mib"] = json!(tumbler_device::fleet::rss_bytes().map(|b| b / 1_048_576));
    progress(&format!(
        "{} locks claimed in {:.1} s",
        ids.len(),
        t.elapsed().as_secs_f64()
    ));

    let mut raw_p50 = None;
    let mut floor_ms = None;
    for s in &o.scenarios {
        match s {
            Scenario::Raw => {
                let r = raw_rtt(&broker, o.raw_samples).await?;
                raw_p50 = r["p50_ms"].as_f64();
                progress(&format!("raw broker round trip: {r}"));
                report["raw_broker_rtt"] = r;
                let f = floor::fsync(data_dir, o.fsync_samples).await?;
                progress(&format!("one fsync (4 KiB, fdatasync): {f}"));
                let h = floor::http(o.http_samples).await?;
                progress(&format!("one loopback HTTP exchange: {h}"));
                let sum = raw_p50.unwrap_or_default()
                    + f["p50_ms"].as_f64().unwrap_or_default()
                    + h["p50_ms"].as_f64().unwrap_or_default();
                floor_ms = Some(sum);
                report["floor"] = json!({
                    "raw_broker_rtt_p50_ms": raw_p50,
                    "fsync_p50_ms": f["p50_ms"],
                    "http_p50_ms": h["p50_ms"],
                    "sum_ms": round(sum),
                });
                report["fsync"] = f;
                report["loopback_http"] = h;
                progress(&format!("floor: {}", report["floor"]));
            }
            Scenario::Unlock => {
                let mut r = unlock_rtt(&api, &ids, o.unlock_samples).await?;
                if let (Some(raw), Some(p50)) = (raw_p50, r["p50_ms"].as_f64()) {
                    if raw > 0.0 {
                        r["p50_over_raw_p50"] = json!(round(p50 / raw));
                    }
                }
                if let (Some(fl), Some(p50), Some(p99)) =
                    (floor_ms, r["p50_ms"].as_f64(), r["p99_ms"].as_f64())
                {
                    if fl > 0.0 {
                        r["p50_over_floor"] = json!(round(p50 / fl));
                        r["p99_over_floor"] = json!(round(p99 / fl));
                    }
                }
                progress(&format!("remote unlock round trip: {r}"));
                report["unlock_rtt"] = r;
            }
            Scenario::Code => {
                let r = code_on_all(&api, &ids, progress).await?;
                progress(&format!("one code on every lock: {r}"));
                report["code_confirm"] = r;
            }
            Scenario::Events => {
                let r = events_rate(hub, &consoles, o.events_per_lock).await?;
                progress(&format!("events ingested: {r}"));
                report["events"] = r;
            }
        }
    }
    report["rss_mib_end"] = json!(tumbler_device::fleet::rss_bytes().map(|b| b / 1_048_576));
    let _ = stop.send(true);
    drop(consoles);
    let _ = tokio::time::timeout(Duration::from_secs(30), done).await;
    Ok(report)
}

async fn claim_all(
    api: &Arc<Api>,
    labels: &[tumbler_device::Label],
    site: i64,
    concurrency: usize,
    progress: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<Vec<i64>> {
    let sem = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, l) in labels.iter().enumerate() {
        let (api, sem, l) = (api.clone(), sem.clone(), l.clone());
        set.spawn(async move {
            let _permit = sem.acquire_owned().await?;
            let body = json!({"serial": l.serial, "setup_code": l.setup_code, "site_id": site,
                              "factory_key": l.identity_public_key});
            let mut last = String::new();
            for _ in 0..5 {
                match api
                    .call(reqwest::Method::POST, "/locks/claim", Some(body.clone()))
                    .await?
                {
                    (201, v) => return Ok((i, v["id"].as_i64().unwrap_or_default())),
                    (st, v) => last = format!("{st} {v}"),
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(anyhow!("claim of {} failed: {last}", l.serial))
        });
    }
    let mut ids = vec![0i64; labels.len()];
    let mut n = 0;
    while let Some(r) = set.join_next().await {
        let (i, id) = r??;
        if let Some(slot) = ids.get_mut(i) {
            *slot = id;
        }
        n += 1;
        if n % 500 == 0 {
            progress(&format!("  claimed {n}/{}", labels.len()));
        }
    }
    Ok(ids)
}

/// Waits until no operation is pending or sent.
async fn wait_queue_empty(api: &Api, limit: Duration) -> anyhow::Result<()> {
    let t = Instant::now();
    loop {
        let p = api.get("/operations?state=pending&limit=1").await?;
        let s = api.get("/operations?state=sent&limit=1").await?;
        if p.as_array().is_some_and(|a| a.is_empty()) && s.as_array().is_some_and(|a| a.is_empty())
        {
            return Ok(());
        }
        if t.elapsed() > limit {
            bail!("operations still queued after {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// QoS 1 publish to a topic this client subscribes to, one at a time.
async fn raw_rtt(broker: &BrokerAddr, samples: usize) -> anyhow::Result<Value> {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    // On the built-in broker, log in as the hub (the only non-lock login it admits).
    let mut opts = MqttOptions::new(
        format!("tumbler-hub-load-rtt-{}", random_hex(4)),
        broker.host.clone(),
        broker.port,
    );
    if let Some(BrokerLogin::Provisioned(secret)) = &broker.login {
        let secret = tumbler_hub::secrets::BrokerSecret::new(*secret);
        opts.set_credentials(
            tumbler_hub::control::proto::broker_login::HUB_USERNAME,
            secret.hub_password(),
        );
    }
    opts.set_keep_alive(Duration::from_secs(30));
    let (client, mut ev) = AsyncClient::new(opts, 64);
    let mut net = rumqttc::NetworkOptions::new();
    net.set_tcp_nodelay(true);
    ev.set_network_options(net);
    let topic = format!("load/rtt/{}", random_hex(4));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let pump = tokio::spawn(async move {
        loop {
            match ev.poll().await {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let _ = tx.send(p.payload.to_vec());
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = tx.send(b"suback".to_vec());
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    client.subscribe(&topic, QoS::AtLeastOnce).await?;
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(m) = rx.recv().await {
            if m == b"suback" {
                break;
            }
        }
    })
    .await
    .context("no SUBACK from the broker")?;
    let mut ms = Vec::with_capacity(samples);
    for i in 0..samples {
        let payload = format!("{i}").into_bytes();
        let t = Instant::now();
        client
            .publish(&topic, QoS::AtLeastOnce, false, payload.clone())
            .await?;
        tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(m) = rx.recv().await {
                if m == payload {
                    break;
                }
            }
        })
        .await
        .context("a raw round trip never came back")?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    pump.abort();
    Ok(summary(ms))
}

/// How long one long-poll of the unlock scenario waits.
const WAIT_MS: u32 = 30_000;

/// API request → operation applied, one at a time.
async fn unlock_rtt(api: &Api, ids: &[i64], samples: usize) -> anyhow::Result<Value> {
    let mut ms = Vec::with_capacity(samples);
    let mut inside = Vec::with_capacity(samples);
    for i in 0..samples {
        let Some(lock) = ids.get((i * 7919) % ids.len().max(1)) else {
            bail!("no locks");
        };
        let kind = if (i / ids.len().max(1)).is_multiple_of(2) {
            "unlock"
        } else {
            "lock"
        };
        let t = Instant::now();
        // The hub holds the answer until the operation is final (long-poll).
        let mut v = api
            .post(
                &format!("/locks/{lock}/operations?wait_ms={WAIT_MS}"),
                json!({"kind": kind}),
            )
            .await?;
        let id = v["id"].as_i64().unwrap_or_default();
        loop {
            match v["state"].as_str() {
                Some("applied") => {
                    let ts = |k: &str| {
                        v[k].as_str()
                            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                            .map(|t| t.as_millisecond())
                    };
                    if let (Some(a), Some(b)) = (ts("created_at"), ts("updated_at")) {
                        inside.push((b - a) as f64);
                    }
                    break;
                }
                Some("refused" | "failed") => bail!("operation {id}: {v}"),
                _ => {}
            }
            if t.elapsed() > Duration::from_secs(60) {
                bail!("operation {id} not applied after 60 s");
            }
            v = api
                .get(&format!("/operations/{id}?wait_ms={WAIT_MS}"))
                .await?;
        }
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut r = summary(ms);
    r["hub_recorded"] = summary(inside);
    Ok(r)
}

/// One person, one PIN, every lock: time until every door is `set`.
async fn code_on_all(
    api: &Api,
    ids: &[i64],
    progress: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<Value> {
    let person = api
        .post(
            "/people",
            json!({"name": format!("Load {}", random_hex(2))}),
        )
        .await?;
    let pid = person["id"].as_i64().unwrap_or_default();
    let t = Instant::now();
    let out = api
        .post(
            &format!("/people/{pid}/access"),
            json!({"lock_ids": ids, "credential": {"kind": "pin", "pin": "739164"}}),
        )
        .await?;
    let accepted_s = t.elapsed().as_secs_f64();
    let batch = out["batch"]["id"].as_i64().unwrap_or_default();
    let total = ids.len() as u64;
    let mut first_set = None;
    let mut last_print = Instant::now();
    loop {
        let b = api.get(&format!("/batches/{batch}?doors=false")).await?;
        let set = b["counts"]["set"].as_u64().unwrap_or(0);
        let failed = b["counts"]["failed"].as_u64().unwrap_or(0);
        if set > 0 && first_set.is_none() {
            first_set = Some(t.elapsed().as_secs_f64());
        }
        if last_print.elapsed() > Duration::from_secs(10) {
            progress(&format!("  code: {set}/{total} set, {failed} failed"));
            last_print = Instant::now();
        }
        if b["done"] == true {
            let all = t.elapsed().as_secs_f64();
            return Ok(json!({
                "doors": total,
                "set": set,
                "failed": failed,
                "request_accepted_s": round(accepted_s),
                "first_door_set_s": first_set.map(round),
                "all_doors_set_s": round(all),
                "doors_per_s": round(total as f64 / all),
            }));
        }
        if t.elapsed() > Duration::from_secs(3600) {
            bail!("code not confirmed on every lock after an hour: {b}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every lock's thumb-turn turned `per_lock` times (each lock's turns one
/// after the other, all locks at once): lock audit records stored per
/// second, counted back from the database. `made` counts the turns the doors
/// took (the console said the knob turned); none lost means every one of
/// them is stored, and every lock's log cursor at the hub (what it
/// acknowledged) reached its last stored record.
async fn events_rate(
    hub: &Hub,
    consoles: &[tokio::sync::mpsc::Sender<tumbler_device::local::LocalRequest>],
    per_lock: usize,
) -> anyhow::Result<Value> {
    let pool = hub.state.service.store().pool().clone();
    let count = || {
        let pool = pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
                .fetch_one(&pool)
                .await?;
            anyhow::Ok(n)
        }
    };
    let before = count().await?;
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for c in consoles {
        let c = c.clone();
        set.spawn(async move {
            let mut made = 0i64;
            for _ in 0..per_lock {
                if console_line(&c, "thumb-turn")
                    .await
                    .is_some_and(|r| r.contains("inside knob"))
                {
                    made += 1;
                }
            }
            made
        });
    }
    let mut made = 0i64;
    while let Some(r) = set.join_next().await {
        made += r?;
    }
    let emitted_s = t.elapsed().as_secs_f64();
    let mut last = before;
    let mut last_change = Instant::now();
    let mut done_at = t.elapsed();
    loop {
        let n = count().await?;
        if n != last {
            last = n;
            last_change = Instant::now();
            done_at = t.elapsed();
        }
        if n - before >= made || last_change.elapsed() > Duration::from_secs(30) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stored = last - before;
    // Locks whose acknowledged cursor is behind their last stored record.
    let behind: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM locks l WHERE EXISTS (SELECT 1 FROM events e \
         WHERE e.lock_id = l.id AND (l.last_event_seq IS NULL OR e.seq > l.last_event_seq))",
    )
    .fetch_one(&pool)
    .await?;
    let secs = done_at.as_secs_f64().max(1e-3);
    Ok(json!({
        "locks": consoles.len(),
        "per_lock": per_lock,
        "made": made,
        "stored": stored,
        "lost": made - stored,
        "locks_cursor_behind": behind,
        "emit_s": round(emitted_s),
        "ingest_s": round(secs),
        "per_second": round(stored as f64 / secs),
    }))
}
