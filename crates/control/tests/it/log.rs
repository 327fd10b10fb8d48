//! Log cursor: dedup, gaps, overflow, chain breaks; model-based check of delivery in
//! any order.

use proptest::prelude::*;
use tumbler_control::proto::*;
use tumbler_control::{LogCursor, LogIssue, SeqRange};

/// A valid chain of records seq 1..=n.
fn chain(n: u64) -> Vec<LogRecord> {
    let mut out: Vec<LogRecord> = Vec::new();
    let mut prev = [0u8; 32];
    for seq in 1..=n {
        let r = LogRecord {
            seq,
            prev_hash: prev,
            hash: {
                let mut h = [0u8; 32];
                h[..8].copy_from_slice(&seq.to_be_bytes());
                h[31] = 0x5a;
                h
            },
            time: 1_700_000_000 + seq,
            who: Actor::Lock,
            what: Action::Lock,
            how: Method::Auto,
            result: LogOutcome::Ok,
        };
        prev = r.chain_hash().unwrap();
        out.push(r);
    }
    out
}

fn batch(records: &[LogRecord], overflow: u32) -> LogBatch {
    LogBatch {
        records: records.iter().copied().collect(),
        overflow,
    }
}

fn seqs(ing: &tumbler_control::LogIngest) -> Vec<u64> {
    ing.accepted.iter().map(|a| a.record.seq).collect()
}

#[test]
fn in_order_records_are_accepted_chained_and_acked() {
    let c = chain(5);
    let mut cur = LogCursor::new();
    let ing = cur.ingest(&batch(&c[..3], 0));
    assert_eq!(seqs(&ing), vec![1, 2, 3]);
    assert!(ing.accepted.iter().all(|a| a.chained));
    assert_eq!(ing.ack_up_to, Some(3));
    assert!(ing.issues.is_empty());
    let ing = cur.ingest(&batch(&c[2..5], 0));
    assert_eq!(seqs(&ing), vec![4, 5]);
    assert_eq!(ing.duplicates, 1);
    assert_eq!(ing.ack_up_to, Some(5));
    // All repeats (a lock resending what it never heard acknowledged):
    // nothing to store, acknowledged again so the lock can forget them.
    let ing = cur.ingest(&batch(&c[..5], 0));
    assert!(ing.accepted.is_empty());
    assert_eq!(ing.duplicates, 5);
    assert_eq!(ing.ack_up_to, Some(5));
}

#[test]
fn a_gap_is_reported_then_filled() {
    let c = chain(6);
    let mut cur = LogCursor::new();
    cur.ingest(&batch(&c[..2], 0));
    let ing = cur.ingest(&batch(&c[4..6], 0));
    assert!(ing.accepted.is_empty());
    assert_eq!(
        ing.issues,
        vec![LogIssue::Gap(SeqRange { first: 3, last: 4 })]
    );
    assert_eq!(ing.fetch_from, Some(3));
    assert_eq!(cur.pending_len(), 2);
    let ing = cur.ingest(&batch(&c[2..4], 0));
    assert_eq!(seqs(&ing), vec![3, 4, 5, 6]);
    assert!(ing.accepted.iter().all(|a| a.chained));
    assert!(ing.issues.is_empty());
    assert_eq!(ing.ack_up_to, Some(6));
    assert_eq!(cur.pending_len(), 0);
}

#[test]
fn overflow_explains_a_gap_and_abandoning_one_is_flagged() {
    let c = chain(8);
    let mut cur = LogCursor::new();
    cur.ingest(&batch(&c[..2], 0));
    // The lock lost 3 and 4 to its ring overflow and says so.
    let ing = cur.ingest(&batch(&c[4..6], 2));
    assert_eq!(
        ing.issues,
        vec![LogIssue::Lost(SeqRange { first: 3, last: 4 })]
    );
    assert_eq!(seqs(&ing), vec![5, 6]);
    assert!(!ing.accepted[0].chained);
    assert!(ing.accepted[1].chained);
    // Without an overflow report the hole stays until given up.
    let ing = cur.ingest(&batch(&c[7..8], 2));
    assert_eq!(ing.fetch_from, Some(7));
    let ing = cur.give_up_gap().unwrap();
    assert_eq!(
        ing.issues,
        vec![LogIssue::Abandoned(SeqRange { first: 7, last: 7 })]
    );
    assert_eq!(seqs(&ing), vec![8]);
    assert!(cur.give_up_gap().is_none());
}

