//! Serde helper for `[u8; 64]` (Ed25519 signatures): serde only derives arrays up to 32.
//! Encoded as a byte string (postcard: length varint + bytes); a wrong length is an error.

use core::fmt;

use serde::de::{Error, SeqAccess, Visitor};
use serde::{Deserializer, Serializer};

/// Serialize as bytes.
pub fn serialize<S: Serializer>(value: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(value)
}

/// Deserialize from exactly 64 bytes.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = [u8; 64];
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("64 bytes")
        }
        fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<[u8; 64], E> {
            <[u8; 64]>::try_from(v).map_err(|_| E::invalid_length(v.len(), &self))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<[u8; 64], A::Error> {
            let mut out = [0u8; 64];
            for (i, slot) in out.iter_mut().enumerate() {
                *slot = seq
                    .next_element()?
                    .ok_or_else(|| A::Error::invalid_length(i, &self))?;
            }
            Ok(out)
        }
    }
    d.deserialize_bytes(V)
}
