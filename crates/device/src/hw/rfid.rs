//! The RFID reader: a card is presented, the reader reports its UID.

/// A card UID is 4, 7 or 10 bytes (ISO 14443-A); the reader accepts 1..=16 bytes.
pub const MAX_UID: usize = 16;

/// Why a card could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CardError {
    /// The UID text was not hexadecimal (pairs of 0-9a-f, `:` separators allowed).
    #[error("a card UID is hexadecimal, e.g. 04a1b2c3 or 04:a1:b2:c3")]
    NotHex,
    /// The UID was empty or longer than [`MAX_UID`] bytes.
    #[error("a card UID has 1 to {max} bytes, not {0}", max = MAX_UID)]
    BadLength(usize),
}

/// A card's UID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CardUid(pub Vec<u8>);

impl CardUid {
    /// Parses `04a1b2c3` or `04:A1:B2:C3`.
    pub fn parse(text: &str) -> Result<Self, CardError> {
        let hex: String = text.chars().filter(|c| *c != ':').collect();
        if !hex.len().is_multiple_of(2) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(CardError::NotHex);
        }
        let bytes: Vec<u8> = hex
            .as_bytes()
            .chunks(2)
            .filter_map(|p| std::str::from_utf8(p).ok())
            .filter_map(|p| u8::from_str_radix(p, 16).ok())
            .collect();
        if bytes.is_empty() || bytes.len() > MAX_UID {
            return Err(CardError::BadLength(bytes.len()));
        }
        Ok(Self(bytes))
    }
}

impl std::fmt::Display for CardUid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// The reader model: it counts reads (each costs battery) and remembers the last card.
#[derive(Debug, Clone, Default)]
pub struct RfidReader {
    /// The last card presented.
    last: Option<CardUid>,
    /// Cards read since power-up.
    reads: u32,
}

impl RfidReader {
    /// Presents `card` to the reader; returns the UID the reader reports.
    pub fn present(&mut self, card: CardUid) -> CardUid {
        self.reads = self.reads.saturating_add(1);
        self.last = Some(card.clone());
        card
    }

    /// Cards read since power-up.
    pub fn reads(&self) -> u32 {
        self.reads
    }
}
