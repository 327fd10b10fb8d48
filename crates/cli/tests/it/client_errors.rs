//! Client commands without a hub: usage errors, not logged in, unreachable.

use crate::{code_out, tumbler};

#[test]
fn exit_codes_without_a_hub() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    assert_eq!(
        code_out(&tumbler(&cfg, &["sites", "frobnicate"], None)).0,
        2,
        "usage"
    );
    assert_eq!(
        code_out(&tumbler(&cfg, &["locks", "list"], None)).0,
        3,
        "not logged in"
    );
    std::fs::write(&cfg, r#"{"url":"http://127.0.0.1:9","token":"tum_s_x"}"#).unwrap();
    assert_eq!(
        code_out(&tumbler(&cfg, &["locks", "list"], None)).0,
        7,
        "unreachable"
    );
    assert_eq!(
        code_out(&tumbler(&cfg, &["hub", "--database", "mysql://x"], None)).0,
        2,
        "bad database URL"
    );
    assert_eq!(
        code_out(&tumbler(&cfg, &["hub", "--mqtt", "amqp://x"], None)).0,
        2,
        "bad broker URL"
    );
}
