//! The outbox keeps uplink messages in order until acknowledged, across disconnects.

use tumbler_device::outbox::Outbox;

#[test]
fn in_order_within_window_and_resent_after_disconnect() {
    let mut o = Outbox::new(10, 2);
    for i in 0..4u8 {
        o.push(vec![i]);
    }
    let (a, _) = o.next_to_send().unwrap();
    o.mark_sent(a);
    o.assign_pkid(a, 1);
    let (b, pb) = o.next_to_send().unwrap();
    assert_eq!(pb, &[1]);
    o.mark_sent(b);
    assert!(o.next_to_send().is_none(), "window of 2 is full");
    o.assign_pkid(b, 2);
    assert_eq!(o.ack(1), Some(a));
    assert_eq!(o.ack(1), None, "a duplicate ack changes nothing");
    // Connection drops with b unacknowledged: b comes first again, then 2, 3.
    o.disconnected();
    let order: Vec<u8> = std::iter::from_fn(|| {
        let (s, p) = o.next_to_send()?;
        let v = p[0];
        o.mark_sent(s);
        o.assign_pkid(s, 10 + u16::from(v));
        o.ack(10 + u16::from(v));
        Some(v)
    })
    .collect();
    assert_eq!(order, [1, 2, 3]);
    assert!(o.is_empty());
    assert_eq!(o.acked(), 4);
}

#[test]
fn overflow_drops_oldest_and_counts() {
    let mut o = Outbox::new(3, 8);
    for i in 0..5u8 {
        o.push(vec![i]);
    }
    assert_eq!(o.len(), 3);
    assert_eq!(o.overflow(), 2);
    assert_eq!(o.next_to_send().unwrap().1, &[2]);
}
