//! Model-based test: random operation sequences against a plain reference
//! model (a `BTreeMap` of items, a list of log records), with random
//! remounts, random power cuts and random factory resets.

use std::collections::BTreeMap;

use proptest::prelude::*;
use tumbler_store::{ItemOp, SimFlash, Store};

use std::sync::atomic::{AtomicU64, Ordering};

use crate::common::{formatted, mount_snapshot, small_layout};

/// Steps run, cuts that landed, and landed cuts that left the "after" state.
static STEPS: AtomicU64 = AtomicU64::new(0);
/// Cuts that landed inside a step.
static CUTS: AtomicU64 = AtomicU64::new(0);
/// Landed cuts whose step had nonetheless taken effect.
static CUT_AFTER: AtomicU64 = AtomicU64::new(0);

/// One step of a generated history.
#[derive(Debug, Clone)]
enum Step {
    /// Commit a group of (key, Some(len) = put / None = delete).
    Commit(Vec<(u32, Option<usize>)>),
    /// Append a record of this length.
    Append(usize),
    /// Ack everything appended so far minus this many records.
    Ack(u32),
    /// Drop the store and mount again.
    Remount,
    /// Cut the power after this many units during the next step, then remount.
    CutDuring(u64, Box<Step>),
    /// Factory reset.
    Reset,
}

fn simple_step() -> impl Strategy<Value = Step> {
    let key = 0u32..24;
    let op = (key, prop::option::weighted(0.8, 0usize..320));
    prop_oneof![
        6 => prop::collection::vec(op, 1..5).prop_map(Step::Commit),
        4 => (0usize..100).prop_map(Step::Append),
        2 => (0u32..4).prop_map(Step::Ack),
        2 => Just(Step::Remount),
        1 => prop::sample::select(vec![Step::Reset]),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        9 => simple_step(),
        2 => (0u64..900, simple_step()).prop_map(|(n, s)| Step::CutDuring(n, Box::new(s))),
    ]
}

/// Reference model of everything the store promises to keep.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Model {
    items: BTreeMap<u32, Vec<u8>>,
    /// Sequence numbers of records appended since the last reset.
    next_seq: u32,
    acked: u32,
    resets: u32,
}

fn value(key: u32, len: usize, salt: u32) -> Vec<u8> {
    (0..len)
        .map(|i| (key as usize * 31 + i + salt as usize) as u8)
        .collect()
}

/// Applies `step` to the store (which may fail if power is cut) and to the
/// model (only if the store reports success).
fn apply(store: &mut Store<&mut SimFlash>, model: &mut Model, step: &Step, salt: u32) -> bool {
    match step {
        Step::Commit(ops) => {
            let vals: Vec<(u32, Option<Vec<u8>>)> = ops
                .iter()
                .map(|(k, l)| (*k, l.map(|l| value(*k, l, salt))))
                .collect();
            let group: Vec<ItemOp> = vals
                .iter()
                .map(|(k, v)| match v {
                    Some(v) => ItemOp::Put(*k, v),
                    None => ItemOp::Delete(*k),
                })
                .collect();
            match store.commit(&group) {
                Ok(()) => {
                    for (k, v) in vals {
                        match v {
                            Some(v) => model.items.insert(k, v),
                            None => model.items.remove(&k),
                        };
                    }
                    true
                }
                Err(tumbler_store::CommitError::Full) => true,
                Err(_) => false,
            }
        }
        Step::Append(len) => match store.log_append(&value(7, *len, salt)) {
            Ok(seq) => {
                assert_eq!(seq, model.next_seq);
                model.next_seq += 1;
                true
            }
            Err(_) => false,
        },
        Step::Ack(back) => {
            let upto = (model.next_seq - 1).saturating_sub(*back);
            match store.log_ack(upto) {
                Ok(()) => {
                    model.acked = model.acked.max(upto);
                    true
                }
                Err(_) => false,
            }
        }
        Step::Reset => match store.factory_reset(b"reset") {
            Ok(()) => {
                model.items.clear();
                model.acked = model.next_seq - 1;
                model.next_seq += 1;
                model.resets += 1;
                true
            }
            Err(_) => false,
        },
        Step::Remount | Step::CutDuring(..) => true,
    }
}

