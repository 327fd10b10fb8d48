//! The console language: every command of the issue parses; anything else gets a clear message.

use std::time::Duration;
use tumbler_device::console::{parse, parse_duration, Command, ParseError, HELP};

#[test]
fn every_documented_command_parses() {
    let cases: Vec<(&str, Command)> = vec![
        ("1234#", Command::Keys("1234#".into())),
        ("1 2 3 4 #", Command::Keys("1234#".into())),
        ("*1234*999#", Command::Keys("*1234*999#".into())),
        (
            "hold-reset 12s",
            Command::HoldReset(Duration::from_secs(12)),
        ),
        (
            "hold-reset 1500ms",
            Command::HoldReset(Duration::from_millis(1500)),
        ),
        ("press-reset", Command::PressReset),
        ("program-button", Command::ProgramButton),
        ("finger 3", Command::Finger(3)),
        ("enrol-finger 3", Command::EnrolFinger(3)),
        ("pull-battery", Command::PullBattery),
        ("insert-battery", Command::InsertBattery),
        ("battery 4%", Command::Battery(4)),
        ("battery 80", Command::Battery(80)),
        ("jam", Command::Jam),
        ("open-door", Command::OpenDoor),
        ("close-door", Command::CloseDoor),
        ("thumb-turn", Command::ThumbTurn),
        ("wait 61s", Command::Wait(Duration::from_secs(61))),
        ("status", Command::Status),
        ("log", Command::Log),
        ("help", Command::Help),
        ("  STATUS  ", Command::Status),
        (
            "card @room101-a.card",
            Command::CardImage("room101-a.card".into()),
        ),
        (
            "card @/tmp/front desk/101.card ",
            Command::CardImage("/tmp/front desk/101.card".into()),
        ),
    ];
    for (line, want) in cases {
        assert_eq!(parse(line).unwrap(), want, "{line}");
    }
    assert!(
        matches!(parse("card 04a1b2c3").unwrap(), Command::Card(c) if c.to_string() == "04a1b2c3")
    );
}

#[test]
fn bad_input_gets_a_clear_message() {
    let msg = |l: &str| parse(l).unwrap_err().to_string();
    assert!(msg("open-sesame").contains("unknown command `open-sesame`"));
    assert!(msg("open-sesame").contains("help"));
    assert_eq!(parse("").unwrap_err(), ParseError::Empty);
    assert!(msg("hold-reset").contains("needs a time"));
    assert!(msg("hold-reset soon").contains("not a time"));
    assert!(msg("battery 140%").contains("0% to 100%"));
    assert!(msg("card zz").contains("hexadecimal"));
    assert!(msg("finger thumb").contains("not a finger number"));
    assert!(msg("jam now").contains("takes no further arguments"));
    assert!(msg("card @").contains("needs a card file after @"));
    assert!(msg("card 04a1 @x.card").contains("takes no further arguments"));
}

#[test]
fn help_lists_hotel_card_files_and_a_relative_card_file_is_sent_absolute() {
    assert!(HELP.contains("card @<file>"));
    let sent = tumbler_device::console::client::card_path_from_here("card @room101-a.card");
    let here = std::env::current_dir().unwrap().join("room101-a.card");
    assert_eq!(sent, format!("card @{}", here.display()));
    for as_typed in ["card @/tmp/a.card", "card 04a1b2", "1234#"] {
        assert_eq!(
            tumbler_device::console::client::card_path_from_here(as_typed),
            as_typed
        );
    }
}

#[test]
fn durations() {
    assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
    assert_eq!(parse_duration("2.5s"), Some(Duration::from_millis(2500)));
    assert_eq!(parse_duration("10"), Some(Duration::from_secs(10)));
    assert_eq!(parse_duration("-1s"), None);
    assert_eq!(parse_duration("s"), None);
}
