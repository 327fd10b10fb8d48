//! Claiming a lock in setup mode with its setup code (SPAKE2), and the factory reset
//! that rotates the operational key.

use tumbler_proto::claim::*;
use tumbler_proto::*;

use crate::fixtures::*;

const CODE: &[u8] = b"4711-0815";
const SERIAL: &str = "TMB-0042";

/// Carry a claim message over the wire (a plain frame), as the links would.
fn wire(m: ClaimMessage) -> ClaimMessage {
    let mut buf = [0u8; MAX_MESSAGE_LEN];
    let n = m.encode(&mut buf).unwrap();
    assert_eq!(frame_kind(&buf[..n]), FrameKind::Plain);
    Plain::decode(&buf[..n]).unwrap()
}

const FACTORY_PUBLIC: [u8; 32] = [0xFA; 32];

struct Lock {
    op_key: OperationalKey,
    table: ControllerTable<4>,
}

impl Lock {
    fn new(seed: u64) -> Self {
        Lock {
            op_key: OperationalKey::generate(&mut rng(seed)),
            table: ControllerTable::new(),
        }
    }

    fn factory_reset(&mut self, seed: u64) {
        self.op_key = OperationalKey::generate(&mut rng(seed));
        self.table = ControllerTable::new();
    }
}

/// Run a full claim; returns the hub's endpoint or the first error (and which side).
fn claim(
    lock: &mut Lock,
    hub_code: &[u8],
    lock_code: &[u8],
    seed: u64,
) -> Result<ControllerEndpoint, (&'static str, ClaimError)> {
    let mut r = rng(seed);
    let hub_key = ControllerKey::generate(&mut r);
    let (hub, start) =
        ClaimController::start(hub_code, SERIAL, &mut r).map_err(|e| ("hub start", e))?;
    let ClaimMessage::Start(start) = wire(ClaimMessage::Start(start)) else {
        panic!()
    };
    let (lock_side, reply) =
        ClaimLock::respond(lock_code, SERIAL, &start, &mut r).map_err(|e| ("lock respond", e))?;
    let ClaimMessage::Reply(reply) = wire(ClaimMessage::Reply(reply)) else {
        panic!()
    };
    let (hub, finish) = hub
        .handle_reply(&reply, &hub_key, name("home hub"))
        .map_err(|e| ("hub reply", e))?;
    let ClaimMessage::Finish(finish) = wire(ClaimMessage::Finish(finish)) else {
        panic!()
    };
    let (id, done) = lock_side
        .handle_finish(&finish, &lock.op_key, FACTORY_PUBLIC, &mut lock.table)
        .map_err(|e| ("lock finish", e))?;
    let ClaimMessage::Done(done) = wire(ClaimMessage::Done(done)) else {
        panic!()
    };
    let ep = hub
        .handle_done(&done, hub_key)
        .map_err(|e| ("hub done", e))?
        .endpoint;
    assert_eq!(ep.id(), id);
    Ok(ep)
}

fn talk(
    lock: &mut Lock,
    hub: &mut ControllerEndpoint,
    cmd: Command,
) -> Result<Verified<Down>, OpenError> {
    let mut out = [0u8; MAX_ENVELOPE_LEN];
    let n = hub.seal(&request(1, cmd), &mut out).unwrap();
    LockEndpoint::new(lock.op_key.clone()).open(&mut lock.table, &out[..n])
}

#[test]
fn claim_with_the_right_code_pairs_an_admin_both_ways() {
    let mut lock = Lock::new(50);
    let mut hub = claim(&mut lock, CODE, CODE, 51).unwrap();
    assert_eq!(hub.role(), Role::Admin);
    assert_eq!(hub.lock_public(), lock.op_key.public());
    let entry = lock.table.get(hub.id()).unwrap();
    assert_eq!(
        (entry.role, entry.label.as_str()),
        (Role::Admin, "home hub")
    );
    assert_eq!(entry.public_key, hub.key().public());
    let v = talk(&mut lock, &mut hub, Command::FactoryReset).unwrap();
    assert_eq!((v.controller, v.role), (hub.id(), Role::Admin));
    // And back up.
    let mut out = [0u8; MAX_ENVELOPE_LEN];
    let n = LockEndpoint::new(lock.op_key.clone())
        .seal(
            &mut lock.table,
            hub.id(),
            &Up::Ack(Ack {
                id: CommandId(1),
                verdict: Verdict::Accepted,
            }),
            &mut out,
        )
        .unwrap();
    assert!(matches!(hub.open(&out[..n]), Ok(Up::Ack(_))));
}

#[test]
fn wrong_setup_code_fails_at_key_confirmation_and_pairs_nobody() {
    let mut lock = Lock::new(52);
    assert_eq!(
        claim(&mut lock, b"0000-0000", CODE, 53).unwrap_err(),
        ("hub reply", ClaimError::KeyConfirmationFailed)
    );
    assert!(lock.table.is_empty());
}

