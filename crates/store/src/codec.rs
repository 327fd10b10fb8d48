//! Bounds-checked little-endian byte reader and writer used by every on-flash record.
//!
//! Nothing here panics: a short buffer is reported as `None` and the caller
//! turns it into its own error (corruption when decoding, a logic bug when
//! encoding into a buffer it sized itself).

/// Writes little-endian fields into a caller-provided buffer.
pub(crate) struct Writer<'a> {
    /// Destination buffer.
    buf: &'a mut [u8],
    /// Number of bytes written so far; always `<= buf.len()`.
    pos: usize,
}

impl<'a> Writer<'a> {
    /// Starts writing at the beginning of `buf`.
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Appends raw bytes; `None` if they do not fit.
    pub(crate) fn bytes(&mut self, data: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(data.len())?;
        self.buf.get_mut(self.pos..end)?.copy_from_slice(data);
        self.pos = end;
        Some(())
    }

    /// Appends one byte.
    pub(crate) fn u8(&mut self, v: u8) -> Option<()> {
        self.bytes(&[v])
    }

    /// Appends a little-endian `u16`.
    pub(crate) fn u16(&mut self, v: u16) -> Option<()> {
        self.bytes(&v.to_le_bytes())
    }

    /// Appends a little-endian `u32`.
    pub(crate) fn u32(&mut self, v: u32) -> Option<()> {
        self.bytes(&v.to_le_bytes())
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.pos
    }
}

/// Reads little-endian fields from a byte slice.
pub(crate) struct Reader<'a> {
    /// Remaining input.
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { rest: buf }
    }

    /// Takes `n` raw bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    /// Takes one byte.
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.bytes(1)?.first().copied()
    }

    /// Takes a little-endian `u16`.
    pub(crate) fn u16(&mut self) -> Option<u16> {
        let b = self.bytes(2)?;
        Some(u16::from_le_bytes(b.try_into().ok()?))
    }

    /// Takes a little-endian `u32`.
    pub(crate) fn u32(&mut self) -> Option<u32> {
        let b = self.bytes(4)?;
        Some(u32::from_le_bytes(b.try_into().ok()?))
    }

    /// Everything not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// True when all input has been consumed.
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}
