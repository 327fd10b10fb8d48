//! A fake lock made of tumbler-proto's lock-side pieces (`ClaimLock`, `LockEndpoint`,
//! `ControllerTable`, `Dedup`): enough behaviour to drive the controller side.

use chacha20::ChaCha20Rng;
use rand_core::SeedableRng;
use tumbler_control::proto::claim::{ClaimLock, ClaimMessage};
use tumbler_control::proto::*;
use tumbler_control::{Binding, ClaimFlow, ClaimStep};

pub const SERIAL: &str = "TMB-0001";
pub const CODE: &[u8] = b"31415926";

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub fn signing_key(seed: u64) -> SigningKey {
    let mut bytes = [0u8; 32];
    rand_core::Rng::fill_bytes(&mut rng(seed), &mut bytes);
    SigningKey::from_bytes(&bytes)
}

pub struct FakeLock {
    pub serial: Serial,
    pub setup_code: Vec<u8>,
    pub op: LockEndpoint,
    pub table: ControllerTable<4>,
    pub factory: SigningKey,
    pub reset_counter: u32,
    pub claim: Option<ClaimLock>,
    pub dedup: Dedup<Vec<Up>, 8>,
    /// Commands actually executed (repeats answered from the dedup cache are not).
    pub executed: Vec<Command>,
    pub rng: ChaCha20Rng,
}

impl FakeLock {
    pub fn new(seed: u64) -> Self {
        let mut r = rng(seed);
        FakeLock {
            serial: Serial::try_from(SERIAL).unwrap(),
            setup_code: CODE.to_vec(),
            op: LockEndpoint::new(OperationalKey::generate(&mut r)),
            table: ControllerTable::new(),
            factory: signing_key(seed.wrapping_add(1000)),
            reset_counter: 0,
            claim: None,
            dedup: Dedup::new(),
            executed: Vec::new(),
            rng: r,
        }
    }

    pub fn factory_public(&self) -> [u8; 32] {
        self.factory.verifying_key().to_bytes()
    }

