//! Broker authentication, ACL and TLS (issue 13, finding 3).
//!
//! - Mosquitto with `deploy/mosquitto/` (TLS with a CA this test makes with
//!   openssl, password file from `tumbler broker-login`'s derivation, the
//!   per-lock ACL) on a free port: hub and simulated lock work end to end
//!   (claim, unlock); anonymous and wrong-password clients are refused; a
//!   lock's login can neither publish on another lock's `up` nor read its
//!   `down`. Missing `mosquitto`/`openssl`: a skip, or a failure under CI=true.
//! - The built-in broker refuses anonymous clients, wrong passwords and a
//!   lock's login under another client id; it admits the hub's and a
//!   provisioned lock's.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::json;
use tumbler_device::mqtt::{BrokerAddr, BrokerLogin, BrokerTls};
use tumbler_hub::config::{MqttConfig, MqttLogin, MqttTls};
use tumbler_hub::control::proto::broker_login::HUB_USERNAME;
use tumbler_hub::model::Role;
use tumbler_hub::secrets::BrokerSecret;
use tumbler_hub::store::plane::BindingKey;
use tumbler_testkit::fixtures::org_in;
use tumbler_testkit::{eventually, unique, SimLock, TestHub, TestHubOptions};

use crate::lock_e2e::{claim, lock_json, request_op, sim_key, wait_final};

