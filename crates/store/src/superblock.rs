//! The factory partition: superblock (magic, format version, layout) + factory bytes + CRC.
//!
//! Written once by `Store::format`, never erased afterwards. See
//! `docs/design/flash-format.md` for the byte layout.

use crate::codec::{Reader, Writer};
use crate::layout::Layout;

/// `"TMBL"`: marks a provisioned Tumbler flash.
pub(crate) const MAGIC: [u8; 4] = *b"TMBL";
/// Current on-flash format version.
pub const FORMAT_VERSION: u16 = 1;
/// Bytes before the factory payload: magic 4, version 2, header length 2,
/// layout 8 x 4, payload length 4.
pub(crate) const HEADER_LEN: usize = 4 + 2 + 2 + 32 + 4;
/// CRC-32 (ISO-HDLC, the zlib/Ethernet one) trailing the payload.
pub(crate) const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// What reading the superblock found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decoded<'a> {
    /// All `0xFF` where the magic should be: never provisioned.
    Blank,
    /// Magic present, but the length or CRC is wrong.
    Corrupt,
    /// Magic and CRC fine but an unknown version.
    Version(u16),
    /// Valid superblock.
    Valid {
        /// Layout recorded at provisioning.
        layout: Layout,
        /// The factory payload.
        factory: &'a [u8],
    },
}

/// Encodes superblock + payload + CRC into `out`; returns the encoded
/// length, padded with `0xFF` to a multiple of `word`. `None` if it does not fit.
pub(crate) fn encode(
    layout: &Layout,
    factory: &[u8],
    word: usize,
    out: &mut [u8],
) -> Option<usize> {
    let mut w = Writer::new(out);
    w.bytes(&MAGIC)?;
    w.u16(FORMAT_VERSION)?;
    w.u16(HEADER_LEN as u16)?;
    for r in [&layout.factory, &layout.meta, &layout.state, &layout.log] {
        w.u32(r.start)?;
        w.u32(r.end)?;
    }
    w.u32(u32::try_from(factory.len()).ok()?)?;
    w.bytes(factory)?;
    let body_len = w.len();
    let crc = CRC.checksum(out.get(..body_len)?);
    let mut w = Writer::new(out.get_mut(body_len..)?);
    w.u32(crc)?;
    let mut len = body_len + 4;
    while word > 0 && !len.is_multiple_of(word) {
        *out.get_mut(len)? = 0xFF;
        len += 1;
    }
    Some(len)
}

/// Decodes a superblock from the start of the factory partition image.
pub(crate) fn decode(image: &[u8]) -> Decoded<'_> {
    let mut r = Reader::new(image);
    let Some(magic) = r.bytes(4) else {
        return Decoded::Corrupt;
    };
    if magic != MAGIC {
        return if magic.iter().all(|b| *b == 0xFF) {
            Decoded::Blank
        } else {
            Decoded::Corrupt
        };
    }
    let (Some(version), Some(header_len)) = (r.u16(), r.u16()) else {
        return Decoded::Corrupt;
    };
    if usize::from(header_len) != HEADER_LEN {
        return Decoded::Corrupt;
    }
    let mut ranges = [0u32; 8];
    for v in &mut ranges {
        match r.u32() {
            Some(x) => *v = x,
            None => return Decoded::Corrupt,
        }
    }
    let Some(len) = r.u32() else {
        return Decoded::Corrupt;
    };
    let Some(factory) = r.bytes(len as usize) else {
        return Decoded::Corrupt;
    };
    let Some(stored_crc) = r.u32() else {
        return Decoded::Corrupt;
    };
    let Some(body) = image.get(..HEADER_LEN + len as usize) else {
        return Decoded::Corrupt;
    };
    if CRC.checksum(body) != stored_crc {
        return Decoded::Corrupt;
    }
    if version != FORMAT_VERSION {
        return Decoded::Version(version);
    }
    let [fs, fe, ms, me, ss, se, ls, le] = ranges;
    Decoded::Valid {
        layout: Layout {
            factory: fs..fe,
            meta: ms..me,
            state: ss..se,
            log: ls..le,
        },
        factory,
    }
}
