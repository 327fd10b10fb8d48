//! A lock running against a real broker, with a person at its console and a controller (the
//! test plays the hub) that claims it and speaks sealed proto messages over MQTT.

use rand_core::SeedableRng;
use std::time::Duration;
use tokio::sync::watch;
use tumbler_device::image::{provision, Label};
use tumbler_device::local::{unpack_frames, FrameKind, LocalClient};
use tumbler_device::mqtt::{down_topic, status_topic, up_topic, BrokerAddr};
use tumbler_device::run::{start_lock, RunConfig, RunningLock};
use tumbler_proto as p;
use tumbler_proto::claim::{ClaimController, ClaimError, ClaimMessage};
use tumbler_testkit::mqtt::Observer;
use tumbler_testkit::unique;

/// One lock under test.
pub struct Harness {
    /// Keeps the image directory alive.
    pub _dir: tempfile::TempDir,
    /// Its label.
    pub label: Label,
    /// The running lock.
    pub lock: RunningLock,
    /// The person's console.
    pub console: LocalClient,
    /// Everything published on the lock's up topic.
    pub up: Observer,
    /// The controller, once claimed.
    pub admin: Option<p::ControllerEndpoint>,
    /// Opened up messages not yet consumed by `wait_up` (seen while waiting for a reply).
    backlog: std::collections::VecDeque<p::Up>,
    shutdown: watch::Sender<bool>,
    rng: rand_chacha::ChaCha20Rng,
    next_id: u64,
}

impl Harness {
    /// Provisions a lock named after `name`, starts it against `broker`, attaches a console and
    /// waits until the lock is online.
    pub async fn start(name: &str, broker: &BrokerAddr) -> Harness {
        Self::start_via(name, broker, broker).await
    }