#[test]
fn lock_rejects_a_finish_with_a_wrong_confirmation() {
    // A man in the middle who does not know the code cannot fake the controller's
    // confirmation; the lock detects it and pairs nobody.
    let mut lock = Lock::new(54);
    let mut r = rng(55);
    let (_, start) = ClaimController::start(CODE, SERIAL, &mut r).unwrap();
    let (lock_side, _) = ClaimLock::respond(CODE, SERIAL, &start, &mut r).unwrap();
    let forged = ClaimFinish {
        confirm: [0; 32],
        sealed: heapless::Vec::new(),
    };
    assert_eq!(
        lock_side
            .handle_finish(&forged, &lock.op_key, FACTORY_PUBLIC, &mut lock.table)
            .unwrap_err(),
        ClaimError::KeyConfirmationFailed
    );
    assert!(lock.table.is_empty());
}

#[test]
fn tampered_sealed_keys_are_rejected() {
    let mut lock = Lock::new(56);
    let mut r = rng(57);
    let hub_key = ControllerKey::generate(&mut r);
    let (hub, start) = ClaimController::start(CODE, SERIAL, &mut r).unwrap();
    let (lock_side, reply) = ClaimLock::respond(CODE, SERIAL, &start, &mut r).unwrap();
    let (_hub, mut finish) = hub.handle_reply(&reply, &hub_key, name("hub")).unwrap();
    finish.sealed[0] ^= 1;
    assert_eq!(
        lock_side
            .handle_finish(&finish, &lock.op_key, FACTORY_PUBLIC, &mut lock.table)
            .unwrap_err(),
        ClaimError::BadSealedPayload
    );
    assert!(lock.table.is_empty());
}

#[test]
fn malformed_pake_message_is_rejected() {
    let mut r = rng(58);
    let bad = ClaimStart {
        pake: heapless::Vec::from_slice(&[1, 2, 3]).unwrap(),
    };
    assert_eq!(
        ClaimLock::respond(CODE, SERIAL, &bad, &mut r).unwrap_err(),
        ClaimError::BadPakeMessage
    );
}

#[test]
fn a_claimed_lock_cannot_be_claimed_again() {
    let mut lock = Lock::new(59);
    claim(&mut lock, CODE, CODE, 60).unwrap();
    assert_eq!(
        claim(&mut lock, CODE, CODE, 61).unwrap_err(),
        ("lock finish", ClaimError::AlreadyClaimed)
    );
    assert_eq!(lock.table.len(), 1);
}

#[test]
fn factory_reset_lock_rejects_its_old_hub_and_accepts_a_new_claim() {
    let mut lock = Lock::new(62);
    let mut old_hub = claim(&mut lock, CODE, CODE, 63).unwrap();
    assert!(talk(&mut lock, &mut old_hub, Command::Unlock { pin: None }).is_ok());

    lock.factory_reset(64);
    assert_eq!(
        talk(&mut lock, &mut old_hub, Command::Unlock { pin: None }),
        Err(OpenError::WrongLockKey)
    );
    // Even an old hub that guesses the new key id (it is public) cannot get in.
    let mut out = [0u8; MAX_ENVELOPE_LEN];
    let n = old_hub
        .seal(&request(9, Command::Unlock { pin: None }), &mut out)
        .unwrap();
    out[6..10].copy_from_slice(&lock.op_key.key_id().0);
    assert!(LockEndpoint::new(lock.op_key.clone())
        .open(&mut lock.table, &out[..n])
        .is_err());

    let mut new_hub = claim(&mut lock, CODE, CODE, 65).unwrap();
    let v = talk(&mut lock, &mut new_hub, Command::Unlock { pin: None }).unwrap();
    assert_eq!(v.role, Role::Admin);
    assert_eq!(
        talk(&mut lock, &mut old_hub, Command::Unlock { pin: None }),
        Err(OpenError::WrongLockKey)
    );
}

#[test]
fn secrets_are_redacted_in_debug() {
    let key = ControllerKey::generate(&mut rng(66));
    let secret_hex: String = key.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let dbg = format!("{key:?}");
    assert!(dbg.contains("redacted") && !dbg.contains(&secret_hex));
    assert_eq!(format!("{:?}", pin("1234")), "Pin(<redacted>)");
    let restored = ControllerKey::from_bytes(*key.to_bytes());
    assert_eq!(restored.public(), key.public());
}

#[test]
fn claim_is_bound_to_the_serial() {
    // Right code, but the hub thinks it talks to another lock: confirmation fails.
    let mut r = rng(67);
    let hub_key = ControllerKey::generate(&mut r);
    let (hub, start) = ClaimController::start(CODE, "TMB-OTHER", &mut r).unwrap();
    let (_, reply) = ClaimLock::respond(CODE, SERIAL, &start, &mut r).unwrap();
    assert_eq!(
        hub.handle_reply(&reply, &hub_key, name("hub")).unwrap_err(),
        ClaimError::KeyConfirmationFailed
    );
    let long = "S".repeat(SERIAL_MAX + 1);
    assert_eq!(
        ClaimController::start(CODE, &long, &mut r).unwrap_err(),
        ClaimError::BadSerial
    );
}