#[test]
fn chain_break_and_conflict_are_reported() {
    let c = chain(4);
    let mut cur = LogCursor::new();
    cur.ingest(&batch(&c[..2], 0));
    let mut other2 = c[1];
    other2.time += 1;
    let ing = cur.ingest(&batch(&[other2], 0));
    assert_eq!(ing.issues, vec![LogIssue::Conflict { seq: 2 }]);
    assert!(ing.accepted.is_empty());
    // A different record 3 (the lock hashes its content, so its hash differs too).
    let mut broken3 = c[2];
    broken3.prev_hash = [9; 32];
    broken3.hash = [8; 32];
    let ing = cur.ingest(&batch(&[broken3], 0));
    assert_eq!(ing.issues, vec![LogIssue::ChainBreak { seq: 3 }]);
    assert_eq!(seqs(&ing), vec![3]);
    assert!(!ing.accepted[0].chained);
    // The chain continues from what was accepted: the genuine 4 no longer chains.
    let ing = cur.ingest(&batch(&c[3..4], 0));
    assert_eq!(ing.issues, vec![LogIssue::ChainBreak { seq: 4 }]);
}

#[test]
fn a_first_record_mid_chain_is_accepted_unverified() {
    let c = chain(3);
    let mut cur = LogCursor::new();
    let ing = cur.ingest(&batch(&c[1..3], 0));
    assert_eq!(seqs(&ing), vec![2, 3]);
    assert!(!ing.accepted[0].chained);
    assert!(ing.accepted[1].chained);
}

#[test]
fn a_cursor_expecting_a_start_waits_for_it() {
    let c = chain(4);
    let mut cur = LogCursor::expecting(2);
    let ing = cur.ingest(&batch(&c[2..4], 0));
    assert!(ing.accepted.is_empty());
    assert_eq!(
        ing.issues,
        vec![LogIssue::Gap(SeqRange { first: 2, last: 2 })]
    );
    assert_eq!(ing.fetch_from, Some(2));
    let ing = cur.ingest(&batch(&c[..2], 0));
    assert_eq!(ing.duplicates, 1);
    assert_eq!(seqs(&ing), vec![2, 3, 4]);
    assert_eq!(ing.ack_up_to, Some(4));
}

#[test]
fn cursor_survives_serialisation_with_held_records() {
    let c = chain(5);
    let mut cur = LogCursor::new();
    cur.ingest(&batch(&c[..1], 0));
    cur.ingest(&batch(&c[3..5], 0));
    let bytes = postcard::to_allocvec(&cur).unwrap();
    let mut back: LogCursor = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(back, cur);
    let ing = back.ingest(&batch(&c[1..3], 0));
    assert_eq!(seqs(&ing), vec![2, 3, 4, 5]);
}

fn deliver(
    cur: &mut LogCursor,
    recs: &[LogRecord],
    stored: &mut Vec<u64>,
) -> Result<(), TestCaseError> {
    let ing = cur.ingest(&batch(recs, 0));
    for a in &ing.accepted {
        prop_assert!(a.chained);
        stored.push(a.record.seq);
    }
    for i in &ing.issues {
        prop_assert!(matches!(i, LogIssue::Gap(_)), "issue {:?}", i);
    }
    if let Some(ack) = ing.ack_up_to {
        prop_assert_eq!(Some(ack), cur.head_seq());
    }
    Ok(())
}

proptest! {
    /// Model: whatever the order, duplication and batching of a valid chain, every
    /// record is accepted exactly once, in sequence order, chained; the only issues are
    /// transient gaps; and the final ack covers everything.
    #[test]
    fn any_delivery_order_yields_the_chain_once(
        n in 1u64..40,
        picks in proptest::collection::vec((0usize..40, 1usize..=LOG_BATCH_MAX), 1..60),
    ) {
        let c = chain(n);
        let mut cur = LogCursor::expecting(1);
        let mut stored = Vec::new();
        for (start, len) in picks {
            let start = start % c.len();
            let end = (start + len).min(c.len());
            deliver(&mut cur, &c[start..end], &mut stored)?;
        }
        // Then the hub fetches everything from the start, in order.
        for chunk in c.chunks(LOG_BATCH_MAX) {
            deliver(&mut cur, chunk, &mut stored)?;
        }
        let want: Vec<u64> = (1..=n).collect();
        prop_assert_eq!(stored, want);
        prop_assert_eq!(cur.head_seq(), Some(n));
        prop_assert_eq!(cur.pending_len(), 0);
    }
}
