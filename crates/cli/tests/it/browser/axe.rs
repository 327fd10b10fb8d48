//! axe-core inside the page: inject `axe.min.js` once per page, run it on
//! the whole document, and bring back each violation's rule, impact, help
//! text and the failing elements (CSS selectors).

use fantoccini::Client;
use serde::Deserialize;
use serde_json::Value;

/// One rule a page breaks, as axe-core reports it.
#[derive(Debug, Deserialize)]
pub struct Violation {
    /// The rule (`color-contrast`, `label`, …).
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    /// What the rule asks for.
    pub help: String,
    /// The failing elements, one CSS selector each.
    pub targets: Vec<String>,
}

impl Violation {
    /// True for the impacts that fail a test: `serious` and `critical`.
    pub fn fails(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {} — {}",
            self.impact.as_deref().unwrap_or("?"),
            self.id,
            self.help,
            self.targets.join(", ")
        )
    }
}

/// "N violation(s)", with the count per impact.
pub fn summary(found: &[Violation]) -> String {
    let mut per = Vec::new();
    for impact in ["critical", "serious", "moderate", "minor"] {
        let n = found
            .iter()
            .filter(|v| v.impact.as_deref() == Some(impact))
            .count();
        if n > 0 {
            per.push(format!("{impact} {n}"));
        }
    }
    if per.is_empty() {
        format!("{} violation(s)", found.len())
    } else {
        format!("{} violation(s): {}", found.len(), per.join(", "))
    }
}

/// Runs axe-core (source `axe_js`) on the page `client` shows.
pub async fn run(client: &Client, axe_js: &str) -> Vec<Violation> {
    let loaded = client
        .execute("return typeof window.axe === 'object';", vec![])
        .await
        .unwrap();
    if loaded != Value::Bool(true) {
        client.execute(axe_js, vec![]).await.unwrap();
    }
    let found = client
        .execute_async(
            r"const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.map(t => typeof t === 'string' ? t : JSON.stringify(t)).join(' ')),
              }))))
              .catch(e => done({ error: String(e) }));",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found.clone()).unwrap_or_else(|e| panic!("axe failed: {found} ({e})"))
}