    /// Like [`Harness::start`], but the lock reaches the broker at `lock_broker` (a proxy the
    /// test can cut) while the test's clients use `broker` directly.
    pub async fn start_via(name: &str, broker: &BrokerAddr, lock_broker: &BrokerAddr) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("lock.img");
        let serial = unique(name).replace('.', "-");
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([9; 32]);
        let label = provision(&image, &serial, &mut rng).unwrap();
        let mut status = Observer::start(broker, &[status_topic(&serial)]).await;
        let up = Observer::start(broker, &[up_topic(&serial)]).await;
        let (shutdown, sd_rx) = watch::channel(false);
        let mut cfg = RunConfig::new(&image);
        cfg.broker = Some(lock_broker.clone());
        cfg.options.seed = Some(42);
        cfg.keep_alive = Duration::from_secs(5);
        let lock = start_lock(cfg, sd_rx).await.unwrap();
        status
            .wait_for(&status_topic(&serial), 15, |p| p == b"online")
            .await
            .expect("lock online");
        let console = LocalClient::connect(lock.local_addr).await.unwrap();
        Harness {
            _dir: dir,
            label,
            lock,
            console,
            up,
            admin: None,
            backlog: Default::default(),
            shutdown,
            rng,
            next_id: 1,
        }
    }

    /// Types one console line; returns what the lock answered.
    pub async fn say(&mut self, line: &str) -> String {
        let out = self.console.console_line(line).await.unwrap();
        println!("> {line}\n{out}");
        out
    }

    /// Types a line and checks the answer contains `want`.
    pub async fn expect(&mut self, line: &str, want: &str) -> String {
        let out = self.say(line).await;
        assert!(
            out.contains(want),
            "`{line}` answered {out:?}, expected it to contain {want:?}"
        );
        out
    }

    /// Runs the claim over the local link (the BLE stand-in) with `code`.
    pub async fn claim_with(&mut self, code: &str) -> Result<p::ControllerEndpoint, String> {
        let mut link = LocalClient::connect(self.lock.local_addr).await.unwrap();
        let key = p::StaticKey::generate(&mut self.rng);
        let (state, start) =
            ClaimController::start(code.as_bytes(), &self.label.serial, &mut self.rng)
                .map_err(|e| format!("{e:?}"))?;
        let reply = match request(&mut link, &ClaimMessage::Start(start)).await {
            Some(ClaimMessage::Reply(r)) => r,
            other => return Err(format!("no claim reply: {other:?}")),
        };
        let mut label = p::Name::new();
        label.push_str("test hub").unwrap();
        let (finishing, finish) = match state.handle_reply(&reply, &key, label) {
            Ok(x) => x,
            Err(ClaimError::KeyConfirmationFailed) => return Err("wrong setup code".into()),
            Err(e) => return Err(format!("{e:?}")),
        };
        let done = match request(&mut link, &ClaimMessage::Finish(finish)).await {
            Some(ClaimMessage::Done(d)) => d,
            other => return Err(format!("no claim done: {other:?}")),
        };
        finishing
            .handle_done(&done, key)
            .map(|c| c.endpoint)
            .map_err(|e| format!("{e:?}"))
    }

    /// Runs the claim over MQTT (plain claim frames on `down`, answers on `up`) with `code`.
    pub async fn claim_over_mqtt(&mut self, code: &str) -> Result<p::ControllerEndpoint, String> {
        let key = p::StaticKey::generate(&mut self.rng);
        let (state, start) =
            ClaimController::start(code.as_bytes(), &self.label.serial, &mut self.rng)
                .map_err(|e| format!("{e:?}"))?;
        let reply = match self.mqtt_claim(&ClaimMessage::Start(start)).await {
            Some(ClaimMessage::Reply(r)) => r,
            other => return Err(format!("no claim reply: {other:?}")),
        };
        let mut label = p::Name::new();
        label.push_str("mqtt hub").unwrap();
        let (finishing, finish) = match state.handle_reply(&reply, &key, label) {
            Ok(x) => x,
            Err(ClaimError::KeyConfirmationFailed) => return Err("wrong setup code".into()),
            Err(e) => return Err(format!("{e:?}")),
        };
        let done = match self.mqtt_claim(&ClaimMessage::Finish(finish)).await {
            Some(ClaimMessage::Done(d)) => d,
            other => return Err(format!("no claim done: {other:?}")),
        };
        finishing
            .handle_done(&done, key)
            .map(|c| c.endpoint)
            .map_err(|e| format!("{e:?}"))
    }

    async fn mqtt_claim(&mut self, m: &ClaimMessage) -> Option<ClaimMessage> {
        let mut buf = vec![0u8; p::MAX_MESSAGE_LEN];
        let n = p::encode(m, &mut buf).ok()?;
        buf.truncate(n);
        self.up
            .client
            .publish(
                down_topic(&self.label.serial),
                rumqttc::QoS::AtLeastOnce,
                false,
                buf,
            )
            .await
            .unwrap();
        loop {
            let (_, payload, _) = self.up.next(5).await?;
            if p::envelope::frame_kind(&payload) == p::envelope::FrameKind::Plain {
                match p::decode::<ClaimMessage>(&payload).ok()? {
                    // The lock's signed statement of its reset state (at every connect).
                    ClaimMessage::Statement(_) => continue,
                    m => return Some(m),
                }
            }
        }
    }

    /// Claims the lock with its label's setup code and keeps the controller as `admin`.
    pub async fn claim(&mut self) {
        let code = self.label.setup_code.clone();
        let ep = self
            .claim_with(&code)
            .await
            .expect("claim with the right code");
        self.admin = Some(ep);
    }

    /// Sends `cmd` sealed by `admin` on the down topic; returns the `Applied` answer, or `None`
    /// if the lock does not answer within a few seconds (e.g. it no longer knows the controller).
    pub async fn command(&mut self, cmd: p::Command) -> Option<p::Outcome> {
        let id = p::CommandId(self.next_id);
        self.next_id += 1;
        self.command_with_id(cmd, id).await
    }

    /// Like [`Harness::command`] with a chosen command id (a retry reuses the id in a fresh
    /// envelope).
    pub async fn command_with_id(
        &mut self,
        cmd: p::Command,
        id: p::CommandId,
    ) -> Option<p::Outcome> {
        let msg = p::Down::Request(p::Request { id, command: cmd });
        let admin = self.admin.as_mut().expect("claimed");
        let mut buf = vec![0u8; p::MAX_ENVELOPE_LEN];
        let n = admin.seal(&msg, &mut buf).unwrap();
        buf.truncate(n);
        self.up
            .client
            .publish(
                down_topic(&self.label.serial),
                rumqttc::QoS::AtLeastOnce,
                false,
                buf,
            )
            .await
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            let m = self.next_up(left).await?;
            match m {
                p::Up::Applied(a) if a.id == id => return Some(a.outcome),
                other => self.backlog.push_back(other),
            }
        }
    }

    /// The next message on the up topic that the admin can open, waiting at most `within`.
    pub async fn next_up(&mut self, within: Duration) -> Option<p::Up> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let secs = left.as_secs().max(1);
            if left.is_zero() {
                return None;
            }
            let (_, payload, _) = self.up.next(secs).await?;
            if let Some(admin) = self.admin.as_mut() {
                if let Ok(m) = admin.open(&payload) {
                    return Some(m);
                }
            }
        }
    }

    /// Waits until the admin receives an up message satisfying `pred`.
    pub async fn wait_up(
        &mut self,
        secs: u64,
        mut pred: impl FnMut(&p::Up) -> bool,
    ) -> Option<p::Up> {
        if let Some(i) = self.backlog.iter().position(&mut pred) {
            return self.backlog.remove(i);
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let m = self.next_up(left).await?;
            if pred(&m) {
                return Some(m);
            }
        }
    }

    /// Stops the lock.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.lock.task).await;
    }
}

async fn request(link: &mut LocalClient, m: &ClaimMessage) -> Option<ClaimMessage> {
    let mut buf = vec![0u8; p::MAX_MESSAGE_LEN];
    let n = p::encode(m, &mut buf).ok()?;
    let (kind, payload) = link.request(FrameKind::Proto, &buf[..n]).await.ok()?;
    assert_eq!(kind, FrameKind::Proto);
    let frames = unpack_frames(&payload)?;
    let first = frames.first()?;
    p::decode::<ClaimMessage>(first).ok()
}

/// A user record for `SetUser`.
pub fn user(index: u16, name: &str) -> p::UserRecord {
    let mut n = p::Name::new();
    n.push_str(name).unwrap();
    p::UserRecord {
        index,
        name: n,
        status: p::UserStatus::Enabled,
        user_type: p::UserType::Unrestricted,
        credential_rule: p::CredentialRule::Single,
        created_by: None,
        modified_by: None,
    }
}

/// A `SetCredential` giving `user` the PIN `pin` in its first slot.
pub fn pin_for(user: u16, pin: &str) -> p::Command {
    p::Command::SetCredential {
        slot: p::CredentialSlot {
            kind: p::CredentialKind::Pin,
            index: tumbler_device::bridge::global_slot(user, 0),
        },
        user,
        credential: p::Credential::Pin(p::Pin::new(pin.as_bytes()).unwrap()),
    }
}

/// Whether an outcome is `Ok`.
pub fn ok(o: &Option<p::Outcome>) -> bool {
    matches!(o, Some(p::Outcome::Ok(_)))
}