    pub fn plain(msg: &ClaimMessage) -> Vec<u8> {
        let mut buf = vec![0u8; MAX_MESSAGE_LEN];
        let n = msg.encode(&mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    /// Seal an `Up` to the first paired controller.
    pub fn seal(&mut self, up: &Up) -> Vec<u8> {
        let to = self.table.iter().next().unwrap().id;
        let mut buf = vec![0u8; MAX_ENVELOPE_LEN];
        let n = self.op.seal(&mut self.table, to, up, &mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    pub fn status(&self) -> Status {
        Status {
            time: 1_700_000_000,
            battery_percent: 80,
            bolt: BoltState::Locked,
            door: DoorState::Closed,
            mode: OperatingMode::Normal,
            firmware: FirmwareVersion {
                major: 1,
                minor: 0,
                patch: 0,
            },
            reset_counter: self.reset_counter,
            setup_mode: self.table.is_empty(),
            credentials: CredentialDigest {
                version: 0,
                digest: [0; 32],
            },
            log_head_seq: 0,
            log_overflow: 0,
        }
    }

    /// Handle one frame from `down`; returns the frames published on `up`.
    pub fn on_down(&mut self, frame: &[u8]) -> Vec<Vec<u8>> {
        match frame_kind(frame) {
            FrameKind::Plain => match ClaimMessage::decode(frame).unwrap() {
                ClaimMessage::Start(start) => {
                    let (machine, reply) =
                        ClaimLock::respond(&self.setup_code, &self.serial, &start, &mut self.rng)
                            .unwrap();
                    self.claim = Some(machine);
                    vec![Self::plain(&ClaimMessage::Reply(reply))]
                }
                ClaimMessage::Finish(finish) => {
                    let machine = self.claim.take().unwrap();
                    match machine.handle_finish(
                        &finish,
                        self.op.key(),
                        self.factory_public(),
                        &mut self.table,
                    ) {
                        Ok((_, done)) => vec![Self::plain(&ClaimMessage::Done(done))],
                        Err(_) => vec![],
                    }
                }
                _ => vec![],
            },
            FrameKind::Envelope => {
                let Ok(v) = self.op.open(&mut self.table, frame) else {
                    return vec![];
                };
                let Down::Request(req) = v.message else {
                    return vec![];
                };
                let answers = match self.dedup.check(v.controller, req.id) {
                    Seen::Repeat(cached) => cached.clone(),
                    Seen::New => {
                        let answers = self.execute(&req);
                        self.dedup.record(v.controller, req.id, answers.clone());
                        answers
                    }
                };
                answers.iter().map(|up| self.seal(up)).collect()
            }
            FrameKind::Unknown => vec![],
        }
    }

    fn execute(&mut self, req: &Request) -> Vec<Up> {
        self.executed.push(req.command.clone());
        let ack = Up::Ack(Ack {
            id: req.id,
            verdict: Verdict::Accepted,
        });
        let result = match &req.command {
            Command::GetStatus => return vec![ack, Up::Status(self.status())],
            Command::IssueResetNonce => CommandResult::ResetNonce(ResetNonce([9; 16])),
            Command::Unlock { pin: Some(p) } if p.expose() != b"1234" => {
                return vec![Up::Ack(Ack {
                    id: req.id,
                    verdict: Verdict::Refused(ErrorCode::WrongPin),
                })];
            }
            _ => CommandResult::Done,
        };
        vec![
            ack,
            Up::Applied(Applied {
                id: req.id,
                outcome: Outcome::Ok(result),
            }),
        ]
    }

    /// A factory-signed reset record for the next reset.
    pub fn reset_record(&self, counter: u32) -> SignedResetRecord {
        SignedResetRecord::sign(
            ResetRecord {
                serial: self.serial.clone(),
                reset_counter: counter,
                trigger: ResetTrigger::Button,
                time: 1_700_000_100,
                last_seq: 42,
                log_digest: [7; 32],
            },
            &self.factory,
        )
        .unwrap()
    }

    /// Its factory-signed statement of its reset state, bound to `challenge`.
    pub fn statement(&self, challenge: [u8; 16]) -> Vec<u8> {
        let statement = LockStatement {
            serial: self.serial.clone(),
            challenge,
            reset_counter: self.reset_counter,
            setup_mode: self.table.iter().next().is_none(),
            lock_key: self.op.key().key_id(),
        };
        let signed = SignedLockStatement::sign(statement, &self.factory).unwrap();
        Self::plain(&ClaimMessage::Statement(signed))
    }

    /// Local factory reset: new operational key, no controllers, counter + 1. Returns
    /// the signed record.
    pub fn factory_reset(&mut self) -> SignedResetRecord {
        self.reset_counter += 1;
        let record = self.reset_record(self.reset_counter);
        self.op = LockEndpoint::new(OperationalKey::generate(&mut self.rng));
        self.table = ControllerTable::new();
        self.dedup.clear();
        record
    }
}

/// Run a claim between a flow and the fake lock.
pub fn try_claim(
    lock: &mut FakeLock,
    code: &[u8],
    seed: u64,
) -> Result<Binding, tumbler_control::ClaimError> {
    let (mut flow, first) = ClaimFlow::start(SERIAL, code, "hub", &mut rng(seed))?;
    let mut outbox = vec![first];
    for _ in 0..4 {
        let mut inbox = Vec::new();
        for f in outbox.drain(..) {
            inbox.extend(lock.on_down(&f));
        }
        for f in inbox {
            match flow.on_frame(&f)? {
                ClaimStep::Send(next) => outbox.push(next),
                ClaimStep::Done(b) => return Ok(*b),
                ClaimStep::Ignored => {}
                _ => panic!("unknown step"),
            }
        }
    }
    panic!("claim did not finish")
}

/// A claimed lock with the factory key pinned and the reset-counter baseline learnt.
pub fn claimed(seed: u64) -> (FakeLock, Binding) {
    let mut lock = FakeLock::new(seed);
    let mut b = try_claim(&mut lock, CODE, seed + 1).unwrap();
    b.pin_factory_public(lock.factory_public()).unwrap();
    let frames = exchange(&mut lock, &mut b, Command::GetStatus);
    for f in frames {
        b.open_uplink(&f, 1_700_000_000).unwrap();
    }
    assert_eq!(b.reset_counter(), Some(0));
    (lock, b)
}

/// Seal a command, deliver it, return the lock's answer frames (unopened).
pub fn exchange(lock: &mut FakeLock, b: &mut Binding, cmd: Command) -> Vec<Vec<u8>> {
    let (_, frame) = b.seal_command(cmd).unwrap();
    lock.on_down(&frame)
}
