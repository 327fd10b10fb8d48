//! The error messages people read, pinned word for word (they were
//! hand-written `Display` impls before the `thiserror` derives).

use std::path::PathBuf;

use crate::console::client::ConsoleError;
use crate::console::ParseError;
use crate::fleet::FleetError;
use crate::hw::fingerprint::EnrolError;
use crate::hw::keypad::NotAKey;
use crate::hw::motor::{Bolt, Jammed};
use crate::hw::rfid::CardError;
use crate::image::{BootError, ProvisionError};
use crate::local::LinkError;
use crate::mqtt::BrokerUrlError;
use crate::persist::PersistError;
use crate::run::RunError;

fn io() -> std::io::Error {
    std::io::Error::other("boom")
}

#[test]
fn messages_are_unchanged() {
    let p = || PathBuf::from("/tmp/x.img");
    let cases: Vec<(String, &str)> = vec![
        (LinkError::Io(io()).to_string(), "local link: boom"),
        (LinkError::UnknownKind(9).to_string(), "local link: unknown frame kind 9"),
        (
            LinkError::TooLarge(300_000).to_string(),
            "local link: frame of 300000 bytes exceeds 262144",
        ),
        (LinkError::Closed.to_string(), "local link: connection closed"),
        (LinkError::LockGone.to_string(), "local link: the lock has stopped"),
        (PersistError::ResetRecordEncoding.to_string(), "reset record does not encode"),
        (PersistError::FactoryReset("x".into()).to_string(), "factory reset: x"),
        (PersistError::ItemEncoding("x".into()).to_string(), "item does not encode: x"),
        (PersistError::Commit("x".into()).to_string(), "commit: x"),
        (PersistError::AuditEncoding.to_string(), "audit record does not encode"),
        (PersistError::Log("x".into()).to_string(), "audit log: x"),
        (ProvisionError::BadSerial("it is empty".into()).to_string(), "bad serial: it is empty"),
        (
            ProvisionError::Exists(p()).to_string(),
            "/tmp/x.img already exists; a lock's identity is never overwritten (remove the file to re-provision)",
        ),
        (ProvisionError::Io(io()).to_string(), "cannot write the flash image: boom"),
        (ProvisionError::Format("x".into()).to_string(), "cannot format the flash image: x"),
        (
            BootError::Open { path: p(), error: io() }.to_string(),
            "cannot open flash image /tmp/x.img: boom",
        ),
        (
            BootError::NotProvisioned(p()).to_string(),
            "/tmp/x.img is not a provisioned lock image (run `tumbler sim provision` first)",
        ),
        (
            BootError::FactoryCorrupt(p()).to_string(),
            "/tmp/x.img: the factory partition is corrupted; the lock's identity is lost and it must go back to the factory (re-provision)",
        ),
        (
            BootError::UnsupportedVersion(3).to_string(),
            "the image uses flash format version 3, which this simulator does not know",
        ),
        (
            BootError::BadFactoryData.to_string(),
            "the factory partition does not hold valid factory data",
        ),
        (BootError::Store("x".into()).to_string(), "flash store error: x"),
        (
            BootError::NoEntropy.to_string(),
            "the OS has no entropy for the lock's keys; refusing to boot",
        ),
        (
            FleetError::Lock { index: 4, error: "x".into() }.to_string(),
            "fleet lock 4: x",
        ),
        (
            CardError::NotHex.to_string(),
            "a card UID is hexadecimal, e.g. 04a1b2c3 or 04:a1:b2:c3",
        ),
        (CardError::BadLength(17).to_string(), "a card UID has 1 to 16 bytes, not 17"),
        (NotAKey('x').to_string(), "the keypad has no key 'x' (keys: 0-9, *, #)"),
        (EnrolError::Full.to_string(), "the fingerprint sensor is full (100 templates)"),
        (
            Jammed { bolt: Bolt::Locked }.to_string(),
            "the motor jammed; the bolt stayed locked",
        ),
        (RunError::Boot(BootError::NoEntropy).to_string(), "the OS has no entropy for the lock's keys; refusing to boot"),
        (RunError::Listen(io()).to_string(), "cannot open the local link: boom"),
        (RunError::LinkFile(io()).to_string(), "cannot write the link file: boom"),
        (
            BrokerUrlError::Scheme("mqtts".into()).to_string(),
            "unsupported broker URL scheme `mqtts`: use mqtt://[user:password@]host:port or mqtts://…[?ca=PATH]",
        ),
        (
            BrokerUrlError::Port("0".into()).to_string(),
            "broker port `0` is not a number from 1 to 65535",
        ),
        (BrokerUrlError::NoHost.to_string(), "broker URL has no host"),
        (ParseError::Empty.to_string(), "empty command; type `help` for the list"),
        (
            ParseError::Unknown("x".into()).to_string(),
            "unknown command `x`; type `help` for the list (keypad entries are digits, * and #, e.g. 1234#)",
        ),
        (
            ParseError::MissingArgument { command: "card", expected: "a UID" }.to_string(),
            "`card` needs a UID",
        ),
        (
            ParseError::BadArgument { command: "card", problem: "odd".into() }.to_string(),
            "`card`: odd",
        ),
        (
            ParseError::TooManyArguments("help").to_string(),
            "`help` takes no further arguments",
        ),
        (
            ConsoleError::NotFound { lock: "L1".into(), looked_in: p() }.to_string(),
            "no running lock `L1`: /tmp/x.img does not exist (start it with `tumbler sim run`)",
        ),
        (
            ConsoleError::BadAddressFile(p()).to_string(),
            "/tmp/x.img does not hold a link address",
        ),
        (
            ConsoleError::Link(LinkError::Closed).to_string(),
            "cannot reach the lock: local link: connection closed",
        ),
        (ConsoleError::Io(io()).to_string(), "console: boom"),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
}

#[test]
fn errors_have_no_source() {
    // As before the derives: the message already says everything; a source
    // would print the cause twice in an error chain.
    use std::error::Error;
    assert!(LinkError::Io(io()).source().is_none());
    assert!(BootError::Open {
        path: "x".into(),
        error: io()
    }
    .source()
    .is_none());
    assert!(RunError::Boot(BootError::NoEntropy).source().is_none());
    assert!(ConsoleError::Link(LinkError::Closed).source().is_none());
}
