//! Unit tests of the code format: forms round-trip, a code opens exactly
//! inside its window, the epoch and the secret matter, the check's cost.

extern crate std;

use super::*;
use proptest::prelude::*;
use std::format;

const SECRET: Secret = Secret([7; 32]);

fn shapes() -> impl Iterator<Item = Shape> {
    (0u16..10_000).filter_map(Shape::from_form)
}

#[test]
fn every_form_round_trips_and_there_are_9192() {
    let mut n = 0;
    for s in shapes() {
        assert_eq!(Shape::from_form(s.form().unwrap()), Some(s));
        n += 1;
    }
    assert_eq!(n, 24 + 24 + 31 * 24 + 28 * 300);
    assert_eq!(Shape::from_form(0), None);
    assert_eq!(Shape::from_form(9400), None);
    assert_eq!(
        Shape::Daily {
            days: 1,
            from_h: 9,
            to_h: 9
        }
        .form(),
        Err(ShapeError::OutOfRange)
    );
    assert_eq!(
        Shape::Hours { hours: 25 }.form(),
        Err(ShapeError::OutOfRange)
    );
}

#[test]
fn a_code_is_ten_digits_form_first() {
    let w = Window {
        shape: Shape::Hours { hours: 3 },
        start: 500_000,
    };
    let c = issue(&SECRET, 1, &w).unwrap();
    assert_eq!(c.as_str().len(), 10);
    assert!(c.as_str().starts_with("0103"));
    assert_eq!(format!("{c:?}"), "Code(<redacted>)");
    assert_eq!(format!("{SECRET:?}"), "Secret(<redacted>)");
}

#[test]
fn epoch_and_secret_change_the_code() {
    let w = Window {
        shape: Shape::OneTime { hours: 2 },
        start: 500_000,
    };
    let at = At::new(500_000 * 3600 + 10, 0);
    let c = issue(&SECRET, 1, &w).unwrap();
    assert_eq!(check(&SECRET, 1, &c.0, at).window, Some(w));
    assert_eq!(check(&SECRET, 2, &c.0, at).window, None);
    assert_eq!(check(&Secret([8; 32]), 1, &c.0, at).window, None);
}

#[test]
fn daily_uses_local_time() {
    // 09:00-12:00 local, local = UTC+2.
    let w = Window {
        shape: Shape::Daily {
            days: 2,
            from_h: 9,
            to_h: 12,
        },
        start: 20_000,
    };
    let c = issue(&SECRET, 0, &w).unwrap();
    let day = 20_000i64 * 86_400;
    let open = At::new(day + 7 * 3600, 120); // 09:00 local
    let shut = At::new(day + 10 * 3600, 120); // 12:00 local
    let before = At::new(day + 6 * 3600 + 3599, 120); // 08:59:59 local
    let next = At::new(day + 86_400 + 8 * 3600, 120); // day 2, 10:00 local
    let third = At::new(day + 2 * 86_400 + 8 * 3600, 120);
    assert_eq!(check(&SECRET, 0, &c.0, open).window, Some(w));
    assert_eq!(check(&SECRET, 0, &c.0, next).window, Some(w));
    assert_eq!(check(&SECRET, 0, &c.0, shut).window, None);
    assert_eq!(check(&SECRET, 0, &c.0, before).window, None);
    assert_eq!(check(&SECRET, 0, &c.0, third).window, None);
    assert!(w.ended(third));
    assert!(!w.ended(next));
}

#[test]
fn the_check_costs_at_most_31_hmacs_and_none_for_junk() {
    let at = At::new(1_800_000_000, 60);
    for s in shapes() {
        let form = s.form().unwrap();
        let mut typed = [b'0'; DIGITS];
        write_digits(&mut typed[..4], u64::from(form));
        let c = check(&SECRET, 0, &typed, at);
        assert!(c.hmacs <= MAX_CANDIDATES, "{s:?}: {}", c.hmacs);
    }
    assert_eq!(check(&SECRET, 0, b"9999123456", at).hmacs, 0);
    assert_eq!(check(&SECRET, 0, b"123456", at).hmacs, 0);
    assert_eq!(check(&SECRET, 0, b"01a3123456", at).hmacs, 0);
    // A daily form outside its hours costs nothing.
    let w = Shape::Daily {
        days: 28,
        from_h: 0,
        to_h: 1,
    }
    .form()
    .unwrap();
    let mut typed = [b'0'; DIGITS];
    write_digits(&mut typed[..4], u64::from(w));
    assert_eq!(
        check(&SECRET, 0, &typed, At::new(1_800_000_000, 0)).hmacs,
        0
    );
}

#[test]
fn open_codes_at_any_instant_are_at_most_76_thousand() {
    // The guessing space the threat model quotes: at most this many of the
    // 10^10 strings open at one instant (the worst hour is local midday).
    let worst = (0..24)
        .map(|h| {
            codes_open_at(At {
                utc_s: 1_800_000_000,
                local_day: 20_833,
                local_hour: h,
            })
        })
        .max()
        .unwrap();
    assert_eq!(worst, 300 + 300 + 24 * 496 + 156 * 406);
    assert!(worst < 76_000, "{worst}");
}

fn shape_strategy() -> impl Strategy<Value = Shape> {
    (1u16..9400).prop_filter_map("a shape", Shape::from_form)
}

proptest! {
    #[test]
    fn a_code_opens_exactly_inside_its_window(
        shape in shape_strategy(),
        start in 400_000u32..600_000,
        offset in -600i32..=840,
        epoch in any::<u32>(),
        probe in -40i64 * 86_400..40 * 86_400,
    ) {
        let start = match shape {
            Shape::OneTime { .. } | Shape::Hours { .. } => start,
            _ => start / 24,
        };
        let w = Window { shape, start };
        let c = issue(&SECRET, epoch, &w).unwrap();
        let base = match shape {
            Shape::OneTime { .. } | Shape::Hours { .. } => i64::from(start) * 3600,
            _ => i64::from(start) * 86_400,
        };
        let at = At::new(base + probe, offset);
        let got = check(&SECRET, epoch, &c.0, at);
        // A chance collision with another start is possible (1e-6 per candidate): only
        // inside the window must it be this window.
        if w.contains(at) {
            prop_assert_eq!(got.window, Some(w));
            prop_assert!(!w.ended(at));
        } else {
            prop_assert!(got.window != Some(w));
        }
        prop_assert_eq!(Window::from_id(w.id().unwrap()), Some(w));
    }
}
