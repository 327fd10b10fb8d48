//! Where the four regions of a lock's flash live, and the checks that make a layout usable.

use core::ops::Range;

/// Byte ranges of the four regions inside one flash device.
///
/// Every range must start and end on an erase-page boundary, the ranges must
/// not overlap, and all must lie inside the flash. Minimum sizes: factory 1
/// page, meta 2 pages, state 3 pages, log 2 pages (sequential-storage needs a
/// spare page to move live data out of the page it erases, and the log ring
/// must never erase the page holding its newest record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Factory partition (written once by [`crate::Store::format`], never erased
    /// afterwards). Also holds the format superblock (magic, version, layout).
    pub factory: Range<u32>,
    /// Meta region: the reset counter and a pending factory-reset intent.
    /// Survives factory resets.
    pub meta: Range<u32>,
    /// State region: the lock's items (a sequential-storage map).
    pub state: Range<u32>,
    /// Log region: the audit ring (a sequential-storage queue).
    pub log: Range<u32>,
}

/// Why a [`Layout`] cannot be used with a given flash.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutError {
    /// A region does not start or end on an erase-page boundary.
    Unaligned,
    /// A region is smaller than its minimum (see [`Layout`]).
    TooSmall,
    /// Two regions overlap.
    Overlap,
    /// A region reaches past the end of the flash.
    OutOfBounds,
}

impl Layout {
    /// The standard layout for 4 KiB pages, regions laid out back to back
    /// from address 0: factory 4 KiB, meta 8 KiB, state 96 KiB, log 64 KiB
    /// (172 KiB in all, see [`Layout::standard_size`]).
    #[must_use]
    pub const fn standard() -> Self {
        Self::contiguous(4096, 1, 2, 24, 16)
    }

    /// Flash size needed by [`Layout::standard`].
    #[must_use]
    pub const fn standard_size() -> u32 {
        43 * 4096
    }

    /// Regions back to back from address 0, sizes given in pages of `page` bytes.
    #[must_use]
    pub const fn contiguous(
        page: u32,
        factory_pages: u32,
        meta_pages: u32,
        state_pages: u32,
        log_pages: u32,
    ) -> Self {
        let f_end = factory_pages * page;
        let m_end = f_end + meta_pages * page;
        let s_end = m_end + state_pages * page;
        let l_end = s_end + log_pages * page;
        Self {
            factory: 0..f_end,
            meta: f_end..m_end,
            state: m_end..s_end,
            log: s_end..l_end,
        }
    }

    /// One past the highest address any region uses.
    #[must_use]
    pub fn end(&self) -> u32 {
        self.factory
            .end
            .max(self.meta.end)
            .max(self.state.end)
            .max(self.log.end)
    }

    /// Checks the layout against a flash of `capacity` bytes and `page`-byte erase pages.
    pub fn validate(&self, page: u32, capacity: u32) -> Result<(), LayoutError> {
        let regions = [
            (&self.factory, 1u32),
            (&self.meta, 2),
            (&self.state, 3),
            (&self.log, 2),
        ];
        if page == 0 {
            return Err(LayoutError::Unaligned);
        }
        for (r, min_pages) in regions {
            if r.start % page != 0 || r.end % page != 0 {
                return Err(LayoutError::Unaligned);
            }
            if r.end < r.start || (r.end - r.start) / page < min_pages {
                return Err(LayoutError::TooSmall);
            }
            if r.end > capacity {
                return Err(LayoutError::OutOfBounds);
            }
        }
        for (i, (a, _)) in regions.iter().enumerate() {
            for (b, _) in regions.iter().skip(i + 1) {
                if a.start < b.end && b.start < a.end {
                    return Err(LayoutError::Overlap);
                }
            }
        }
        Ok(())
    }
}
