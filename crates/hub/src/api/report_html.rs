//! The verification report as a self-contained printable page (HTML belongs at
//! the edge, not in the sans-I/O control crate). Every string is escaped.

use crate::control::access::VerificationReport;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A self-contained printable page (every string escaped).
pub fn verification_html(report: &VerificationReport) -> String {
    let mut rows = String::new();
    for c in &report.checks {
        rows.push_str(&format!(
            "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>\n",
            esc(&c.id),
            if c.passed { "ok" } else { "bad" },
            if c.passed { "passed" } else { "FAILED" },
            esc(&c.detail)
        ));
    }
    let present: String = report
        .present
        .iter()
        .map(|p| format!("<li>{} (slot {})</li>", esc(&p.person), p.slot))
        .collect();
    let removed: String = report
        .removed_people
        .iter()
        .map(|p| format!("<li>{}</li>", esc(p)))
        .collect();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Lock verification {serial}</title>\
<style>body{{font-family:sans-serif;max-width:48em;margin:2em auto}}table{{border-collapse:collapse;width:100%}}\
td,th{{border:1px solid #999;padding:.3em;text-align:left}}.ok{{color:#060}}.bad{{color:#a00;font-weight:bold}}</style></head>\
<body><h1>Lock verification: {verdict}</h1><p>Lock <b>{label}</b> (serial {serial}), checked {at}.</p>\
<table><tr><th>check</th><th>result</th><th>detail</th></tr>\n{rows}</table>\
<h2>Who can open this door</h2><ul>{present}</ul><h2>Removed</h2><ul>{removed}</ul>\
<p>Slots are compared by the digest the lock computes over each user, credential and schedule; no code is ever read back.</p></body></html>\n",
        serial = esc(&report.serial),
        label = esc(&report.lock_label),
        at = esc(&report.generated_at),
        verdict = if report.passed { "PASSED" } else { "FAILED" },
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::control::access::{verify, ExpectedSlot, SelfCheckFacts, VerificationInput};
    use crate::control::proto::SlotDigest;

    fn input() -> VerificationInput {
        let facts = SelfCheckFacts {
            verified: true,
            challenge_ok: true,
            reset_counter: 2,
            users: 1,
            credentials: 1,
            controllers: 1,
            setup_mode: false,
            battery_percent: 80,
            motor_ok: true,
        };
        let mut observed: Vec<SlotDigest> = (1..=4)
            .map(|u| SlotDigest {
                user: u,
                digest: [0; 32],
            })
            .collect();
        observed[1].digest = [7; 32];
        VerificationInput {
            serial: "S1".into(),
            lock_label: "Front".into(),
            zone: "Europe/Berlin".into(),
            generated_at_utc: 1_792_827_000,
            previous_reset_counter: Some(1),
            self_check: Some(facts),
            expected: vec![ExpectedSlot {
                slot: 2,
                person: "Alice <script>".into(),
                recorded_digest: Some([7; 32]),
            }],
            removed_people: vec!["Carol".into()],
            observed,
            max_users: 4,
        }
    }

    #[test]
    fn verification_html_escapes_every_string() {
        let html = verification_html(&verify(&input()));
        assert!(html.contains("Alice &lt;script&gt;"));
        assert!(!html.contains("<script>"));
    }
}
