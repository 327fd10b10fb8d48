//! `LogFetch` and the schedule reads: `bridge::log_batches` over a lock driven through the
//! device's glue (batches from a given seq, oldest first, hash chain intact), and the same
//! answers over the MQTT link (`scenarios::digests_schedules_and_queries`).

use tumbler_device::bridge;
use tumbler_lock as l;
use tumbler_proto as p;

use crate::power_cut::{base_image, boot, keys};

#[test]
fn log_fetch_sends_pending_records_from_a_seq_with_the_chain_intact() {
    let mut d = boot(&base_image(), 7);
    // Eleven keypad unlocks (one audit record each) on top of the setup's records.
    for _ in 0..11 {
        for k in keys("4826") {
            d.run(&k).unwrap();
        }
    }
    let pending: Vec<l::AuditRecord> = d.lock.audit_pending().cloned().collect();
    assert!(pending.len() > 11, "{} pending", pending.len());
    let (next_seq, head, _) = d.lock.audit_state();

    for from in [0u64, u64::from(pending[3].seq), u64::from(next_seq - 1)] {
        let batches = bridge::log_batches(&d.lock, from, 2);
        let recs: Vec<&p::LogRecord> = batches.iter().flat_map(|b| b.records.iter()).collect();
        assert!(batches
            .iter()
            .all(|b| !b.records.is_empty() && b.records.len() <= p::LOG_BATCH_MAX));
        assert!(batches.iter().all(|b| b.overflow == 2));
        let want: Vec<&l::AuditRecord> = pending
            .iter()
            .filter(|r| u64::from(r.seq) >= from)
            .collect();
        assert_eq!(recs.len(), want.len(), "from {from}");
        assert_eq!(recs[0].seq, from.max(u64::from(pending[0].seq)));
        for (w, r) in want.iter().zip(&recs) {
            assert_eq!(**r, bridge::log_record(w));
        }
        // Consecutive seqs, each record's prev_hash is its predecessor's chain hash, and the
        // last one's hash is the lock's chain head.
        for pair in want.windows(2) {
            assert_eq!(pair[0].seq + 1, pair[1].seq);
            assert_eq!(pair[1].prev, pair[0].hash());
        }
        for (i, r) in recs.iter().enumerate().skip(1) {
            assert_eq!(r.prev_hash, want[i - 1].hash());
            assert_eq!(r.hash, want[i].hash());
            assert_eq!(recs[i - 1].seq + 1, r.seq);
        }
        assert_eq!(want.last().unwrap().hash(), head);
    }
    // Nothing at or past the next seq: no batch at all.
    assert!(bridge::log_batches(&d.lock, u64::from(next_seq), 0).is_empty());

    // Acknowledged records are not sent again.
    let acked = pending[5].seq;
    let out = d
        .run(&crate::power_cut::Step::In(l::Input::Command {
            from: crate::power_cut::ADMIN,
            id: 900,
            counter: 900,
            cmd: l::Command::LogAck { seq: acked },
        }))
        .unwrap();
    assert!(matches!(out.reply, Some(l::Reply { result: Ok(_), .. })));
    let recs: Vec<p::LogRecord> = bridge::log_batches(&d.lock, 0, 0)
        .into_iter()
        .flat_map(|b| b.records)
        .collect();
    assert_eq!(recs[0].seq, u64::from(acked) + 1);
}
