//! Parsing console lines into commands. Pure: no I/O, no time.

use crate::hw::rfid::{CardError, CardUid};
use std::path::PathBuf;
use std::time::Duration;

/// One thing a person can do to (or ask of) the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Keys typed at the keypad, in order (digits, `*`, `#`); e.g. `1234#`.
    Keys(String),
    /// Hold the reset button for this long, then let go.
    HoldReset(Duration),
    /// A quick press of the reset button (a reboot on most locks).
    PressReset,
    /// Press the interior program button.
    ProgramButton,
    /// Present an RFID card.
    Card(CardUid),
    /// Present a hotel key card whose signed image is stored in this file (binary, or hex
    /// text); its UID is derived from the card's number (see [`super::card_file`]).
    CardImage(PathBuf),
    /// Place finger N on the sensor.
    Finger(u32),
    /// Enrol finger N on the sensor (the sensor takes a template; the lock must then accept it).
    EnrolFinger(u32),
    /// Take the battery out (power lost at once).
    PullBattery,
    /// Put the battery back (the lock boots).
    InsertBattery,
    /// Set the battery level in percent.
    Battery(u8),
    /// Arm a motor jam: the next bolt movement fails.
    Jam,
    /// Open the door (forced if the bolt is thrown).
    OpenDoor,
    /// Close the door.
    CloseDoor,
    /// Turn the interior thumb-turn: lock or unlock from inside, no credential needed.
    ThumbTurn,
    /// Let time pass (simulated time is fast-forwarded, timers fire on the way).
    Wait(Duration),
    /// A firmware update fails half-way and the lock freezes until it is rebooted.
    FailUpdate,
    /// Show the lock's state.
    Status,
    /// Show recent signals and audit records.
    Log,
    /// Test hook: the battery falls out after this many more flash units (bytes written +
    /// pages erased), mid-write if it comes to that.
    CutPowerAfter(u64),
    /// Test hook: how many flash units the lock has written since it was started.
    FlashUnits,
    /// Show the commands.
    Help,
}

/// Why a line is not a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The line was empty.
    #[error("empty command; type `help` for the list")]
    Empty,
    /// The first word is not a command.
    #[error(
        "unknown command `{0}`; type `help` for the list (keypad entries are digits, * and #, e.g. 1234#)"
    )]
    Unknown(String),
    /// The command needs an argument that is missing.
    #[error("`{command}` needs {expected}")]
    MissingArgument {
        /// The command.
        command: &'static str,
        /// What the argument should look like.
        expected: &'static str,
    },
    /// The argument is malformed.
    #[error("`{command}`: {problem}")]
    BadArgument {
        /// The command.
        command: &'static str,
        /// What was wrong.
        problem: String,
    },
    /// The command takes no arguments, or fewer than given.
    #[error("`{0}` takes no further arguments")]
    TooManyArguments(&'static str),
}

/// The help text of the console.
pub const HELP: &str = "\
commands:
  1234#            type keys at the keypad (digits, * and #; # ends an entry)
  PIN*81#          admin menu: 81/80 app reset on/off, 91/90 keypad programming on/off,
                   71/70 PIN for remote operation on/off (program-button first when
                   keypad programming is off)
  hold-reset 12s   hold the reset button for a time, then let go (factory reset if long enough)
  press-reset      quick press of the reset button (reboot)
  program-button   press the interior program button
  card <uid>       present an RFID card, e.g. card 04a1b2c3
  card @<file>     present a hotel key card whose signed image is in a file (binary as the
                   hub writes it, or hex text), e.g. card @room101-a.card
  finger <n>       place finger n on the sensor
  enrol-finger <n> let the sensor take a template of finger n
  pull-battery     take the battery out
  insert-battery   put the battery back (boots the lock)
  battery <n>%     set the battery level, e.g. battery 4%
  jam              the next bolt movement jams
  open-door        open the door (forced if the bolt is thrown)
  close-door       close the door
  thumb-turn       turn the inside knob (lock/unlock from inside)
  wait <time>      let time pass, e.g. wait 61s
  fail-update      a firmware update fails: the lock freezes until rebooted
  status           show the lock's state
  log              show recent signals and audit records
  cut-power-after <n>  (testing) the battery falls out after n more flash bytes/page
                   erases (across reboots; `pull-battery` disarms it)
  flash-units      (testing) flash bytes written + pages erased since the lock started
  help             this list";

/// Parses a duration such as `12s`, `1500ms`, `2m`, `1h` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let (num, mult_ms): (&str, u64) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3_600_000)
    } else {
        (t, 1000)
    };
    let num = num.trim();
    if num.is_empty() {
        return None;
    }
    if let Ok(whole) = num.parse::<u64>() {
        return whole.checked_mul(mult_ms).map(Duration::from_millis);
    }
    // Fractions like 2.5s.
    let f: f64 = num.parse().ok()?;
    if !f.is_finite() || f < 0.0 {
        return None;
    }
    let ms = f * mult_ms as f64;
    if ms > u64::MAX as f64 {
        return None;
    }
    Some(Duration::from_millis(ms.round() as u64))
}

