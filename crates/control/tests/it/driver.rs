//! A miniature hub job loop over a lossy link: binding + op state machine + fake lock,
//! with a virtual clock. Shows the pieces compose: retries reuse the command id, the
//! lock executes once, and the operation ends applied — or failed after the policy's
//! attempts when the lock never answers.

use chacha20::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use tumbler_control::proto::*;
use tumbler_control::{Binding, OpInput, OpKind, OpState, RetryPolicy, Uplink};

use crate::fake_lock::{claimed, FakeLock};

const POLICY: RetryPolicy = RetryPolicy {
    max_attempts: 6,
    ack_timeout_s: 10,
    apply_timeout_s: 30,
    backoff_base_s: 2,
    backoff_max_s: 20,
};

/// Drive one operation to a terminal state; each frame (both ways) is lost with
/// probability `loss` (seeded). Returns the final state.
fn drive(lock: &mut FakeLock, b: &mut Binding, kind: &OpKind, loss: u32, seed: u64) -> OpState {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let lost = |rng: &mut ChaCha20Rng| rng.next_u32() % 100 < loss;
    let mut now = 1_000u64;
    let mut op = OpState::new(now);
    for _ in 0..200 {
        if op.is_terminal() {
            return op;
        }
        if let Some(at) = op.next_attempt_at(now) {
            now = at;
            let cmd = kind.to_command(now).unwrap();
            let (id, frame) = match op.id() {
                None => b.seal_command(cmd).unwrap(),
                Some(id) => (id, b.reseal(id, cmd).unwrap()),
            };
            // (persist binding + op here, before publishing)
            op = op.step(&OpInput::Dispatched { id }, now, &POLICY);
            if lost(&mut rng) {
                continue;
            }
            for up in lock.on_down(&frame) {
                now += 1;
                if lost(&mut rng) {
                    continue;
                }
                let input = match b.open_uplink(&up, now).unwrap() {
                    Uplink::Ack(a) => OpInput::Ack(a),
                    Uplink::Applied(a) => OpInput::from_applied(&a).0,
                    other => panic!("unexpected {other:?}"),
                };
                op = op.step(&input, now, &POLICY);
            }
        } else if let Some(deadline) = op.deadline(&POLICY) {
            now = now.max(deadline);
            op = op.step(&OpInput::Tick, now, &POLICY);
        }
    }
    panic!("did not terminate: {op:?}")
}

#[test]
fn lossy_link_still_applies_exactly_once() {
    let (mut applied, mut retried) = (0, 0);
    for seed in 0..20 {
        let (mut lock, mut b) = claimed(60 + seed);
        let before = lock.executed.len();
        let op = drive(&mut lock, &mut b, &OpKind::Reboot, 40, seed);
        let executed = lock.executed.len() - before;
        match op {
            OpState::Applied { .. } => {
                assert_eq!(executed, 1, "seed {seed}");
                applied += 1;
            }
            OpState::Failed { .. } => assert!(executed <= 1, "seed {seed}"),
            other => panic!("seed {seed}: {other:?}"),
        }
        assert!(op.attempts() <= POLICY.max_attempts);
        if b.counters().send_next > 3 {
            retried += 1; // more than GetStatus + one send: a retry happened
        }
    }
    // The scenario really exercised loss and retries.
    assert!(applied >= 15, "applied {applied}/20");
    assert!(retried >= 5, "retried {retried}/20");
}

#[test]
fn a_perfect_link_applies_first_time_and_a_dead_one_fails_bounded() {
    let (mut lock, mut b) = claimed(90);
    let op = drive(&mut lock, &mut b, &OpKind::Unlock { pin: None }, 0, 1);
    assert!(matches!(op, OpState::Applied { .. }));
    let op = drive(&mut lock, &mut b, &OpKind::Lock { pin: None }, 100, 2);
    assert_eq!(op.name(), "failed");
    assert_eq!(op.attempts(), POLICY.max_attempts);
}

#[test]
fn wrong_pin_is_refused_not_retried() {
    let (mut lock, mut b) = claimed(91);
    let kind = OpKind::Unlock {
        pin: Some(tumbler_control::SecretPin::new("9999")),
    };
    let op = drive(&mut lock, &mut b, &kind, 0, 3);
    assert!(matches!(
        op,
        OpState::Refused {
            code: ErrorCode::WrongPin,
            ..
        }
    ));
}