/// A Mosquitto process, killed when dropped.
struct Mosquitto {
    child: Child,
    port: u16,
    ca: PathBuf,
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The path of `tool` if it runs; `None` is a skip (a failure under CI=true).
fn tool(name: &str, candidates: &[&str]) -> Option<String> {
    for c in candidates {
        if Command::new(c)
            .arg("-h")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
        {
            return Some((*c).to_owned());
        }
    }
    assert!(!ci(), "CI=true requires {name}");
    eprintln!("skipped: no {name}");
    None
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a certificate for 127.0.0.1 signed by it (EC P-256, one day).
fn make_certs(dir: &Path, openssl: &str) {
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    run(Command::new(openssl).current_dir(dir).args([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "1",
        "-subj",
        "/CN=tumbler-test-ca",
    ]));
    run(Command::new(openssl).current_dir(dir).args([
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "broker.key",
        "-out",
        "broker.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]));
    run(Command::new(openssl).current_dir(dir).args([
        "x509",
        "-req",
        "-in",
        "broker.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "broker.crt",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
    ]));
}

/// Starts Mosquitto with `deploy/mosquitto/` (paths and port rewritten),
/// logins for the hub and `serials` derived from `secret`.
async fn start_mosquitto(dir: &Path, secret: &BrokerSecret, serials: &[&str]) -> Option<Mosquitto> {
    let mosquitto = tool("mosquitto", &["mosquitto", "/usr/sbin/mosquitto"])?;
    let passwd = tool(
        "mosquitto_passwd",
        &["mosquitto_passwd", "/usr/bin/mosquitto_passwd"],
    )?;
    let openssl = tool("openssl", &["openssl"])?;
    make_certs(dir, &openssl);
    let pw = dir.join("tumbler.passwd");
    std::fs::write(&pw, "").unwrap();
    let mut logins = vec![(HUB_USERNAME.to_owned(), secret.hub_password())];
    logins.extend(
        serials
            .iter()
            .map(|s| ((*s).to_owned(), secret.lock_password(s))),
    );
    for (user, pass) in logins {
        run(Command::new(&passwd).arg("-b").arg(&pw).arg(user).arg(pass));
    }
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/mosquitto");
    std::fs::copy(deploy.join("tumbler.acl"), dir.join("tumbler.acl")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = std::fs::read_to_string(deploy.join("mosquitto.conf"))
        .unwrap()
        .replace("/etc/mosquitto/certs/", &format!("{}/", dir.display()))
        .replace("/etc/mosquitto/", &format!("{}/", dir.display()))
        .replace("listener 8883", &format!("listener {port} 127.0.0.1"));
    // Its log (connections, refusals, ACL denials) next to the config.
    let conf = format!("{conf}log_dest stderr\nlog_type all\n");
    std::fs::write(dir.join("mosquitto.conf"), conf).unwrap();
    // Started as root, Mosquitto drops to the `mosquitto` user: let it read
    // this throwaway directory (test keys only).
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for f in std::fs::read_dir(dir).unwrap() {
        let f = f.unwrap().path();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let log = std::fs::File::create(dir.join("mosquitto.log")).unwrap();
    let child = Command::new(mosquitto)
        .arg("-c")
        .arg(dir.join("mosquitto.conf"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let m = Mosquitto {
        child,
        port,
        ca: dir.join("ca.crt"),
    };
    for _ in 0..500 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(m);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("mosquitto did not listen on {port}");
}

/// Options for a raw client on the TLS Mosquitto.
fn tls_client(m: &Mosquitto, id: &str, login: Option<(&str, &str)>) -> MqttOptions {
    let mut o = MqttOptions::new(id, "127.0.0.1", m.port);
    o.set_keep_alive(Duration::from_secs(30));
    if let Some((u, p)) = login {
        o.set_credentials(u, p);
    }
    o.set_transport(rumqttc::Transport::tls_with_config(
        rumqttc::TlsConfiguration::Simple {
            ca: std::fs::read(&m.ca).unwrap(),
            alpn: None,
            client_auth: None,
        },
    ));
    o
}

/// Connects; `Ok` once the broker accepts (the event loop keeps running and
/// its incoming publishes arrive on the receiver), `Err` with the reason.
async fn connect(
    opts: MqttOptions,
) -> Result<
    (
        AsyncClient,
        tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>)>,
    ),
    String,
> {
    let (c, mut ev) = AsyncClient::new(opts, 64);
    let first = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ev.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
    })
    .await
    .map_err(|_| "no answer".to_owned())?;
    first?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(e) = ev.poll().await {
            if let Event::Incoming(Packet::Publish(p)) = e {
                let _ = tx.send((p.topic.clone(), p.payload.to_vec()));
            }
        }
    });
    Ok((c, rx))
}

/// Waits (bounded) for `want` on `topic`; returns every message seen before it.
async fn until(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>)>,
    topic: &str,
    want: &[u8],
) -> Vec<(String, Vec<u8>)> {
    let mut seen = Vec::new();
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("nothing on {topic}; saw {seen:?}"))
            .unwrap();
        if m.0 == topic && m.1 == want {
            return seen;
        }
        seen.push(m);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_tls_login_and_acl_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let key = BindingKey::new([9; 32]);
    let secret = BrokerSecret::from_binding_key(&key);
    let (a, b) = (unique("ACLA"), unique("ACLB"));
    let Some(m) = start_mosquitto(tmp.path(), &secret, &[&a, &b]).await else {
        return;
    };
    let mqtt = MqttConfig::External {
        host: "127.0.0.1".into(),
        port: m.port,
        login: Some(MqttLogin {
            username: HUB_USERNAME.into(),
            password: secret.hub_password().into(),
        }),
        tls: Some(MqttTls {
            ca_file: Some(m.ca.clone()),
        }),
    };
    let hub = TestHub::start_opts(TestHubOptions {
        manufacturer_key: sim_key(),
        binding_key: Some(key),
        ..TestHubOptions::new(mqtt)
    })
    .await
    .unwrap();

    // The broker runs and admits the hub's login (so the refusals below are
    // the broker's answer, not a dead port).
    connect(tls_client(
        &m,
        &unique("tumbler-hub-probe"),
        Some((HUB_USERNAME, &secret.hub_password())),
    ))
    .await
    .expect("the hub's login over TLS is admitted");
    // Refused: anonymous, a wrong password, a lock's password under another name.
    let anon = connect(tls_client(&m, &unique("anon"), None)).await;
    assert!(anon.is_err(), "anonymous client accepted");
    let wrong = connect(tls_client(&m, &unique("w"), Some((&a, "not-the-password")))).await;
    assert!(wrong.is_err(), "wrong password accepted");
    let swapped = connect(tls_client(
        &m,
        &unique("s"),
        Some((&b, &secret.lock_password(&a))),
    ))
    .await;
    assert!(swapped.is_err(), "lock A's password accepted for lock B");

    // End to end through TLS + logins + ACL: the lock (its own login) is
    // claimed and unlocked.
    let state = hub.hub.state.clone();
    let s = state.service.clone();
    let org = org_in(&s, &unique("acl")).await;
    let owner = org.token(Role::Owner).to_owned();
    let broker = BrokerAddr {
        host: "127.0.0.1".into(),
        port: m.port,
        login: Some(BrokerLogin::Password {
            username: a.clone(),
            password: secret.lock_password(&a),
        }),
        tls: Some(BrokerTls {
            ca_file: Some(m.ca.clone()),
        }),
    };
    let sim_dir = tempfile::tempdir().unwrap();
    let sim = SimLock::start(sim_dir.path(), &a, broker).await;
    let (st, v) = claim(&state, &org, &sim.label, &sim.label.setup_code).await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let op = request_op(&state, &owner, id, json!({"kind": "unlock"})).await;
    assert_eq!(wait_final(&state, &owner, op).await["state"], "applied");
    eventually("bolt unlocked", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move { lock_json(&state, &owner, id).await["telemetry"]["bolt"] == "unlocked" }
    })
    .await;

    // ACL: lock A's login cannot publish on B's `up` (the hub-side observer
    // sees A's own marker, published after, and nothing on B's topic) …
    let hub_login = secret.hub_password();
    let (obs, mut obs_rx) = connect(tls_client(
        &m,
        &unique("tumbler-hub-obs"),
        Some((HUB_USERNAME, &hub_login)),
    ))
    .await
    .unwrap();
    let (up_a, up_b) = (format!("tumbler/v1/{a}/up"), format!("tumbler/v1/{b}/up"));
    obs.subscribe(up_a.clone(), QoS::AtLeastOnce).await.unwrap();
    obs.subscribe(up_b.clone(), QoS::AtLeastOnce).await.unwrap();
    let pass_a = secret.lock_password(&a);
    let (la, mut la_rx) = connect(tls_client(&m, &unique("la"), Some((&a, &pass_a))))
        .await
        .unwrap();
    // The observer's subscriptions are in place once its own probe arrives.
    obs.publish(format!("tumbler/v1/{b}/down"), QoS::AtLeastOnce, false, "x")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    la.publish(up_b.clone(), QoS::AtLeastOnce, false, "forged")
        .await
        .unwrap();
    la.publish(up_a.clone(), QoS::AtLeastOnce, false, "marker")
        .await
        .unwrap();
    let before = until(&mut obs_rx, &up_a, b"marker").await;
    assert!(
        !before.iter().any(|(t, _)| t == &up_b),
        "lock A published on lock B's up: {before:?}"
    );

    // … nor read B's `down` (A sees its own `down` marker, sent after B's).
    let (down_a, down_b) = (
        format!("tumbler/v1/{a}/down"),
        format!("tumbler/v1/{b}/down"),
    );
    la.subscribe(down_b.clone(), QoS::AtLeastOnce)
        .await
        .unwrap();
    la.subscribe(down_a.clone(), QoS::AtLeastOnce)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    obs.publish(down_b.clone(), QoS::AtLeastOnce, false, "secret-for-b")
        .await
        .unwrap();
    obs.publish(down_a.clone(), QoS::AtLeastOnce, false, "mark-a")
        .await
        .unwrap();
    let before = until(&mut la_rx, &down_a, b"mark-a").await;
    assert!(
        !before.iter().any(|(t, _)| t == &down_b),
        "lock A read lock B's down: {before:?}"
    );
    drop(sim);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtin_broker_refuses_anonymous_and_wrong_logins() {
    let hub = TestHub::start_opts(TestHubOptions::new(MqttConfig::Builtin))
        .await
        .unwrap();
    let (host, port) = hub.hub.mqtt_addr.clone();
    let secret = hub.hub.broker_secret.clone();
    let serial = unique("BI");
    let opts = |id: &str, login: Option<(&str, String)>| {
        let mut o = MqttOptions::new(id, host.clone(), port);
        o.set_keep_alive(Duration::from_secs(30));
        if let Some((u, p)) = login {
            o.set_credentials(u, p);
        }
        o
    };
    let lock_id = format!("tumbler-lock-{serial}");
    assert!(
        connect(opts(&lock_id, None)).await.is_err(),
        "anonymous accepted"
    );
    assert!(
        connect(opts(&lock_id, Some((&serial, "0".repeat(64)))))
            .await
            .is_err(),
        "wrong password accepted"
    );
    assert!(
        connect(opts(
            &unique("other"),
            Some((&serial, secret.lock_password(&serial)))
        ))
        .await
        .is_err(),
        "a lock's login accepted under another client id"
    );
    assert!(
        connect(opts(
            &unique("tumbler-hub-x"),
            Some((HUB_USERNAME, "0".repeat(64)))
        ))
        .await
        .is_err(),
        "wrong hub password accepted"
    );
    // Admitted: a provisioned lock, and the hub.
    connect(opts(
        &lock_id,
        Some((&serial, secret.lock_password(&serial))),
    ))
    .await
    .expect("provisioned lock admitted");
    connect(opts(
        &unique("tumbler-hub-x"),
        Some((HUB_USERNAME, secret.hub_password())),
    ))
    .await
    .expect("hub admitted");
    // And the whole path: a simulated lock provisioned by this hub comes online.
    let dir = tempfile::tempdir().unwrap();
    let _sim = SimLock::start(dir.path(), &unique("BIS"), hub.broker()).await;
    hub.stop().await;
}
