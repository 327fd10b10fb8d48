//! Claim denial (issue 13, finding 4): a setup code that cannot be the
//! printed one is refused by the hub before it costs the lock an attempt,
//! and a lock refusing claims after too many wrong codes is reported as
//! such (429 with Retry-After), never as a 504.

use tumbler_hub::config::MqttConfig;
use tumbler_hub::control::proto as p;
use tumbler_testkit::fixtures::org_in;
use tumbler_testkit::mqtt::Observer;
use tumbler_testkit::{unique, SimLock, TestHub, TestHubOptions};

use crate::lock_e2e::{claim, sim_key};

/// The simulated lock's free claim attempts before it backs off.
const FREE_ATTEMPTS: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_codes_cost_nothing_and_a_throttling_lock_says_how_long() {
    let hub = TestHub::start_opts(TestHubOptions {
        manufacturer_key: sim_key(),
        ..TestHubOptions::new(MqttConfig::Builtin)
    })
    .await
    .unwrap();
    let state = hub.hub.state.clone();
    let s = state.service.clone();
    let broker = hub.broker();
    let a = org_in(&s, &unique("cd")).await;
    let dir = tempfile::tempdir().unwrap();
    let mut sim = SimLock::start(dir.path(), &unique("LK"), broker.clone()).await;
    let serial = sim.label.serial.clone();
    let mut down = Observer::start(&broker, &[format!("tumbler/v1/{serial}/down")]).await;

    // Codes that cannot be the label's: 400 naming the format, nothing sent.
    for bad in [
        "1",
        "1234567",
        "123456789",
        "1234 567",
        "abcdefgh",
        "１２３４５６７８",
    ] {
        let (st, v) = claim(&state, &a, &sim.label, bad).await;
        assert_eq!(st, 400, "{bad:?}: {v}");
        assert_eq!(v["code"], "invalid_input", "{v}");
        let detail = v["detail"].as_str().unwrap();
        assert!(
            detail.contains("setup_code") && detail.contains("8 digits"),
            "{v}"
        );
    }
    // (The hub may ask an unknown lock for its statement; no claim start.)
    while let Some((_, frame, _)) = down.next(1).await {
        let m = p::decode::<p::claim::ClaimMessage>(&frame);
        assert!(
            !matches!(m, Ok(p::claim::ClaimMessage::Start(_))),
            "a malformed setup code must not reach the lock"
        );
    }

    // Well-formed wrong codes: the lock's free attempts are all still there
    // (had the malformed ones counted, it would refuse within these).
    let wrong = if sim.label.setup_code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    for n in 0..=FREE_ATTEMPTS {
        let (st, v) = claim(&state, &a, &sim.label, wrong).await;
        assert_eq!(
            (st.as_u16(), v["code"].as_str()),
            (422, Some("wrong_setup_code")),
            "wrong code {n}: {v}"
        );
    }

    // One attempt too many: the lock refuses claims for a while. The owner's
    // right code is told so at once, with Retry-After, never a 504.
    let (st, v) = claim(&state, &a, &sim.label, &sim.label.setup_code).await;
    assert_eq!(st, 429, "{v}");
    assert_eq!(v["code"], "claim_throttled", "{v}");
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains("refuses claims for") && detail.contains("too many wrong setup codes"),
        "{v}"
    );
    let secs: u64 = detail
        .split("refuses claims for ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!((1..=60).contains(&secs), "{v}");
    assert!(
        s.store().lock_by_serial(&serial).await.unwrap().is_none(),
        "nothing stored"
    );
    sim.shutdown().await;
    hub.stop().await;
}

#[tokio::test]
async fn the_retry_after_header_carries_the_lock_s_wait() {
    use axum::response::IntoResponse;
    use tumbler_hub::api::ApiError;
    use tumbler_hub::service::ServiceError;
    let res = ApiError::from(ServiceError::ClaimThrottled { retry_after_s: 463 }).into_response();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "463");
}
