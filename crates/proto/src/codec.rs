//! Encoding: one protocol-version byte, then the postcard encoding of the message.
//! Decoding never panics on arbitrary bytes (proptest in `tests/it/codec.rs`).

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Version of the message encoding (the first byte of every encoded message).
pub const PROTOCOL_VERSION: u8 = 1;

/// Largest encoded message (version byte included). Every message fits: capacities
/// are fixed (`heapless`), and the round-trip tests encode maximal messages.
pub const MAX_MESSAGE_LEN: usize = 1024;

/// Why bytes could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// No bytes at all.
    Empty,
    /// The version byte is not [`PROTOCOL_VERSION`] (a newer or older peer).
    UnsupportedVersion(u8),
    /// The body is not a valid message (truncated, bad variant, over capacity, bad UTF-8).
    Malformed,
    /// A valid message followed by extra bytes.
    TrailingBytes,
    /// Longer than [`MAX_MESSAGE_LEN`].
    TooLong,
}

/// Why a message could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is too small.
    BufferTooSmall,
    /// The serializer failed otherwise (should not happen for these types).
    LogicBug,
}

/// Encode `msg` into `out`; returns the number of bytes written.
pub fn encode<T: Serialize>(msg: &T, out: &mut [u8]) -> Result<usize, EncodeError> {
    let (first, rest) = out.split_first_mut().ok_or(EncodeError::BufferTooSmall)?;
    *first = PROTOCOL_VERSION;
    let used = postcard::to_slice(msg, rest).map_err(|e| match e {
        postcard::Error::SerializeBufferFull => EncodeError::BufferTooSmall,
        _ => EncodeError::LogicBug,
    })?;
    Ok(used.len().saturating_add(1))
}

/// Decode a message; any input gives a value or an error, never a panic.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    if bytes.len() > MAX_MESSAGE_LEN {
        return Err(DecodeError::TooLong);
    }
    let (version, body) = bytes.split_first().ok_or(DecodeError::Empty)?;
    if *version != PROTOCOL_VERSION {
        return Err(DecodeError::UnsupportedVersion(*version));
    }
    let (value, rest) = postcard::take_from_bytes::<T>(body).map_err(|_| DecodeError::Malformed)?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes);
    }
    Ok(value)
}
