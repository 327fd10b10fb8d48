//! Hotel key cards for `card @PATH`: the card image stored in a file (binary, as the hub
//! writes it, or hex text), checked for size, and the UID the simulated card reports.
//!
//! Reading the file is the only I/O here ([`read`]); turning its bytes into an image
//! ([`image`]) and choosing the UID ([`uid`]) are pure. Nothing is verified here: the lock
//! checks the signature (a forged or foreign card is refused at the door, not at the reader).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::hw::rfid::CardUid;

/// Largest card image (`tumbler_card::MAX_CARD`, what the lock's reader accepts).
pub const MAX_IMAGE: usize = tumbler_card::MAX_CARD;

/// Largest card file read: the image as hex text with room for line breaks. A larger file
/// is not a card and is not read whole.
pub const MAX_FILE: u64 = 4 * MAX_IMAGE as u64;

/// The first bytes of a UID derived from a card number: NXP's manufacturer byte (0x04, as on
/// MIFARE cards) and `HC` (hotel card), then the number big-endian — 7 bytes, a double-size
/// ISO 14443-A UID. Never a UID typed with `card <uid>` unless someone types it on purpose.
const UID_PREFIX: [u8; 3] = [0x04, b'H', b'C'];

/// Why a card file cannot be presented (nothing is presented, nothing changes).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CardFileError {
    /// The file could not be opened or read.
    #[error("cannot read card file {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The reason.
        error: std::io::Error,
    },
    /// The file is empty.
    #[error("card file {} is empty", .0.display())]
    Empty(PathBuf),
    /// The file or the image it holds is larger than a card.
    #[error(
        "card file {} is too big for a card: {bytes} bytes (a card image has at most {max})",
        path.display(),
        max = MAX_IMAGE
    )]
    TooBig {
        /// The file.
        path: PathBuf,
        /// The file's size, or the image's once hex is decoded (at least this many).
        bytes: u64,
    },
}

/// Reads the card image stored in `path`: [`image`] of the file's bytes.
pub fn read(path: &Path) -> Result<Vec<u8>, CardFileError> {
    let read_err = |error| CardFileError::Read {
        path: path.to_path_buf(),
        error,
    };
    let too_big = |bytes| CardFileError::TooBig {
        path: path.to_path_buf(),
        bytes,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let size = file.metadata().map_err(read_err)?.len();
    if size > MAX_FILE {
        return Err(too_big(size));
    }
    let mut bytes = Vec::new();
    // Bounded even if the file grew since: a card file is never read whole past MAX_FILE.
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    image(&bytes).map_err(|e| match e {
        ImageError::Empty => CardFileError::Empty(path.to_path_buf()),
        ImageError::TooBig(bytes) => too_big(bytes),
    })
}

/// Why file content is not a card image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageError {
    /// No bytes (or only white space).
    Empty,
    /// More than [`MAX_IMAGE`] bytes (at least this many).
    TooBig(u64),
}

/// The card image in a file's `content`: hex text (digits and white space only, an even
/// number of digits) is decoded, anything else is the image itself. A sealed card is never
/// all hex digits in practice: its 64-byte signature is random.
pub fn image(content: &[u8]) -> Result<Vec<u8>, ImageError> {
    let too_big = |n: usize| ImageError::TooBig(u64::try_from(n).unwrap_or(u64::MAX));
    let digits: Vec<u8> = content
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if digits.is_empty() {
        return Err(ImageError::Empty);
    }
    let is_hex = digits.len().is_multiple_of(2) && digits.iter().all(u8::is_ascii_hexdigit);
    let image = match is_hex.then(|| hex::decode(&digits).ok()).flatten() {
        Some(decoded) => decoded,
        None => content.to_vec(),
    };
    if image.len() > MAX_IMAGE {
        return Err(too_big(image.len()));
    }
    Ok(image)
}

/// The UID the simulated card reports: derived from the card number its body states
/// (read without checking the signature, as a reader reports a UID before any check), or
/// from number 0 if the image is not a card's.
pub fn uid(image: &[u8]) -> CardUid {
    let number = number(image).unwrap_or(0);
    let mut v = UID_PREFIX.to_vec();
    v.extend_from_slice(&number.to_be_bytes());
    CardUid(v)
}

/// The card number in a sealed image (`[body length][body][signature]`, as
/// `tumbler_card::seal` lays it out), unverified.
fn number(image: &[u8]) -> Option<u32> {
    let (&len, rest) = image.split_first()?;
    let body = rest.get(..usize::from(len))?;
    postcard::from_bytes::<tumbler_card::CardBody>(body)
        .ok()
        .map(|b| b.number)
}
