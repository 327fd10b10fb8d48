//! Unit tests of the pure planner over many fact combinations: order
//! (least destructive first), content, the factory reset's "not yet", the
//! checks and the warnings before a factory reset.

use super::*;
use crate::service::doctor::check::{check, factory_reset_warnings, CheckOutcome};

const NOW: i64 = 1_767_225_600_000;

fn healthy() -> Facts {
    Facts {
        presence: Presence::Online,
        last_seen_ms: Some(NOW - 1_000),
        status_ms: Some(NOW - 1_000),
        battery_pct: Some(90),
        mode: Some("normal".into()),
        clock_skew_s: Some(0),
        firmware: Some("1.0.0".into()),
        ..Facts::unknown(NOW)
    }
}

fn steps(p: &Plan) -> Vec<DoctorStep> {
    p.steps.iter().map(|s| s.step).collect()
}

fn rank_of(s: DoctorStep) -> u8 {
    text(s).cost_rank
}

/// Every plan is ordered by cost, the factory reset (if any) last.
fn assert_ordered(p: &Plan) {
    let ranks: Vec<u8> = p.steps.iter().map(|s| rank_of(s.step)).collect();
    let mut sorted = ranks.clone();
    sorted.sort_unstable();
    assert_eq!(ranks, sorted, "{:?}", steps(p));
    if let Some(i) = p
        .steps
        .iter()
        .position(|s| s.step == DoctorStep::FactoryReset)
    {
        assert_eq!(i + 1, p.steps.len(), "factory reset last: {:?}", steps(p));
    }
    let mut seen = std::collections::HashSet::new();
    for s in &p.steps {
        assert!(seen.insert(s.step), "{:?} twice", s.step);
        assert!(!s.todo.is_empty() && !s.costs.is_empty() && !s.fixes.is_empty());
        assert!(!s.why.is_empty());
    }
}

#[test]
fn a_healthy_lock_without_a_symptom_has_no_plan() {
    let p = plan(&healthy(), None);
    assert!(p.steps.is_empty(), "{:?}", steps(&p));
    assert!(p.findings.is_empty(), "{:?}", p.findings);
}

#[test]
fn every_symptom_on_a_healthy_lock_follows_the_ladder_and_ends_with_a_reset_not_advised() {
    for s in Symptom::ALL {
        let p = plan(&healthy(), Some(*s));
        assert_ordered(&p);
        let last = p.steps.last().unwrap();
        assert_eq!(last.step, DoctorStep::FactoryReset, "{s}");
        assert!(
            last.not_yet
                .as_deref()
                .unwrap_or("")
                .contains("softer steps remain"),
            "{s}: {last:?}"
        );
        assert!(last.costs.contains("everything"));
        assert!(p.steps.len() >= 2, "{s}");
    }
    // The does-not-respond ladder of the source documents.
    let p = plan(&healthy(), Some(Symptom::DoesNotRespond));
    assert_eq!(
        steps(&p),
        [
            DoctorStep::Batteries,
            DoctorStep::Reboot,
            DoctorStep::Reconnect,
            DoctorStep::MechanicalKey,
            DoctorStep::FactoryReset
        ]
    );
}

#[test]
fn low_battery_comes_first_and_blocks_the_factory_reset() {
    let f = Facts {
        battery_pct: Some(5),
        battery_falling: true,
        ..healthy()
    };
    for s in Symptom::ALL {
        let p = plan(&f, Some(*s));
        assert_ordered(&p);
        let first_costly = p.steps.iter().find(|s| rank_of(s.step) > 0).unwrap();
        assert_eq!(first_costly.step, DoctorStep::Batteries, "{s}");
        assert!(first_costly.why.contains("5 %"), "{}", first_costly.why);
        let reset = p.steps.last().unwrap();
        assert!(
            reset
                .not_yet
                .as_deref()
                .unwrap()
                .contains("change the batteries first"),
            "{reset:?}"
        );
    }
    assert!(plan(&f, None)
        .findings
        .iter()
        .any(|x| x == "battery 5 %, falling"));
    let w = factory_reset_warnings(&f);
    assert!(w.iter().any(|w| w.contains("low_battery")), "{w:?}");
}

