//! The harness checks itself: axe-core, injected as the stories inject it,
//! reports an image without text and an unlabelled field as failing
//! violations, so a clean result on a real page means something.

use super::driver::Browser;

#[tokio::test]
async fn axe_reports_what_must_fail() {
    let Some(tools) = super::tools().await else {
        return;
    };
    let b = Browser::open(&tools, "http://127.0.0.1:9").await;
    b.client()
        .goto("data:text/html,<html><title>t</title><main><img src=x.png><input type=text></main></html>")
        .await
        .unwrap();
    let found = b.axe_violations().await;
    for rule in ["image-alt", "label"] {
        let v = found.iter().find(|v| v.id == rule);
        assert!(
            v.is_some_and(|v| v.fails()),
            "{rule} not failing: {found:?}"
        );
    }
    b.close().await;
}
