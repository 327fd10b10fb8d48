//! The uplink outbox: events kept in order across outages until the broker acknowledges them.
//!
//! Pure bookkeeping, no I/O: the MQTT link tells it what it sent, which packet id the client
//! gave each publish, which were acknowledged, and when the connection dropped. Invariants:
//! - items leave only when acknowledged (or when the outbox overflows, which is counted);
//! - after a reconnect everything unacknowledged is sent again, oldest first, so the receiver
//!   sees events in order (possibly with duplicates, which carry the same sequence number).

use std::collections::VecDeque;

/// Where an item is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not sent on the current connection.
    Unsent,
    /// Handed to the client; its packet id is not known yet.
    Sent,
    /// On the wire with this packet id, waiting for the broker's acknowledgement.
    InFlight(u16),
}

/// One queued message.
#[derive(Debug, Clone)]
struct Item {
    /// The outbox's sequence number for this message (monotonic, never reused).
    seq: u64,
    /// The bytes to publish.
    payload: Vec<u8>,
    /// Delivery state.
    state: State,
}

/// The outbox.
#[derive(Debug, Clone)]
pub struct Outbox {
    /// Queued messages, oldest first.
    items: VecDeque<Item>,
    /// At most this many messages are kept; pushing more drops the oldest (counted).
    capacity: usize,
    /// At most this many messages are unacknowledged on the wire at once.
    window: usize,
    /// Messages dropped because the outbox was full.
    overflow: u64,
    /// Sequence number of the next message pushed.
    next_seq: u64,
    /// Messages acknowledged by the broker since start.
    acked: u64,
}

impl Outbox {
    /// An outbox keeping at most `capacity` messages (at least 1), with at most `window` in flight.
    pub fn new(capacity: usize, window: usize) -> Self {
        Self {
            items: VecDeque::new(),
            capacity: capacity.max(1),
            window: window.max(1),
            overflow: 0,
            next_seq: 0,
            acked: 0,
        }
    }

    /// Queues `payload`; returns its sequence number. If the outbox is full, the oldest message is
    /// dropped and counted in [`Outbox::overflow`].
    pub fn push(&mut self, payload: Vec<u8>) -> u64 {
        if self.items.len() >= self.capacity {
            self.items.pop_front();
            self.overflow = self.overflow.saturating_add(1);
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        self.items.push_back(Item {
            seq,
            payload,
            state: State::Unsent,
        });
        seq
    }

    /// The next message to send now (oldest unsent), if the in-flight window allows.
    pub fn next_to_send(&self) -> Option<(u64, &[u8])> {
        let in_flight = self
            .items
            .iter()
            .filter(|i| i.state != State::Unsent)
            .count();
        if in_flight >= self.window {
            return None;
        }
        self.items
            .iter()
            .find(|i| i.state == State::Unsent)
            .map(|i| (i.seq, i.payload.as_slice()))
    }

    /// Records that message `seq` was handed to the client.
    pub fn mark_sent(&mut self, seq: u64) {
        if let Some(i) = self.items.iter_mut().find(|i| i.seq == seq) {
            i.state = State::Sent;
        }
    }

    /// Records the packet id the client gave to the publish of message `seq`.
    pub fn assign_pkid(&mut self, seq: u64, pkid: u16) {
        if let Some(i) = self.items.iter_mut().find(|i| i.seq == seq) {
            if i.state == State::Sent {
                i.state = State::InFlight(pkid);
            }
        }
    }

    /// The broker acknowledged packet `pkid`: that message is delivered. Returns its sequence.
    pub fn ack(&mut self, pkid: u16) -> Option<u64> {
        let pos = self
            .items
            .iter()
            .position(|i| i.state == State::InFlight(pkid))?;
        let seq = self.items.remove(pos).map(|i| i.seq);
        if seq.is_some() {
            self.acked = self.acked.saturating_add(1);
        }
        seq
    }

    /// The connection dropped: everything not acknowledged will be sent again, in order.
    pub fn disconnected(&mut self) {
        for i in &mut self.items {
            i.state = State::Unsent;
        }
    }

    /// Messages waiting (sent or not) for acknowledgement.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Messages dropped because the outbox was full.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    /// Messages acknowledged since start.
    pub fn acked(&self) -> u64 {
        self.acked
    }
}