#[test]
fn a_refused_low_battery_operation_counts_as_low_battery_without_a_level() {
    let f = Facts {
        battery_pct: None,
        refusals: vec!["low_battery".into()],
        ..healthy()
    };
    let p = plan(&f, None);
    assert_eq!(steps(&p), [DoctorStep::Batteries]);
}

#[test]
fn frozen_firmware_suggests_a_reboot_before_anything_costly() {
    let f = Facts {
        unanswered_ops: 2,
        unanswered_since_ms: Some(NOW - 60_000),
        ..healthy()
    };
    let p = plan(&f, Some(Symptom::DoesNotRespond));
    assert_ordered(&p);
    assert_eq!(
        steps(&p),
        [
            DoctorStep::Batteries,
            DoctorStep::Reboot,
            DoctorStep::Reconnect,
            DoctorStep::MechanicalKey,
            DoctorStep::FactoryReset
        ]
    );
    let reboot = &p.steps[1];
    assert!(reboot.why.contains("unanswered"), "{reboot:?}");
    assert!(reboot.costs.contains("keeps"), "{reboot:?}");
    assert!(p.findings[0].contains("not answering"), "{:?}", p.findings);
    // Before a factory reset: try a reboot first.
    let w = factory_reset_warnings(&f);
    assert!(w.iter().any(|w| w.contains("no reboot was tried")), "{w:?}");
    // After a reboot the warning goes (the reboot was tried).
    let after = Facts {
        last_reboot_ms: Some(NOW - 1_000),
        ..f
    };
    assert!(factory_reset_warnings(&after).is_empty());
}

#[test]
fn a_frozen_lock_without_symptom_still_gets_a_reboot() {
    let f = Facts {
        unanswered_ops: 1,
        ..healthy()
    };
    assert_eq!(steps(&plan(&f, None)), [DoctorStep::Reboot]);
}

#[test]
fn an_offline_lock_suggests_reconnecting() {
    let f = Facts {
        presence: Presence::Offline,
        ..healthy()
    };
    let p = plan(&f, Some(Symptom::AppCannotConnect));
    assert_ordered(&p);
    assert_eq!(
        steps(&p),
        [
            DoctorStep::Batteries,
            DoctorStep::Reboot,
            DoctorStep::Reconnect,
            DoctorStep::FactoryReset
        ]
    );
    assert!(p.steps[2].why.contains("cannot reach"));
    assert!(p.findings[0].starts_with("offline"), "{:?}", p.findings);
    assert!(!factory_reset_warnings(&f).is_empty());
}

#[test]
fn a_drifted_clock_suggests_setting_it_for_a_refused_code() {
    let f = Facts {
        clock_skew_s: Some(-3_600),
        ..healthy()
    };
    let p = plan(&f, Some(Symptom::CodeRefused));
    assert_ordered(&p);
    assert_eq!(p.steps[0].step, DoctorStep::SetClock);
    assert!(p.steps[0].why.contains("-3600 s"), "{:?}", p.steps[0]);
    // Within its threshold a skew is no finding.
    let fine = Facts {
        clock_skew_s: Some(CLOCK_DRIFT_S),
        ..healthy()
    };
    assert!(!steps(&plan(&fine, Some(Symptom::CodeRefused))).contains(&DoctorStep::SetClock));
}

#[test]
fn a_lockout_says_to_wait_first() {
    let f = Facts {
        lockout: true,
        denials: Denials {
            wrong_code: 5,
            ..Denials::default()
        },
        ..healthy()
    };
    let p = plan(&f, Some(Symptom::CodeRefused));
    assert_ordered(&p);
    assert_eq!(p.steps[0].step, DoctorStep::WaitLockout);
    assert!(p.steps.iter().any(|s| s.step == DoctorStep::ReprogramCodes));
    assert!(p.findings.iter().any(|x| x.contains("5 unknown code")));
    assert!(factory_reset_warnings(&f)
        .iter()
        .any(|w| w.contains("lockout")));
}

