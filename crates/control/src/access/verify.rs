//! The verification report after a reset: what the lock's signed self-check and
//! its slot digests say, checked against who should (and should not) be on it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tumbler_proto::{SlotDigest, UserIndex};

use super::schedule::zone;
use super::slot_digest;

/// What a verified self-check says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfCheckFacts {
    /// The factory signature verifies under the pinned factory key.
    pub verified: bool,
    /// It answers this verification's fresh challenge.
    pub challenge_ok: bool,
    /// Factory resets so far.
    pub reset_counter: u32,
    /// Users on the lock.
    pub users: u16,
    /// Credentials on the lock.
    pub credentials: u16,
    /// Paired controllers.
    pub controllers: u8,
    /// In setup mode.
    pub setup_mode: bool,
    /// Battery.
    pub battery_percent: u8,
    /// Motor test passed.
    pub motor_ok: bool,
}

/// A person who should be on the lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedSlot {
    /// User slot.
    pub slot: UserIndex,
    /// Name.
    pub person: String,
    /// The digest recorded when the lock confirmed it.
    pub recorded_digest: Option<[u8; 32]>,
}

/// Everything the report is built from.
#[derive(Clone, Debug)]
pub struct VerificationInput {
    /// Serial.
    pub serial: String,
    /// Display name.
    pub lock_label: String,
    /// Site zone (for the timestamp).
    pub zone: String,
    /// When, UTC seconds.
    pub generated_at_utc: i64,
    /// The reset counter before the reset, if known.
    pub previous_reset_counter: Option<u32>,
    /// The self-check, if it answered.
    pub self_check: Option<SelfCheckFacts>,
    /// Who should be there.
    pub expected: Vec<ExpectedSlot>,
    /// Who was removed (for the reader).
    pub removed_people: Vec<String>,
    /// Every slot's digest as read.
    pub observed: Vec<SlotDigest>,
    /// User slots on the lock.
    pub max_users: u16,
}

/// One check of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable id.
    pub id: String,
    /// Passed.
    pub passed: bool,
    /// In words.
    pub detail: String,
}

/// The verification report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationReport {
    /// Serial.
    pub serial: String,
    /// Display name.
    pub lock_label: String,
    /// RFC 3339 in the site zone.
    pub generated_at: String,
    /// Every check passed.
    pub passed: bool,
    /// The checks.
    pub checks: Vec<Check>,
    /// Who is on the lock.
    pub present: Vec<ExpectedSlot>,
    /// Who is not any more.
    pub removed_people: Vec<String>,
}

fn check(id: &str, passed: bool, detail: impl Into<String>) -> Check {
    Check {
        id: id.into(),
        passed,
        detail: detail.into(),
    }
}

