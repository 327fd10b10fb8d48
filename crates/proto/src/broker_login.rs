//! Broker logins without a table: every lock's MQTT password is derived from
//! one broker secret the hub holds, so the hub (or its built-in broker) checks
//! a login by recomputing it and `tumbler broker-login` can print the line an
//! external broker's password file needs.
//!
//! - a lock logs in as its serial, password `hex(HMAC-SHA256(secret, "tumbler broker v1 lock:" ‖ serial))`;
//! - the hub logs in as [`HUB_USERNAME`], password `hex(HMAC-SHA256(secret, "tumbler broker v1 hub"))`.
//!
//! A leaked lock password opens that lock's topics only (the broker's ACL);
//! it says nothing about the secret or about other locks' passwords.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The MQTT username of the hub.
pub const HUB_USERNAME: &str = "tumbler-hub";

/// Length of a derived password: 64 lowercase hex digits.
pub const PASSWORD_LEN: usize = 64;

/// A derived password as hex text (64 ASCII bytes).
pub type Password = [u8; PASSWORD_LEN];

fn derive(secret: &[u8; 32], label: &[u8], name: &[u8]) -> Password {
    // HMAC accepts keys of any length: this cannot fail.
    let mut m = match <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return [b'0'; PASSWORD_LEN],
    };
    m.update(label);
    m.update(name);
    let tag: [u8; 32] = m.finalize().into_bytes().into();
    let hex = |n: u8| if n < 10 { b'0' + n } else { b'a' + (n - 10) };
    let mut out = [0u8; PASSWORD_LEN];
    for (pair, b) in out.chunks_exact_mut(2).zip(tag) {
        if let [hi, lo] = pair {
            *hi = hex(b >> 4);
            *lo = hex(b & 0x0f);
        }
    }
    out
}

/// The broker password of the lock with `serial`.
pub fn lock_password(secret: &[u8; 32], serial: &str) -> Password {
    derive(secret, b"tumbler broker v1 lock:", serial.as_bytes())
}

/// The broker password of the hub.
pub fn hub_password(secret: &[u8; 32]) -> Password {
    derive(secret, b"tumbler broker v1 hub", b"")
}

/// A serial as the hub accepts it: 1..=64 of `[A-Za-z0-9_-]` (a topic
/// segment, and safe in a Mosquitto `%u` pattern).
fn is_serial(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// Whether `username`/`password` is a login this secret issued: the hub's,
/// or a lock's whose username is a valid serial. Constant time in the password.
pub fn check(secret: &[u8; 32], username: &str, password: &[u8]) -> bool {
    let want = if username == HUB_USERNAME {
        hub_password(secret)
    } else if is_serial(username) {
        lock_password(secret, username)
    } else {
        return false;
    };
    bool::from(want.as_slice().ct_eq(password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_password_opens_only_its_own_username() {
        let s = [7u8; 32];
        let p = lock_password(&s, "TMB-000001");
        assert!(check(&s, "TMB-000001", &p));
        assert!(!check(&s, "TMB-000002", &p));
        assert!(!check(&s, HUB_USERNAME, &p));
        assert!(!check(&[8u8; 32], "TMB-000001", &p));
        assert!(check(&s, HUB_USERNAME, &hub_password(&s)));
        assert!(!check(&s, "TMB-000001", b""));
    }
}
