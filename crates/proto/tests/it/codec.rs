//! Encoding: every message round-trips and fits, bad input gives its own error, and
//! random bytes never panic the decoders.

use proptest::prelude::*;
use tumbler_proto::*;

use crate::fixtures::*;

#[test]
fn every_down_message_round_trips_and_fits() {
    for msg in all_downs() {
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let n = msg
            .encode(&mut buf)
            .unwrap_or_else(|e| panic!("{msg:?}: {e:?}"));
        assert_eq!(buf[0], PROTOCOL_VERSION);
        assert_eq!(Down::decode(&buf[..n]).unwrap(), msg);
    }
}

#[test]
fn every_up_message_round_trips_and_fits() {
    for msg in all_ups() {
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let n = msg
            .encode(&mut buf)
            .unwrap_or_else(|e| panic!("{msg:?}: {e:?}"));
        assert_eq!(Up::decode(&buf[..n]).unwrap(), msg);
    }
}

#[test]
fn every_command_is_covered_by_the_fixtures() {
    // Guard: the fixture list has one entry per Command variant (by discriminant).
    let mut seen = std::collections::BTreeSet::new();
    for c in all_commands() {
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let n = encode(&c, &mut buf).unwrap();
        // postcard encodes the variant index as the first varint (all < 128).
        assert!(n >= 2);
        seen.insert(buf[1]);
    }
    assert_eq!(
        seen.len(),
        37,
        "a Command variant has no fixture (or a new one was added)"
    );
}

#[test]
fn hotel_commands_are_appended_after_the_older_commands() {
    // Appended at the end of `Command`: every older command keeps its variant index
    // (RequestSelfCheck stays 32), so an older lock still decodes what it knew.
    let bytes = |c: &Command| {
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let n = encode(c, &mut buf).unwrap();
        buf[..n].to_vec()
    };
    let v = PROTOCOL_VERSION;
    assert_eq!(
        bytes(&Command::RequestSelfCheck { challenge: [0; 16] })[..2],
        [v, 32]
    );
    assert_eq!(bytes(&Command::SetHotelDoor(None)), [v, 33, 0]);
    assert_eq!(
        bytes(&Command::DenyCard { number: 300 }),
        [v, 34, 0xAC, 0x02]
    );
    let door = bytes(&Command::SetHotelDoor(Some(hotel_door())));
    assert_eq!(door[..4], [v, 33, 1, 0x5A], "then the 32-byte key");
    assert!(door.len() < 64, "{} bytes", door.len());
}

#[test]
fn offline_code_commands_are_appended_after_the_hotel_commands() {
    let bytes = |c: &Command| {
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let n = encode(c, &mut buf).unwrap();
        buf[..n].to_vec()
    };
    let v = PROTOCOL_VERSION;
    assert_eq!(bytes(&Command::SetOfflineCodes(None)), [v, 35, 0]);
    let set = bytes(&Command::SetOfflineCodes(Some(OfflineCodes {
        secret: [0xC0; 32],
        epoch: 2,
    })));
    assert_eq!(set[..4], [v, 35, 1, 0xC0], "then the 32-byte secret");
    assert_eq!(set[set.len() - 1], 2, "the epoch last");
    assert_eq!(
        bytes(&Command::DenyOfflineCode { id: 300 }),
        [v, 36, 0xAC, 0x02]
    );
    let shown = format!(
        "{:?}",
        OfflineCodes {
            secret: [0xC0; 32],
            epoch: 2
        }
    );
    assert!(!shown.contains("192"), "{shown}");
}

#[test]
fn plain_frames_round_trip() {
    let frames = [
        Plain::ResetRecord(reset_record()),
        Plain::SelfCheck(self_check()),
        Plain::SelfCheckRequest { challenge: [9; 16] },
        Plain::Start(tumbler_proto::claim::ClaimStart {
            pake: heapless::Vec::from_slice(&[1; 33]).unwrap(),
        }),
    ];
    for f in frames {
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let n = f.encode(&mut buf).unwrap();
        assert_eq!(frame_kind(&buf[..n]), FrameKind::Plain);
        assert_eq!(Plain::decode(&buf[..n]).unwrap(), f);
    }
}