#[test]
fn vacation_mode_says_back_to_normal_first() {
    let f = Facts {
        mode: Some("vacation".into()),
        denials: Denials {
            mode: 1,
            ..Denials::default()
        },
        ..healthy()
    };
    let p = plan(&f, Some(Symptom::CodeRefused));
    assert_ordered(&p);
    assert_eq!(p.steps[0].step, DoctorStep::NormalMode);
    assert!(p.steps[0].why.contains("vacation"));
    assert!(factory_reset_warnings(&f)
        .iter()
        .any(|w| w.contains("vacation")));
}

#[test]
fn a_code_outside_its_schedule_points_at_the_schedule() {
    let f = Facts {
        denials: Denials {
            outside_schedule: 2,
            ..Denials::default()
        },
        ..healthy()
    };
    let p = plan(&f, Some(Symptom::CodeRefused));
    assert_ordered(&p);
    assert_eq!(p.steps[0].step, DoctorStep::CheckSchedule);
    assert!(p.steps[0].why.contains("2 known code"), "{:?}", p.steps[0]);
}

#[test]
fn a_jam_suggests_freeing_the_bolt_before_batteries() {
    let f = Facts {
        jammed: true,
        ..healthy()
    };
    let p = plan(&f, Some(Symptom::JamsOrBeeps));
    assert_ordered(&p);
    assert_eq!(
        &steps(&p)[..3],
        [
            DoctorStep::FreeBolt,
            DoctorStep::Batteries,
            DoctorStep::Reboot
        ]
    );
    // A jam and a low battery: both cost the same; the facts decide, table order after.
    let both = Facts {
        battery_pct: Some(10),
        ..f
    };
    let p = plan(&both, Some(Symptom::JamsOrBeeps));
    assert_eq!(
        &steps(&p)[..2],
        [DoctorStep::Batteries, DoctorStep::FreeBolt]
    );
}

#[test]
fn after_a_proven_reset_the_plan_is_reclaim_and_reenrol_not_another_reset() {
    let f = Facts {
        reset_detected: true,
        reset_counter: 2,
        ..healthy()
    };
    for s in Symptom::ALL {
        let p = plan(&f, Some(*s));
        // The cause is known: the way back first, then only what the facts
        // show (here nothing) or the key to get in meanwhile.
        assert_eq!(steps(&p)[0], DoctorStep::ReprogramCodes, "{s}");
        assert!(
            steps(&p)[1..]
                .iter()
                .all(|x| *x == DoctorStep::MechanicalKey),
            "{s}: {:?}",
            steps(&p)
        );
        assert!(!steps(&p).contains(&DoctorStep::FactoryReset), "{s}");
        let re = p
            .steps
            .iter()
            .find(|x| x.step == DoctorStep::ReprogramCodes)
            .unwrap();
        assert!(re.why.contains("re-claim"), "{re:?}");
    }
}

#[test]
fn admin_code_forgotten_reprograms_before_a_reset() {
    let p = plan(&healthy(), Some(Symptom::AdminCodeForgotten));
    assert_eq!(
        steps(&p),
        [DoctorStep::ReprogramCodes, DoctorStep::FactoryReset]
    );
}

