//! The Standard Webhooks signature (standardwebhooks.com): headers
//! `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
//! = `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), where the
//! secret is shown as `whsec_` + base64(key). HMAC and SHA-256 come from
//! RustCrypto (`hmac`, `sha2`), base64 from `base64`; nothing here is a
//! primitive of our own.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use zeroize::Zeroizing;

/// Bytes of a generated signing key (the spec allows 24..=64).
pub const KEY_LEN: usize = 32;

/// The prefix of a secret as shown to a user.
pub const SECRET_PREFIX: &str = "whsec_";

/// A signing key as shown once to the user: `whsec_` + base64.
pub fn show(key: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The key inside a shown secret (`whsec_` optional), if it decodes.
pub fn parse(secret: &str) -> Option<Zeroizing<Vec<u8>>> {
    let b64 = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    STANDARD.decode(b64).ok().map(Zeroizing::new)
}

/// The `webhook-signature` header value for one message.
pub fn signature(key: &[u8], msg_id: &str, timestamp_s: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp_s.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Whether `header` (space-separated `v1,…` signatures) holds the right
/// signature for the message; compared in constant time. For receivers
/// and tests.
pub fn verify(key: &[u8], msg_id: &str, timestamp_s: i64, body: &[u8], header: &str) -> bool {
    use subtle::ConstantTimeEq;
    let want = signature(key, msg_id, timestamp_s, body);
    header
        .split(' ')
        .any(|s| bool::from(s.as_bytes().ct_eq(want.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks reference libraries.
    #[test]
    fn matches_the_reference_vector() {
        let key = parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        let sig = signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(verify(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            body,
            &format!("v1,bogus {sig}")
        ));
        assert!(!verify(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_331,
            body,
            &sig
        ));
        assert_eq!(show(&key), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    }
}
