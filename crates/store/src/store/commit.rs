//! Group commits: one effective op written directly, several through the redo
//! journal (inline or chunked), with the room check that refuses a group before
//! anything is written.

use super::*;

/// How a commit records its group before applying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// One effective op: written directly, no journal.
    Direct,
    /// The whole group in the journal item.
    Inline,
    /// The group in this many chunk items, named by the journal item.
    Chunked(u16),
}

impl<F: NorFlash> Store<F> {
    /// Commits `ops` as one atomic group: after a power cut at any point,
    /// the next mount shows either none or all of them.
    ///
    /// One effective op is written directly (a sequential-storage item is
    /// atomic on its own). Several are written as a journal item holding the
    /// whole group, then applied item by item, then the journal is cleared;
    /// mount replays a journal that is still present. A group too big for one
    /// item ([`Store::max_group_bytes`]) is written as up to 255 chunk items
    /// first, and the journal item that names them is the commit point.
    /// Later ops in `ops` win over earlier ones on the same key.
    pub fn commit(&mut self, ops: &[ItemOp<'_>]) -> Result<(), CommitError<F::Error>> {
        block_on(self.commit_async(ops))
    }

    /// Async body of [`Store::commit`].
    async fn commit_async(&mut self, ops: &[ItemOp<'_>]) -> Result<(), CommitError<F::Error>> {
        if self.poisoned {
            return Err(CommitError::Poisoned);
        }
        // Validate everything before writing anything.
        let max_value = Self::max_value_len();
        let mut new_keys = 0usize;
        // Change in live bytes: the final version of each touched key
        // replaces its old version (deleted keys keep a small tombstone).
        let mut added = 0usize;
        let mut removed = 0usize;
        for (i, op) in ops.iter().enumerate() {
            let key = op.key();
            if key > MAX_ITEM_KEY {
                return Err(CommitError::ReservedKey(key));
            }
            if let ItemOp::Put(_, v) = op {
                if v.len() > max_value {
                    return Err(CommitError::ValueTooLarge(key));
                }
            }
            if ops.iter().skip(i + 1).any(|o| o.key() == key) {
                continue; // a later op on the same key decides its final value
            }
            match self.index.get(key) {
                None => new_keys += 1,
                Some(e) => removed += item_cost::<F>(entry_len(e.len)),
            }
            added += item_cost::<F>(match op {
                ItemOp::Put(_, v) => v.len(),
                ItemOp::Delete(_) => 0,
            });
        }
        if self.index.entries().len() + new_keys > MAX_ITEMS {
            return Err(CommitError::TooManyItems);
        }
        // A delete of an absent key alone changes nothing: write nothing.
        let effective: usize = ops
            .iter()
            .filter(|op| match op {
                ItemOp::Put(..) => true,
                ItemOp::Delete(k) => ops.len() > 1 || self.contains(*k),
            })
            .count();
        if effective == 0 {
            return Ok(());
        }
        let max_group = Self::max_group_bytes();
        let (plan, journal_cost) = if effective <= 1 {
            (Plan::Direct, 0)
        } else if records::journal_len(ops) <= max_group {
            (
                Plan::Inline,
                item_cost::<F>(records::journal_len(ops)) + item_cost::<F>(0),
            )
        } else {
            let (mut chunks, mut cost, mut start) = (0u16, 0usize, 0usize);
            while start < ops.len() {
                let end =
                    records::next_chunk(ops, start, max_group).ok_or(CommitError::GroupTooLarge)?;
                let sub = ops.get(start..end).ok_or(CommitError::LogicBug)?;
                cost += item_cost::<F>(records::journal_len(sub)) + item_cost::<F>(0);
                chunks += 1;
                start = end;
            }
            if chunks > MAX_CHUNKS {
                return Err(CommitError::GroupTooLarge);
            }
            (Plan::Chunked(chunks), cost + 2 * item_cost::<F>(3))
        };
        if !self.has_room(added, removed, journal_cost) {
            return Err(CommitError::Full);
        }
        let l = self.layout.clone();
        let r = async {
            match plan {
                Plan::Direct => {}
                Plan::Inline => {
                    let n = records::encode_journal(ops, &mut self.aux.0).ok_or(Low::Bug)?;
                    let j = self.aux.0.get(..n).ok_or(Low::Bug)?;
                    state_put(
                        &mut self.flash,
                        &l.state,
                        &mut self.buf.0,
                        JOURNAL_KEY,
                        Some(j),
                    )
                    .await?;
                }
                Plan::Chunked(chunks) => {
                    // Chunks first; the journal item naming them is the commit point.
                    let mut start = 0usize;
                    for c in 0..chunks {
                        let end = records::next_chunk(ops, start, max_group).ok_or(Low::Bug)?;
                        let sub = ops.get(start..end).ok_or(Low::Bug)?;
                        let n = records::encode_journal(sub, &mut self.aux.0).ok_or(Low::Bug)?;
                        let j = self.aux.0.get(..n).ok_or(Low::Bug)?;
                        let key = CHUNK_BASE + u32::from(c);
                        state_put(&mut self.flash, &l.state, &mut self.buf.0, key, Some(j)).await?;
                        start = end;
                    }
                    let [lo, hi] = chunks.to_le_bytes();
                    let head = [JOURNAL_CHUNKED, lo, hi];
                    state_put(
                        &mut self.flash,
                        &l.state,
                        &mut self.buf.0,
                        JOURNAL_KEY,
                        Some(&head),
                    )
                    .await?;
                }
            }
            for op in ops {
                let (key, value) = match op {
                    ItemOp::Put(k, v) => (*k, Some(*v)),
                    ItemOp::Delete(k) => (*k, None),
                };
                if effective == 1 && value.is_none() && !self.contains(key) {
                    continue;
                }
                state_put(&mut self.flash, &l.state, &mut self.buf.0, key, value).await?;
                let len = match value {
                    Some(v) => u16::try_from(v.len()).map_err(|_| Low::Bug)?,
                    None => TOMBSTONE,
                };
                if !self.index.set(key, len, 0) {
                    return Err(Low::Bug);
                }
            }
            if plan != Plan::Direct {
                state_put(
                    &mut self.flash,
                    &l.state,
                    &mut self.buf.0,
                    JOURNAL_KEY,
                    None,
                )
                .await?;
            }
            if let Plan::Chunked(chunks) = plan {
                // Clean-up only: a cut here leaves garbage chunks that the
                // next mount deletes.
                for c in 0..chunks {
                    let key = CHUNK_BASE + u32::from(c);
                    state_put(&mut self.flash, &l.state, &mut self.buf.0, key, None).await?;
                }
            }
            Ok(())
        }
        .await;
        r.map_err(|e| {
            self.poisoned = true;
            match e {
                Low::Flash(e) => CommitError::Flash(e),
                Low::Full => CommitError::Full,
                Low::Corrupt => CommitError::Corrupt,
                Low::Bug => CommitError::LogicBug,
            }
        })
    }

    /// Conservative capacity check for a commit that adds `added` and frees
    /// `removed` bytes of live items, with `journal` bytes of journal items.
    ///
    /// sequential-storage keeps one page free for garbage collection and
    /// wastes the tail of a page when the next item does not fit, so only
    /// `(pages - 2)` pages, three quarters full, count as usable.
    fn has_room(&self, added: usize, removed: usize, journal: usize) -> bool {
        let page = F::ERASE_SIZE;
        let pages = ((self.layout.state.end - self.layout.state.start) as usize) / page.max(1);
        let usable = pages.saturating_sub(2) * page.saturating_sub(2 * F::WRITE_SIZE) * 3 / 4;
        let live: usize = self
            .index
            .entries()
            .iter()
            .map(|e| item_cost::<F>(entry_len(e.len)))
            .sum();
        let journal = journal.max(item_cost::<F>(0));
        (live + added).saturating_sub(removed) + journal <= usable
    }
}