#[test]
fn many_combinations_stay_ordered_and_name_their_reasons() {
    let mut n = 0;
    for bits in 0u32..256 {
        let b = |i: u32| bits & (1 << i) != 0;
        let f = Facts {
            presence: if b(0) {
                Presence::Offline
            } else {
                Presence::Online
            },
            battery_pct: Some(if b(1) { 4 } else { 80 }),
            unanswered_ops: u32::from(b(2)),
            jammed: b(3),
            lockout: b(4),
            mode: Some(if b(5) { "privacy" } else { "normal" }.into()),
            clock_skew_s: Some(if b(6) { 900 } else { 3 }),
            denials: Denials {
                outside_schedule: u32::from(b(7)),
                ..Denials::default()
            },
            ..healthy()
        };
        for s in Symptom::ALL.iter().copied().map(Some).chain([None]) {
            let p = plan(&f, s);
            assert_ordered(&p);
            let st = steps(&p);
            assert_eq!(
                st.contains(&DoctorStep::Batteries),
                b(1) || s.is_some_and(|s| ladder(s).contains(&DoctorStep::Batteries))
            );
            assert_eq!(b(3), b(3) && st.contains(&DoctorStep::FreeBolt));
            assert_eq!(b(4), b(4) && st.contains(&DoctorStep::WaitLockout));
            assert_eq!(b(5), b(5) && st.contains(&DoctorStep::NormalMode));
            assert_eq!(b(6), b(6) && st.contains(&DoctorStep::SetClock));
            if b(0) {
                assert!(st.contains(&DoctorStep::Reconnect));
            }
            // The reset is there only for a named symptom, and never advised
            // while something softer remains.
            assert_eq!(st.contains(&DoctorStep::FactoryReset), s.is_some());
            if let Some(r) = p.steps.iter().find(|x| x.step == DoctorStep::FactoryReset) {
                assert!(r.not_yet.is_some(), "{bits:b} {s:?}");
            }
            n += 1;
        }
    }
    assert_eq!(n, 256 * 7);
}

#[test]
fn checks_say_what_changed() {
    let low = Facts {
        battery_pct: Some(4),
        ..healthy()
    };
    let c = check(DoctorStep::Batteries, &low);
    assert_eq!(c.outcome, CheckOutcome::NotYet);
    assert_eq!(
        c.message,
        "still 4 %: replace all four cells with fresh ones"
    );
    let c = check(
        DoctorStep::Batteries,
        &Facts {
            battery_pct: Some(87),
            ..healthy()
        },
    );
    assert_eq!(
        (c.outcome, c.message.as_str()),
        (CheckOutcome::Fixed, "battery now 87 %")
    );

    // 2026-01-01T12:04:00Z
    let at = NOW + 12 * 3_600_000 + 4 * 60_000;
    let c = check(
        DoctorStep::Reboot,
        &Facts {
            status_ms: Some(at),
            ..healthy()
        },
    );
    assert_eq!(c.outcome, CheckOutcome::Fixed);
    assert_eq!(c.message, "the lock answered after the reboot at 12:04 UTC");
    let frozen = Facts {
        unanswered_ops: 1,
        ..healthy()
    };
    assert_eq!(
        check(DoctorStep::Reboot, &frozen).outcome,
        CheckOutcome::NotYet
    );
    let off = Facts {
        presence: Presence::Offline,
        ..healthy()
    };
    assert!(check(DoctorStep::Reconnect, &off)
        .message
        .starts_with("still offline"));

    let drift = Facts {
        clock_skew_s: Some(500),
        ..healthy()
    };
    assert_eq!(
        check(DoctorStep::SetClock, &drift).outcome,
        CheckOutcome::NotYet
    );
    assert_eq!(
        check(DoctorStep::SetClock, &healthy()).outcome,
        CheckOutcome::Fixed
    );
    let vac = Facts {
        mode: Some("vacation".into()),
        ..healthy()
    };
    assert_eq!(
        check(DoctorStep::NormalMode, &vac).message,
        "the lock is still in vacation mode"
    );
    assert_eq!(
        check(DoctorStep::NormalMode, &healthy()).outcome,
        CheckOutcome::Fixed
    );
    let jam = Facts {
        jammed: true,
        ..healthy()
    };
    assert_eq!(
        check(DoctorStep::FreeBolt, &jam).outcome,
        CheckOutcome::NotYet
    );
    let lo = Facts {
        lockout: true,
        ..healthy()
    };
    assert_eq!(
        check(DoctorStep::WaitLockout, &lo).outcome,
        CheckOutcome::NotYet
    );
    for s in DoctorStep::ALL {
        let c = check(*s, &healthy());
        assert_eq!(c.outcome == CheckOutcome::CannotTell, !checkable(*s), "{s}");
    }
}

#[test]
fn a_healthy_lock_has_no_warning_before_a_factory_reset() {
    assert!(factory_reset_warnings(&healthy()).is_empty());
}