fn no_more(cmd: &'static str, rest: &[&str], c: Command) -> Result<Command, ParseError> {
    if rest.is_empty() {
        Ok(c)
    } else {
        Err(ParseError::TooManyArguments(cmd))
    }
}

fn one_arg<'a>(
    cmd: &'static str,
    rest: &[&'a str],
    expected: &'static str,
) -> Result<&'a str, ParseError> {
    match rest {
        [] => Err(ParseError::MissingArgument {
            command: cmd,
            expected,
        }),
        [a] => Ok(a),
        _ => Err(ParseError::TooManyArguments(cmd)),
    }
}

fn finger_arg(cmd: &'static str, rest: &[&str]) -> Result<u32, ParseError> {
    let a = one_arg(cmd, rest, "a finger number, e.g. 3")?;
    a.parse().map_err(|_| ParseError::BadArgument {
        command: cmd,
        problem: format!("`{a}` is not a finger number (0, 1, 2, …)"),
    })
}

/// Parses one console line.
pub fn parse(line: &str) -> Result<Command, ParseError> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some((first, rest)) = words.split_first() else {
        return Err(ParseError::Empty);
    };
    // Keypad entries: the whole line is keys (spaces between keys allowed: `1 2 3 4 #`).
    if words.iter().all(|w| {
        w.chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
    }) {
        return Ok(Command::Keys(words.concat()));
    }
    let cmd = first.to_ascii_lowercase();
    match cmd.as_str() {
        "hold-reset" => {
            let a = one_arg("hold-reset", rest, "a time to hold, e.g. hold-reset 12s")?;
            parse_duration(a)
                .map(Command::HoldReset)
                .ok_or_else(|| ParseError::BadArgument {
                    command: "hold-reset",
                    problem: format!("`{a}` is not a time (e.g. 12s, 1500ms)"),
                })
        }
        "press-reset" => no_more("press-reset", rest, Command::PressReset),
        "program-button" => no_more("program-button", rest, Command::ProgramButton),
        "card" if rest.first().is_some_and(|a| a.starts_with('@')) => {
            // The rest of the line is the path (it may contain spaces).
            let path = line
                .split_once('@')
                .map(|(_, p)| p.trim())
                .unwrap_or_default();
            if path.is_empty() {
                return Err(ParseError::MissingArgument {
                    command: "card",
                    expected: "a card file after @, e.g. card @room101-a.card",
                });
            }
            Ok(Command::CardImage(PathBuf::from(path)))
        }
        "card" => {
            let a = one_arg("card", rest, "a card UID, e.g. card 04a1b2c3")?;
            CardUid::parse(a)
                .map(Command::Card)
                .map_err(|e: CardError| ParseError::BadArgument {
                    command: "card",
                    problem: e.to_string(),
                })
        }
        "finger" => finger_arg("finger", rest).map(Command::Finger),
        "enrol-finger" | "enroll-finger" => {
            finger_arg("enrol-finger", rest).map(Command::EnrolFinger)
        }
        "pull-battery" => no_more("pull-battery", rest, Command::PullBattery),
        "insert-battery" | "put-back-battery" => {
            no_more("insert-battery", rest, Command::InsertBattery)
        }
        "battery" => {
            let a = one_arg("battery", rest, "a level in percent, e.g. battery 4%")?;
            let n = a.trim_end_matches('%');
            match n.parse::<u8>() {
                Ok(p) if p <= 100 => Ok(Command::Battery(p)),
                _ => Err(ParseError::BadArgument {
                    command: "battery",
                    problem: format!("`{a}` is not a level from 0% to 100%"),
                }),
            }
        }
        "jam" => no_more("jam", rest, Command::Jam),
        "open-door" => no_more("open-door", rest, Command::OpenDoor),
        "close-door" => no_more("close-door", rest, Command::CloseDoor),
        "thumb-turn" => no_more("thumb-turn", rest, Command::ThumbTurn),
        "wait" => {
            let a = one_arg("wait", rest, "a time, e.g. wait 61s")?;
            parse_duration(a)
                .map(Command::Wait)
                .ok_or_else(|| ParseError::BadArgument {
                    command: "wait",
                    problem: format!("`{a}` is not a time (e.g. 61s, 2m)"),
                })
        }
        "fail-update" => no_more("fail-update", rest, Command::FailUpdate),
        "status" => no_more("status", rest, Command::Status),
        "log" => no_more("log", rest, Command::Log),
        "cut-power-after" => {
            let a = one_arg("cut-power-after", rest, "a number of flash units, e.g. 120")?;
            a.parse()
                .map(Command::CutPowerAfter)
                .map_err(|_| ParseError::BadArgument {
                    command: "cut-power-after",
                    problem: format!("`{a}` is not a number of flash units"),
                })
        }
        "flash-units" => no_more("flash-units", rest, Command::FlashUnits),
        "help" | "?" => no_more("help", rest, Command::Help),
        _ => Err(ParseError::Unknown((*first).to_string())),
    }
}