/// Builds the report.
pub fn verify(input: &VerificationInput) -> VerificationReport {
    let mut checks = Vec::new();
    let sc = input.self_check.as_ref();
    checks.push(match sc {
        Some(s) => check(
            "self_check_signed",
            s.verified && s.challenge_ok,
            if s.verified && s.challenge_ok {
                "the lock's factory key signed a self-check answering this verification's challenge"
                    .to_owned()
            } else {
                format!(
                    "signature verified: {}, challenge answered: {}",
                    s.verified, s.challenge_ok
                )
            },
        ),
        None => check(
            "self_check_signed",
            false,
            "the lock did not answer the self-check",
        ),
    });
    checks.push(match (sc, input.previous_reset_counter) {
        (Some(s), Some(prev)) => check(
            "reset_seen",
            s.reset_counter > prev,
            format!(
                "reset counter {} (was {prev} before the reset)",
                s.reset_counter
            ),
        ),
        (Some(s), None) => check(
            "reset_seen",
            true,
            format!(
                "reset counter {}; no earlier reset counter on record",
                s.reset_counter
            ),
        ),
        (None, _) => check("reset_seen", false, "no self-check"),
    });
    checks.push(match sc {
        Some(s) => check(
            "only_this_hub",
            s.controllers == 1,
            format!(
                "{} paired controller(s): every old controller is gone only if this is 1",
                s.controllers
            ),
        ),
        None => check("only_this_hub", false, "no self-check"),
    });
    checks.push(match sc {
        Some(s) => check(
            "not_in_setup_mode",
            !s.setup_mode,
            if s.setup_mode {
                "the lock is in setup mode"
            } else {
                "claimed"
            },
        ),
        None => check("not_in_setup_mode", false, "no self-check"),
    });
    let mut missing = Vec::new();
    for e in &input.expected {
        match slot_digest(&input.observed, e.slot) {
            None => missing.push(format!("slot {} ({}): not read", e.slot, e.person)),
            Some(d) if d == [0; 32] => {
                missing.push(format!("slot {} ({}): digest absent", e.slot, e.person))
            }
            Some(d) if e.recorded_digest.is_some_and(|r| r != d) => missing.push(format!(
                "slot {} ({}): digest differs from the confirmed one",
                e.slot, e.person
            )),
            Some(_) => {}
        }
    }
    checks.push(check(
        "chosen_present",
        missing.is_empty(),
        if missing.is_empty() {
            format!(
                "{} chosen people present, as confirmed",
                input.expected.len()
            )
        } else {
            missing.join("; ")
        },
    ));
    let strays: Vec<String> = input
        .observed
        .iter()
        .filter(|o| o.digest != [0; 32] && !input.expected.iter().any(|e| e.slot == o.user))
        .map(|o| format!("slot {}", o.user))
        .collect();
    checks.push(check(
        "others_absent",
        strays.is_empty(),
        if strays.is_empty() {
            "every other user slot is empty: no old code, card, fingerprint or app key remains"
                .to_owned()
        } else {
            format!("not empty: {}", strays.join(", "))
        },
    ));
    let unread: Vec<u16> = (1..=input.max_users)
        .filter(|u| !input.observed.iter().any(|o| o.user == *u))
        .collect();
    checks.push(check(
        "all_slots_read",
        unread.is_empty(),
        if unread.is_empty() {
            format!("all {} user slots read", input.max_users)
        } else {
            format!("{} slots not read", unread.len())
        },
    ));
    checks.push(match sc {
        Some(s) => check(
            "counts_match",
            usize::from(s.users) == input.expected.len(),
            format!(
                "{} users on the lock, {} expected",
                s.users,
                input.expected.len()
            ),
        ),
        None => check("counts_match", false, "no self-check"),
    });
    checks.push(match sc {
        Some(s) => check(
            "motor_ok",
            s.motor_ok,
            format!(
                "motor test {}; battery {}%",
                if s.motor_ok { "passed" } else { "FAILED" },
                s.battery_percent
            ),
        ),
        None => check("motor_ok", false, "no self-check"),
    });
    let generated_at = Timestamp::from_second(input.generated_at_utc)
        .ok()
        .and_then(|t| zone(&input.zone).ok().map(|z| t.to_zoned(z)))
        .map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
        .unwrap_or_default();
    VerificationReport {
        serial: input.serial.clone(),
        lock_label: input.lock_label.clone(),
        generated_at,
        passed: checks.iter().all(|c| c.passed),
        checks,
        present: input.expected.clone(),
        removed_people: input.removed_people.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

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
    fn verification_report() {
        let r = verify(&input());
        assert!(r.passed, "{r:#?}");
        assert_eq!(r.generated_at, "2026-10-24T09:30:00+02:00");
        let mut i = input();
        i.observed[2].digest = [9; 32];
        let r = verify(&i);
        assert!(!r.passed);
        assert!(r
            .checks
            .iter()
            .any(|c| c.id == "others_absent" && !c.passed));
        let mut i = input();
        i.self_check = None;
        assert!(!verify(&i).passed);
        let mut i = input();
        i.self_check.as_mut().unwrap().controllers = 2;
        let r = verify(&i);
        let failed: Vec<&str> = r
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(failed, ["only_this_hub"]);
    }
}
