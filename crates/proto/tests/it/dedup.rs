//! Dedup: a repeated command id is answered from the cache and never executed twice,
//! checked against a plain reference model.

use proptest::prelude::*;
use tumbler_proto::*;

#[test]
fn repeated_id_is_answered_from_cache() {
    let mut d: Dedup<Ack, 4> = Dedup::new();
    let c = ControllerId(1);
    let ack = Ack {
        id: CommandId(7),
        verdict: Verdict::Accepted,
    };
    assert_eq!(d.check(c, CommandId(7)), Seen::New);
    d.record(c, CommandId(7), ack);
    assert_eq!(d.check(c, CommandId(7)), Seen::Repeat(&ack));
    // Same id from another controller is a different command.
    assert_eq!(d.check(ControllerId(2), CommandId(7)), Seen::New);
}

#[test]
fn window_is_bounded_and_evicts_oldest_first() {
    let mut d: Dedup<u64, 3> = Dedup::new();
    let c = ControllerId(1);
    for i in 0..5 {
        d.record(c, CommandId(i), i);
    }
    assert_eq!(d.len(), 3);
    assert_eq!(d.check(c, CommandId(1)), Seen::New);
    assert_eq!(d.check(c, CommandId(2)), Seen::Repeat(&2));
    assert_eq!(d.check(c, CommandId(4)), Seen::Repeat(&4));
}

type Key = (u32, u64);
type Answer = (u32, u64, usize);

#[derive(Debug, Clone)]
enum Op {
    Cmd(u32, u64),
    Forget(u32),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0u32..3, 0u64..12).prop_map(|(c, i)| Op::Cmd(c, i)),
        1 => (0u32..3).prop_map(Op::Forget),
        1 => Just(Op::Clear),
    ]
}

proptest! {
    #[test]
    fn dedup_matches_a_reference_model(ops in proptest::collection::vec(op(), 1..200)) {
        const N: usize = 5;
        let mut d: Dedup<(u32, u64, usize), N> = Dedup::new();
        // Model: the last N distinct (controller, id) recorded, oldest first.
        let mut model: Vec<(Key, Answer)> = Vec::new();
        let mut executions = std::collections::BTreeMap::<(u32, u64), usize>::new();
        for (step, op) in ops.into_iter().enumerate() {
            match op {
                Op::Cmd(c, i) => {
                    let want = model.iter().find(|(k, _)| *k == (c, i)).map(|(_, v)| *v);
                    match d.check(ControllerId(c), CommandId(i)) {
                        Seen::Repeat(r) => prop_assert_eq!(Some(*r), want),
                        Seen::New => {
                            prop_assert_eq!(want, None);
                            *executions.entry((c, i)).or_default() += 1;
                            let answer = (c, i, step);
                            d.record(ControllerId(c), CommandId(i), answer);
                            if model.len() == N {
                                model.remove(0);
                            }
                            model.push(((c, i), answer));
                        }
                    }
                }
                Op::Forget(c) => {
                    d.forget_controller(ControllerId(c));
                    model.retain(|((mc, _), _)| *mc != c);
                }
                Op::Clear => {
                    d.clear();
                    model.clear();
                }
            }
            prop_assert_eq!(d.len(), model.len());
            // The oldest-first view is the model, and recording it into an empty window
            // rebuilds one that evicts in the same order (how a lock restores it from flash).
            let view: Vec<(Key, Answer)> = d
                .iter_oldest_first()
                .map(|(c, i, r)| ((c.0, i.0), *r))
                .collect();
            prop_assert_eq!(&view, &model);
            let mut rebuilt: Dedup<(u32, u64, usize), N> = Dedup::new();
            for (c, i, r) in d.iter_oldest_first() {
                rebuilt.record(c, i, *r);
            }
            rebuilt.record(ControllerId(9), CommandId(0), (9, 0, 0));
            let mut copy = d.clone();
            copy.record(ControllerId(9), CommandId(0), (9, 0, 0));
            let a: Vec<_> = rebuilt.iter_oldest_first().map(|(c, i, r)| (c, i, *r)).collect();
            let b: Vec<_> = copy.iter_oldest_first().map(|(c, i, r)| (c, i, *r)).collect();
            prop_assert_eq!(a, b);
        }
    }
}
