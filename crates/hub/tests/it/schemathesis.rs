//! The OpenAPI document is the truth: schemathesis (`st`, pinned in
//! `.ci/run`) runs every check it has against a real hub (SQLite, built-in
//! broker, two simulated locks claimed) and must find nothing. The bounded
//! CI run: examples, coverage and a short fuzzing phase, fixed seed. The
//! long run (`scripts/schemathesis-long.sh`) is this test with the
//! `TUMBLER_SCHEMATHESIS_*` variables set. Without `st` the test is skipped
//! with a notice, except under `CI=true`, where that is a failure.
//!
//! Three routes are left out because they end the test's own session (then
//! every later case is a 401 and tests nothing): logout, password change and
//! token revocation; `api_flows` covers them.

use std::process::Command;

use serde_json::json;
use tumbler_hub::model::Role;
use tumbler_testkit::fixtures::org_in;
use tumbler_testkit::http::call_as;
use tumbler_testkit::{unique, SimLock, TestHub, TestHubOptions};

use crate::lock_e2e::sim_key;

/// What schemathesis may expect of a request its schema admits: the
/// defaults plus 422, the hub's answer to well-formed input refused on its
/// meaning (an unknown time zone, a rule between two fields). Shape rules
/// (lengths, patterns, ranges, required members) are in the schema and
/// answer 400, so a schema-valid request answered 400 is still a failure.
///
/// Answers within 15 s (a claim waits up to 10 s for the lock), except the
/// long-polls: `?wait_ms=` holds an answer until the operation is final, up to
/// 60 s by design, and an operation to an offline lock (a revoke-all of offline
/// codes, a reboot) stays pending that long.
const CONFIG: &str = r#"
checks.max_response_time = 15.0

[[operations]]
include-path-regex = "^/api/v1/(operations/\\{id\\}|locks/\\{id\\}/operations)$"
request-timeout = 70.0
checks.max_response_time = 65.0

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

# 502, 503 and 504 are the hub as a gateway to the locks (documented on the
# routes that talk to a lock: claim, reclaim); any other 5xx is a failure.
[checks.not_a_server_error]
expected-statuses = ["1xx", "2xx", "3xx", "4xx", "502", "503", "504"]
"#;

/// An environment override or the CI default.
fn setting(name: &str, default: &str) -> String {
    std::env::var(format!("TUMBLER_SCHEMATHESIS_{name}")).unwrap_or_else(|_| default.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing() {
    let st = setting("BIN", "st");
    match Command::new(&st).arg("--version").output() {
        Ok(o) if o.status.success() => {
            eprintln!(
                "schemathesis: {}",
                String::from_utf8_lossy(&o.stdout).trim()
            );
        }
        other => {
            let why = format!("schemathesis ({st}) is not installed: {other:?}; see .ci/run");
            assert!(!tumbler_testkit::ci(), "{why}");
            eprintln!("SKIPPED schemathesis_finds_nothing: {why}");
            return;
        }
    }

    // With the simulator's manufacturer key, so manufacturer resets run.
    let hub = TestHub::start_opts(TestHubOptions {
        manufacturer_key: sim_key(),
        ..TestHubOptions::new(tumbler_hub::config::MqttConfig::Builtin)
    })
    .await
    .unwrap();
    let state = hub.hub.state.clone();
    let s = state.service.clone();
    let org = org_in(&s, &unique("st")).await;
    let owner = org.token(Role::Owner).to_owned();
    // Two real locks, claimed, so lock routes have something to act on.
    let dir = tempfile::tempdir().unwrap();
    let mut sims = Vec::new();
    for _ in 0..2 {
        let sim = SimLock::start(dir.path(), &unique("ST"), hub.broker()).await;
        let (code, v) = call_as(
            &state,
            "POST",
            "/api/v1/locks/claim",
            &owner,
            Some(json!({
                "serial": sim.label.serial,
                "setup_code": sim.label.setup_code,
                "site_id": org.site_id,
                "label": "Door",
                "factory_key": sim.label.identity_public_key,
            })),
        )
        .await;
        assert_eq!(code, 201, "{v}");
        sims.push(sim);
    }

    let config = dir.path().join("schemathesis.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let url = format!("{}/api/v1/openapi.json", hub.base_url);
    let mut cmd = Command::new(&st);
    // Its cache and reports go to the temporary directory, not the crate.
    cmd.current_dir(dir.path())
        .arg("--config-file")
        .arg(&config)
        .args(["run", &url, "--checks", "all", "--no-color"])
        .args(["--header", &format!("Authorization: Bearer {owner}")])
        .args(["--seed", &setting("SEED", "20261207")])
        .args(["--max-examples", &setting("MAX_EXAMPLES", "20")])
        .args(["--phases", &setting("PHASES", "examples,coverage,fuzzing")])
        // One worker: with two threads, hypothesis parses lambda sources with
        // `ast` concurrently, and CPython 3.11's AST recursion counter is not
        // thread-safe ("AST constructor recursion depth mismatch", a runtime
        // error of the tool, not a finding; seen in CI on 2026-12-07).
        .args(["--workers", &setting("WORKERS", "1")])
        .args(["--request-timeout", "30"])
        // The response-time limits are in CONFIG (long-polls have their own).
        .args(["--generation-database", "none"])
        .args(["--exclude-operation-id", "post_logout"])
        .args(["--exclude-operation-id", "post_me_password"])
        .args(["--exclude-operation-id", "delete_tokens__id_"])
        .args(["--suppress-health-check", "all"]);
    if let Ok(t) = std::env::var("TUMBLER_SCHEMATHESIS_MAX_TIME") {
        cmd.args(["--max-time", &t]);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // schemathesis prints its own times (per phase and in all).
    eprintln!("{stdout}\n{stderr}");
    assert!(
        out.status.success(),
        "schemathesis found failures ({}); its output is above",
        out.status
    );
    for mut sim in sims {
        sim.shutdown().await;
    }
    hub.stop().await;
}