#[test]
fn wrong_version_is_its_own_error() {
    let mut buf = [0u8; MAX_MESSAGE_LEN];
    let n = request(1, Command::Reboot).encode(&mut buf).unwrap();
    buf[0] = 2;
    assert_eq!(
        Down::decode(&buf[..n]),
        Err(DecodeError::UnsupportedVersion(2))
    );
}

#[test]
fn empty_truncated_trailing_and_oversized_input_are_rejected() {
    assert_eq!(Down::decode(&[]), Err(DecodeError::Empty));
    let mut buf = [0u8; MAX_MESSAGE_LEN + 1];
    let n = request(
        1,
        Command::SetUser(match &all_commands()[4] {
            Command::SetUser(u) => u.clone(),
            _ => unreachable!(),
        }),
    )
    .encode(&mut buf)
    .unwrap();
    assert_eq!(Down::decode(&buf[..n - 1]), Err(DecodeError::Malformed));
    assert_eq!(Down::decode(&buf[..n + 1]), Err(DecodeError::TrailingBytes));
    assert_eq!(Down::decode(&buf), Err(DecodeError::TooLong));
}

#[test]
fn encoding_into_a_small_buffer_fails_cleanly() {
    let mut buf = [0u8; 8];
    assert_eq!(
        request(
            1,
            Command::SetUser(match &all_commands()[4] {
                Command::SetUser(u) => u.clone(),
                _ => unreachable!(),
            })
        )
        .encode(&mut buf),
        Err(EncodeError::BufferTooSmall)
    );
    assert_eq!(
        encode(&Command::Reboot, &mut []),
        Err(EncodeError::BufferTooSmall)
    );
}

#[test]
fn over_capacity_pin_is_rejected_by_the_decoder() {
    // Hand-build a Command::Unlock { pin: Some(17 bytes) }: variant 1, Some = 1, len 17.
    let mut bytes = vec![PROTOCOL_VERSION, 1, 1, 17];
    bytes.extend_from_slice(&[b'1'; 17]);
    assert_eq!(decode::<Command>(&bytes), Err(DecodeError::Malformed));
    bytes[3] = 16;
    bytes.pop();
    assert!(matches!(
        decode::<Command>(&bytes),
        Ok(Command::Unlock { pin: Some(_) })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_the_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
        let _ = Down::decode(&bytes);
        let _ = Up::decode(&bytes);
        let _ = Plain::decode(&bytes);
        let _ = Header::parse(&bytes);
        let _ = frame_kind(&bytes);
    }

    #[test]
    fn versioned_random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        // Prefix the right version byte so the postcard decoder itself is exercised.
        let mut bytes = vec![PROTOCOL_VERSION];
        bytes.extend_from_slice(&body);
        let _ = Down::decode(&bytes);
        let _ = Up::decode(&bytes);
        let _ = Plain::decode(&bytes);
    }

    #[test]
    fn mutated_valid_messages_never_panic(i in 0usize..40, pos in any::<usize>(), byte in any::<u8>()) {
        let downs = all_downs();
        let ups = all_ups();
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let n = downs[i % downs.len()].encode(&mut buf).unwrap();
        buf[pos % n] = byte;
        let _ = Down::decode(&buf[..n]);
        let n = ups[i % ups.len()].encode(&mut buf).unwrap();
        buf[pos % n] = byte;
        let _ = Up::decode(&buf[..n]);
    }

    #[test]
    fn random_envelopes_never_panic_and_never_verify(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut p = paired(1, Role::Admin);
        let before = p.table.clone();
        prop_assert!(p.lock.open(&mut p.table, &bytes).is_err());
        prop_assert!(p.hub.open(&bytes).is_err());
        prop_assert_eq!(p.table, before);
    }
}