fn check(flash: &mut SimFlash, model: &Model) {
    let snap = mount_snapshot(flash);
    assert_eq!(snap.items, model.items);
    assert_eq!(snap.status.next_seq, model.next_seq);
    assert_eq!(snap.status.acked_upto, model.acked);
    assert_eq!(snap.resets, model.resets);
    // Every retained record is contiguous up to the newest.
    let seqs: Vec<u32> = snap.log.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (snap.status.oldest_seq..snap.status.next_seq).collect::<Vec<_>>()
    );
    // Every unacknowledged record is either retained or counted as dropped.
    assert_eq!(
        snap.status.dropped + snap.status.unacked(),
        snap.status.next_seq - 1 - snap.status.acked_upto,
        "{:?}",
        snap.status
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_histories_match_the_model(steps in prop::collection::vec(step(), 1..40)) {
        let mut flash = formatted();
        let mut model = Model { next_seq: 1, ..Model::default() };
        for (i, st) in steps.iter().enumerate() {
            let salt = i as u32;
            STEPS.fetch_add(1, Ordering::Relaxed);
            match st {
                Step::Remount => check(&mut flash, &model),
                Step::CutDuring(n, inner) => {
                    let before = model.clone();
                    let mut after = model.clone();
                    // Armed before mounting: mounting a clean image writes nothing,
                    // so the cut lands in the step itself.
                    flash.cut_power_after(*n);
                    let ok = {
                        let (mut store, _) = Store::mount(&mut flash, small_layout()).unwrap();
                        apply(&mut store, &mut after, inner, salt)
                    };
                    let cut = flash.power_was_cut();
                    flash.restore_power();
                    if !cut {
                        prop_assert!(ok);
                        model = after;
                    } else {
                        // Power went during the step: the store must show the
                        // state before or after it, never anything else.
                        let snap = mount_snapshot(&mut flash);
                        let m_after = model_after(&before, inner, salt);
                        let matches = |m: &Model| {
                            snap.items == m.items
                                && snap.status.next_seq == m.next_seq
                                && snap.status.acked_upto == m.acked
                                && snap.resets == m.resets
                        };
                        let is_before = matches(&before);
                        let is_after = matches(&m_after);
                        prop_assert!(is_before || is_after, "cut at {} during {:?}: {:?}", n, inner, snap);
                        CUTS.fetch_add(1, Ordering::Relaxed);
                        if is_after && !is_before {
                            CUT_AFTER.fetch_add(1, Ordering::Relaxed);
                        }
                        model = if is_after { m_after } else { before };
                    }
                }
                other => {
                    let (mut store, _) = Store::mount(&mut flash, small_layout()).unwrap();
                    prop_assert!(apply(&mut store, &mut model, other, salt));
                }
            }
            check(&mut flash, &model);
        }
        check(&mut flash, &model);
    }
}

/// Runs after the property above in the same process only by chance, so it
/// re-runs a fixed history itself and asserts cuts really landed.
#[test]
fn model_test_lands_cuts_inside_steps() {
    random_histories_match_the_model();
    let (steps, cuts, after) = (
        STEPS.load(Ordering::Relaxed),
        CUTS.load(Ordering::Relaxed),
        CUT_AFTER.load(Ordering::Relaxed),
    );
    println!(
        "model test: {steps} steps, {cuts} power cuts landed ({after} after the step took effect)"
    );
    assert!(
        cuts > 10 && after > 0,
        "steps {steps} cuts {cuts} after {after}"
    );
}

/// The model after `step` succeeded on `m` (no store involved).
fn model_after(m: &Model, step: &Step, salt: u32) -> Model {
    let mut m = m.clone();
    match step {
        Step::Commit(ops) => {
            for (k, l) in ops {
                match l {
                    Some(l) => {
                        m.items.insert(*k, value(*k, *l, salt));
                    }
                    None => {
                        m.items.remove(k);
                    }
                }
            }
        }
        Step::Append(_) => m.next_seq += 1,
        Step::Ack(back) => {
            let upto = (m.next_seq - 1).saturating_sub(*back);
            if upto > m.acked && upto < m.next_seq {
                m.acked = upto;
            }
        }
        Step::Reset => {
            m.items.clear();
            m.acked = m.next_seq - 1;
            m.next_seq += 1;
            m.resets += 1;
        }
        Step::Remount | Step::CutDuring(..) => {}
    }
    m
}
