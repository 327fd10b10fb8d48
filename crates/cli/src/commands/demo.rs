//! The demo locks of `tumbler up`: three simulated locks (images under
//! `<data-dir>/locks/`, provisioned on the first run), run against the
//! built-in broker and claimed into the demo site with their setup codes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tumbler_device::mqtt::{BrokerAddr, BrokerLogin};
use tumbler_device::RunConfig;
use tumbler_hub::control::SecretPin;
use tumbler_hub::model::{ClaimState, Role, TokenKind};
use tumbler_hub::service::claim::ClaimRequest;
use tumbler_hub::service::{Principal, ServiceError};
use tumbler_hub::Hub;

use crate::config::write_private;

/// How many demo locks `up` runs.
pub const DEMO_LOCKS: usize = 3;

/// What is printed on a demo lock's label (kept next to its image, mode 0600).
#[derive(Debug, Serialize, Deserialize)]
struct SavedLabel {
    serial: String,
    setup_code: String,
    identity_public_key: String,
}

/// A running demo lock.
#[derive(Debug)]
pub struct DemoLock {
    /// Serial.
    pub serial: String,
    /// Setup code (printed so a newcomer can re-claim after a reset).
    pub setup_code: String,
    /// The hub's view: claimed, reset_binding_stale, …
    pub state: String,
    /// Local link address for `tumbler sim console`.
    pub console: String,
    /// The lock's task (ends after the stop signal).
    pub task: tokio::task::JoinHandle<()>,
}

fn labels(dir: &Path) -> anyhow::Result<Vec<(PathBuf, SavedLabel)>> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "label") {
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            let l: SavedLabel = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a lock label", p.display()))?;
            out.push((p.with_extension("img"), l));
        }
    }
    out.sort_by(|a, b| a.1.serial.cmp(&b.1.serial));
    Ok(out)
}

/// Provisions the demo locks on the first run, starts them and claims the
/// unclaimed ones into the demo organisation's first site.
pub async fn start(
    hub: &Hub,
    data_dir: &Path,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Vec<DemoLock>> {
    let dir = data_dir.join("locks");
    let mut found = labels(&dir)?;
    if found.is_empty() {
        let mut raw = [0u8; 2];
        getrandom::fill(&mut raw).map_err(|e| anyhow::anyhow!("no OS randomness: {e}"))?;
        let tag = format!("{:04X}", u16::from_le_bytes(raw));
        for n in 1..=DEMO_LOCKS {
            let serial = format!("DEMO-{tag}-{n}");
            let image = dir.join(format!("{serial}.img"));
            let label = super::sim::provision(&image, &serial)?;
            let saved = SavedLabel {
                serial: label.serial,
                setup_code: label.setup_code,
                identity_public_key: label.identity_public_key,
            };
            write_private(
                &image.with_extension("label"),
                serde_json::to_string_pretty(&saved)?.as_bytes(),
            )?;
        }
        found = labels(&dir)?;
    }
    // The demo provisions its locks: each logs in as its serial with the
    // password derived from the hub's broker secret.
    let broker = BrokerAddr {
        host: hub.mqtt_addr.0.clone(),
        port: hub.mqtt_addr.1,
        login: Some(BrokerLogin::Provisioned(*hub.broker_secret.expose())),
        tls: None,
    };
    let owner = demo_owner(hub).await?;
    let mut out = Vec::new();
    for (image, label) in found {
        let mut cfg = RunConfig::new(&image);
        cfg.broker = Some(broker.clone());
        let running = tumbler_device::start_lock(cfg, stop.clone())
            .await
            .map_err(|e| anyhow::anyhow!("starting lock {}: {e}", label.serial))?;
        // Ask only once the lock listens on the broker: a claim sent before
        // that waits out the whole claim timeout (10 s).
        if let Some(mut link) = running.link.clone() {
            let online = link.wait_for(|s| *s == tumbler_device::mqtt::LinkState::Online);
            let _ = tokio::time::timeout(Duration::from_secs(10), online).await;
        }
        let state = match &owner {
            Some((p, site)) => claim(hub, p, *site, &label).await,
            None => "not claimed (no demo organisation)".into(),
        };
        out.push(DemoLock {
            serial: label.serial,
            setup_code: label.setup_code,
            state,
            console: running.local_addr.to_string(),
            task: running.task,
        });
    }
    Ok(out)
}

/// The demo organisation's owner (the admin `up` created) and its first site.
async fn demo_owner(hub: &Hub) -> anyhow::Result<Option<(Principal, i64)>> {
    let store = hub.state.service.store();
    let Some((account, _)) = store.account_for_login(super::up::ADMIN_EMAIL).await? else {
        return Ok(None);
    };
    let Some(site) = store
        .list_sites(account.org_id)
        .await?
        .first()
        .map(|s| s.id)
    else {
        return Ok(None);
    };
    Ok(Some((
        Principal {
            account_id: account.id,
            org_id: account.org_id,
            role: Role::Owner,
            token_id: 0,
            token_kind: TokenKind::Session,
            operator: false,
        },
        site,
    )))
}

/// Claims one demo lock unless the hub already has it; returns its state in words.
async fn claim(hub: &Hub, p: &Principal, site: i64, label: &SavedLabel) -> String {
    let store = hub.state.service.store();
    if let Ok(Some(l)) = store.lock_by_serial(&label.serial).await {
        if !matches!(l.claim_state, ClaimState::Unclaimed | ClaimState::Released) {
            return l.claim_state.to_string();
        }
    }
    // The hub may still be settling: a few tries.
    for _ in 0..3 {
        let req = ClaimRequest {
            serial: label.serial.clone(),
            setup_code: SecretPin::new(label.setup_code.clone()),
            site_id: site,
            label: None,
            factory_key: Some(label.identity_public_key.clone()),
        };
        match hub.state.service.claim(p, req).await {
            Ok(l) => {
                hub.state.wake_jobs();
                return l.claim_state.to_string();
            }
            Err(ServiceError::LockTimeout) => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return format!("not claimed: {e}"),
        }
    }
    "not claimed: the lock did not answer".into()
}
