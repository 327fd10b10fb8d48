//! Hardware models: each behaves as the physical part would, deterministically.

use std::time::Duration;
use tumbler_device::clock::{Clock, VirtualClock};
use tumbler_device::hw::battery::{Battery, Drain};
use tumbler_device::hw::button::ResetButton;
use tumbler_device::hw::door::{DoorEvent, DoorSensor};
use tumbler_device::hw::fingerprint::{FingerprintSensor, Touch};
use tumbler_device::hw::keypad::{KeyOutcome, Keypad};
use tumbler_device::hw::motor::{Bolt, Motor};
use tumbler_device::hw::rfid::CardUid;
use tumbler_device::hw::signal::{Beeps, Indication, Led, Panel};

fn s(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn keypad_collects_until_hash_and_times_out() {
    let mut k = Keypad::new(s(10));
    for c in "12*4".chars() {
        assert_eq!(k.press(c, s(1)).unwrap(), KeyOutcome::Buffered);
    }
    assert_eq!(
        k.press('#', s(2)).unwrap(),
        KeyOutcome::Entry("12*4".into())
    );
    assert_eq!(k.press('#', s(3)).unwrap(), KeyOutcome::Empty);
    k.press('9', s(10)).unwrap();
    // 11 s later: the half-typed 9 is gone.
    assert_eq!(
        k.press('5', s(21)).unwrap(),
        KeyOutcome::TimedOutThenBuffered
    );
    assert_eq!(k.press('#', s(22)).unwrap(), KeyOutcome::Entry("5".into()));
    assert!(k.press('a', s(22)).is_err());
}

#[test]
fn reset_button_measures_the_hold() {
    let mut b = ResetButton::new();
    assert!(b.release(s(1)).is_none());
    b.push(s(5));
    b.push(s(6)); // still down: the first push counts
    assert_eq!(b.release(s(17)).unwrap().held, s(12));
    assert!(!b.is_down());
}

#[test]
fn fingerprint_sensor_matches_enrolled_fingers_with_false_rejects() {
    let mut f = FingerprintSensor::new(0.0, 7);
    assert_eq!(f.place(3), Touch::NotRecognised);
    let slot = f.enrol(3).unwrap();
    assert_eq!(f.enrol(3).unwrap(), slot, "same finger, same slot");
    assert_eq!(f.place(3), Touch::Matched(slot));
    assert_eq!(f.place(4), Touch::NotRecognised);
    f.set_false_reject_rate(1.0);
    assert_eq!(f.place(3), Touch::FalseReject);
    // A 30% rate over 1000 touches gives some of each, and the same seed gives the same run.
    let run = |seed| {
        let mut f = FingerprintSensor::new(0.3, seed);
        f.enrol(1).unwrap();
        (0..1000).map(|_| f.place(1)).collect::<Vec<_>>()
    };
    let a = run(42);
    let rejects = a.iter().filter(|t| **t == Touch::FalseReject).count();
    assert!(
        (200..400).contains(&rejects),
        "{rejects} false rejects of 1000"
    );
    assert_eq!(a, run(42));
    f.clear();
    assert!(f.is_empty());
}

#[test]
fn motor_jams_once_when_armed() {
    let mut m = Motor::new(Bolt::Locked);
    assert_eq!(m.drive(Bolt::Unlocked).unwrap(), Bolt::Unlocked);
    m.jam();
    let err = m.drive(Bolt::Locked).unwrap_err();
    assert_eq!(err.bolt, Bolt::Unlocked);
    assert_eq!(m.bolt(), Bolt::Unlocked);
    assert_eq!(m.drive(Bolt::Locked).unwrap(), Bolt::Locked);
    assert_eq!(m.operations(), 3);
}

#[test]
fn door_reports_forced_and_ajar_once() {
    let mut d = DoorSensor::new(s(30));
    assert_eq!(d.open(s(0), Bolt::Locked), Some(DoorEvent::Forced));
    assert_eq!(d.open(s(1), Bolt::Locked), None);
    assert_eq!(d.tick(s(29)), None);
    assert_eq!(d.tick(s(30)), Some(DoorEvent::Ajar));
    assert_eq!(d.tick(s(40)), None);
    assert_eq!(d.close(), Some(DoorEvent::Closed));
    assert_eq!(d.open(s(50), Bolt::Unlocked), Some(DoorEvent::Opened));
}

#[test]
fn battery_drains_and_can_be_pulled() {
    let mut b = Battery::new(5);
    assert!(b.powered());
    for _ in 0..50 {
        b.drain(Drain::Motor);
    }
    assert_eq!(b.percent(), 4);
    b.pull();
    assert!(!b.powered());
    assert!(b.insert(), "putting it back powers up");
    assert!(!b.insert(), "already in");
    b.set_percent(0);
    assert!(!b.powered());
    b.set_percent(250);
    assert_eq!(b.percent(), 100);
}

#[test]
fn card_uids_parse_and_print() {
    assert_eq!(
        CardUid::parse("04:A1:b2:c3").unwrap().to_string(),
        "04a1b2c3"
    );
    assert!(CardUid::parse("xyz").is_err());
    assert!(CardUid::parse("").is_err());
    assert!(CardUid::parse("0").is_err());
}

#[test]
fn signals_have_words() {
    let mut p = Panel::new(2);
    let line = p.show(
        s(1),
        Indication::new(Beeps::Short(2), Led::Green, "factory reset done"),
    );
    assert_eq!(line, "two beeps, green: factory reset done");
    p.show(s(2), Indication::new(Beeps::Long, Led::Red, "a").blinking());
    p.show(s(3), Indication::new(Beeps::None, Led::Off, "b"));
    let words: Vec<_> = p.recent().map(|(_, w)| w.clone()).collect();
    assert_eq!(words.len(), 2, "only the last two are kept");
    assert!(words[0].ends_with(": a") && words[1] == "silent, no light: b");
}

#[test]
fn virtual_clock_moves_only_when_told() {
    let c = VirtualClock::new(s(100));
    let c2 = c.clone();
    c.advance(s(5));
    assert_eq!(c2.now(), s(105));
    assert!(!c.is_real());
}
