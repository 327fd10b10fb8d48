//! PIN rules: what a lock accepts as a PIN ([`PinPolicy`]), why one is refused
//! ([`PinError`]), what counts as trivial, and generating a random PIN.

use rand_core::CryptoRng;
use tumbler_proto::{Capabilities, PinAlphabet};

use crate::ops::SecretPin;

/// What a lock accepts as a PIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinPolicy {
    /// Shortest.
    pub min_len: u8,
    /// Longest.
    pub max_len: u8,
    /// Allowed characters.
    pub alphabet: PinAlphabet,
    /// Refuse trivial PINs ([`is_trivial`]).
    pub refuse_trivial: bool,
}

/// Why a PIN is refused (never names the PIN).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    /// Shorter than the lock allows.
    #[error("at least {min} digits")]
    TooShort {
        /// Shortest allowed.
        min: u8,
    },
    /// Longer than the lock allows.
    #[error("at most {max} digits")]
    TooLong {
        /// Longest allowed.
        max: u8,
    },
    /// A character outside the lock's alphabet.
    #[error("digits only")]
    BadCharacter,
    /// Too easy to guess (repeated digit, run, 123456, repeated pair).
    #[error("too easy to guess (one digit repeated, a run like 1234, or a repeated pair)")]
    Trivial,
}

/// Whether a PIN is trivial: one digit repeated (`0000`), an ascending or
/// descending run (`1234`, `4321`), the default `123456`, or a repeated
/// pair (`1212`).
pub fn is_trivial(pin: &str) -> bool {
    let d: Vec<i16> = pin
        .bytes()
        .map(|b| i16::from(b) - i16::from(b'0'))
        .collect();
    if d.len() < 2 {
        return false;
    }
    let steps: Vec<i16> = d.iter().zip(d.iter().skip(1)).map(|(a, b)| b - a).collect();
    let same_step = |s: i16| steps.iter().all(|x| *x == s);
    if same_step(0) || same_step(1) || same_step(-1) {
        return true;
    }
    if pin == "123456" {
        return true;
    }
    // A pair repeated: 1212, 121212.
    d.len().is_multiple_of(2)
        && d.len() >= 4
        && d.chunks(2).all(|c| c == d.get(0..2).unwrap_or(&[]))
}

impl PinPolicy {
    /// The Tumbler lock's defaults: 4 to 12 digits, trivial PINs refused.
    pub const DEFAULT: PinPolicy = PinPolicy {
        min_len: 4,
        max_len: 12,
        alphabet: PinAlphabet::Digits,
        refuse_trivial: true,
    };

    /// The rules a lock reports.
    pub fn from_capabilities(c: &Capabilities) -> PinPolicy {
        PinPolicy {
            min_len: c.pin_min_len,
            max_len: c.pin_max_len,
            alphabet: c.pin_alphabet,
            refuse_trivial: c.trivial_pins.0 != 0,
        }
    }

    /// Checks a PIN against the rules.
    pub fn check(&self, pin: &str) -> Result<(), PinError> {
        let ok_char = |c: char| match self.alphabet {
            PinAlphabet::Digits => c.is_ascii_digit(),
            PinAlphabet::DigitsStarHash => c.is_ascii_digit() || c == '*' || c == '#',
        };
        if !pin.chars().all(ok_char) {
            return Err(PinError::BadCharacter);
        }
        if pin.len() < usize::from(self.min_len) {
            return Err(PinError::TooShort { min: self.min_len });
        }
        if pin.len() > usize::from(self.max_len) {
            return Err(PinError::TooLong { max: self.max_len });
        }
        if self.refuse_trivial && is_trivial(pin) {
            return Err(PinError::Trivial);
        }
        Ok(())
    }

    /// A random PIN of `len` digits (clamped into the allowed lengths),
    /// never trivial; digits drawn without bias.
    pub fn generate<R: CryptoRng>(&self, len: u8, rng: &mut R) -> SecretPin {
        let len = len.clamp(self.min_len.max(4), self.max_len.max(4));
        loop {
            let mut s = String::with_capacity(usize::from(len));
            while s.len() < usize::from(len) {
                // 250 = 25 × 10: reject 250..=255 so every digit is equally likely.
                let b = (rng.next_u32() & 0xff) as u8;
                if b < 250 {
                    s.push(char::from(b'0' + b % 10));
                }
            }
            if !is_trivial(&s) {
                return SecretPin::new(s);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct Seq(u64);
    impl rand_core::TryRng for Seq {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            Ok((self.0 >> 33) as u32)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(u64::from(self.try_next_u32()?) << 32 | u64::from(self.try_next_u32()?))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            for b in dst {
                *b = self.try_next_u32()? as u8;
            }
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for Seq {}

    #[test]
    fn trivial_pins() {
        for p in [
            "0000", "1111", "1234", "4321", "123456", "1212", "121212", "98765",
        ] {
            assert!(is_trivial(p), "{p}");
        }
        for p in ["4826", "482913", "1235", "1221", "2580"] {
            assert!(!is_trivial(p), "{p}");
        }
        let pol = PinPolicy::DEFAULT;
        assert_eq!(pol.check("12"), Err(PinError::TooShort { min: 4 }));
        assert_eq!(
            pol.check("1234567890123"),
            Err(PinError::TooLong { max: 12 })
        );
        assert_eq!(pol.check("12a4"), Err(PinError::BadCharacter));
        assert_eq!(pol.check("1234"), Err(PinError::Trivial));
        assert_eq!(pol.check("4826"), Ok(()));
        assert!(!format!("{}", PinError::Trivial).contains("1234 "));
    }

    #[test]
    fn pin_error_messages() {
        // The CLI and the hub show these words: pinned byte for byte.
        assert_eq!(
            PinError::TooShort { min: 4 }.to_string(),
            "at least 4 digits"
        );
        assert_eq!(
            PinError::TooLong { max: 12 }.to_string(),
            "at most 12 digits"
        );
        assert_eq!(PinError::BadCharacter.to_string(), "digits only");
        assert_eq!(
            PinError::Trivial.to_string(),
            "too easy to guess (one digit repeated, a run like 1234, or a repeated pair)"
        );
    }

    proptest! {
        #[test]
        fn generated_pins_pass(seed in any::<u64>(), len in 0u8..20) {
            let pol = PinPolicy::DEFAULT;
            let pin = pol.generate(len, &mut Seq(seed));
            prop_assert!(pol.check(pin.expose()).is_ok());
            prop_assert_eq!(pin.expose().len(), usize::from(len.clamp(4, 12)));
        }
    }
}
