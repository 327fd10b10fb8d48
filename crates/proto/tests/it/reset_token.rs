//! Manufacturer reset token: a genuine token verifies; each defect has its own error.

use tumbler_proto::*;

use crate::fixtures::*;

const NOW: u64 = 1_800_000_000;

fn setup() -> (SigningKey, VerifyingKey, ResetNonce) {
    let sk = signing_key(40);
    let vk = sk.verifying_key();
    (sk, vk, ResetNonce::generate(&mut rng(41)))
}

#[test]
fn genuine_token_verifies_until_its_expiry_inclusive() {
    let (sk, vk, nonce) = setup();
    let t = ResetToken::sign(&sk, "TMB-1", nonce, NOW + 300).unwrap();
    assert_eq!(t.verify(&vk, "TMB-1", &nonce, NOW), Ok(()));
    assert_eq!(t.verify(&vk, "TMB-1", &nonce, NOW + 300), Ok(()));
}

#[test]
fn expired_token_is_rejected_as_expired() {
    let (sk, vk, nonce) = setup();
    let t = ResetToken::sign(&sk, "TMB-1", nonce, NOW).unwrap();
    assert_eq!(
        t.verify(&vk, "TMB-1", &nonce, NOW + 1),
        Err(ResetTokenError::Expired)
    );
}

#[test]
fn token_for_another_lock_is_rejected_as_wrong_serial() {
    let (sk, vk, nonce) = setup();
    let t = ResetToken::sign(&sk, "TMB-2", nonce, NOW + 10).unwrap();
    assert_eq!(
        t.verify(&vk, "TMB-1", &nonce, NOW),
        Err(ResetTokenError::WrongSerial)
    );
}

#[test]
fn token_for_another_nonce_is_rejected_as_wrong_nonce() {
    let (sk, vk, nonce) = setup();
    let t = ResetToken::sign(&sk, "TMB-1", nonce, NOW + 10).unwrap();
    let fresh = ResetNonce::generate(&mut rng(42));
    assert_eq!(
        t.verify(&vk, "TMB-1", &fresh, NOW),
        Err(ResetTokenError::WrongNonce)
    );
}

#[test]
fn forged_or_altered_token_is_rejected_as_bad_signature() {
    let (sk, vk, nonce) = setup();
    // Signed by someone else's key.
    let forged = ResetToken::sign(&signing_key(43), "TMB-1", nonce, NOW + 10).unwrap();
    assert_eq!(
        forged.verify(&vk, "TMB-1", &nonce, NOW),
        Err(ResetTokenError::BadSignature)
    );
    // Each field altered after signing: the signature covers it.
    let t = ResetToken::sign(&sk, "TMB-1", nonce, NOW + 10).unwrap();
    let mut a = t.clone();
    a.expires_at += 1_000_000;
    assert_eq!(
        a.verify(&vk, "TMB-1", &nonce, NOW),
        Err(ResetTokenError::BadSignature)
    );
    let mut b = t.clone();
    b.serial = Serial::try_from("TMB-2").unwrap();
    assert_eq!(
        b.verify(&vk, "TMB-2", &nonce, NOW),
        Err(ResetTokenError::BadSignature)
    );
    let mut c = t.clone();
    c.nonce.0[0] ^= 1;
    assert_eq!(
        c.verify(&vk, "TMB-1", &c.nonce, NOW),
        Err(ResetTokenError::BadSignature)
    );
    let mut d = t;
    d.signature[10] ^= 1;
    assert_eq!(
        d.verify(&vk, "TMB-1", &nonce, NOW),
        Err(ResetTokenError::BadSignature)
    );
}

#[test]
fn too_long_serial_cannot_be_signed() {
    let (sk, _, nonce) = setup();
    let long = "X".repeat(SERIAL_MAX + 1);
    assert_eq!(
        ResetToken::sign(&sk, &long, nonce, NOW),
        Err(ResetTokenError::SerialTooLong)
    );
    assert!(ResetToken::sign(&sk, &"X".repeat(SERIAL_MAX), nonce, NOW).is_ok());
}

#[test]
fn token_survives_the_wire() {
    let (sk, vk, nonce) = setup();
    let t = ResetToken::sign(&sk, "TMB-1", nonce, NOW + 10).unwrap();
    let mut buf = [0u8; MAX_MESSAGE_LEN];
    let n = request(1, Command::ManufacturerReset(t))
        .encode(&mut buf)
        .unwrap();
    let Down::Request(Request {
        command: Command::ManufacturerReset(back),
        ..
    }) = Down::decode(&buf[..n]).unwrap()
    else {
        panic!()
    };
    assert_eq!(back.verify(&vk, "TMB-1", &nonce, NOW), Ok(()));
}
