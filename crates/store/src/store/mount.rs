//! Mount, format and recovery: reading the superblock, finishing an interrupted
//! factory reset, replaying a commit journal left by a power cut, rebuilding the
//! item index.

use super::*;

impl<F: NorFlash> Store<F> {
    /// An unmounted store value; fields are filled by `mount_inner`.
    fn blank(flash: F, layout: Layout) -> Self {
        Self {
            flash,
            layout,
            factory: [0; MAX_FACTORY_BYTES],
            factory_len: 0,
            reset_counter: 0,
            recoveries: 0,
            recovery_reason: [0; records::MAX_RECOVERY_REASON],
            recovery_reason_len: 0,
            log: LogState::EMPTY,
            index: Index::new(),
            buf: Buf([0; BUF_LEN]),
            aux: Buf([0; BUF_LEN]),
            poisoned: false,
        }
    }

    /// Provisions a device: erases every region, writes an empty meta record,
    /// then the superblock with `factory` (the commit point: a cut before it
    /// leaves the flash "not formatted"), and mounts the result.
    pub fn format(flash: F, layout: Layout, factory: &[u8]) -> Result<Self, FormatError<F::Error>> {
        block_on(Self::format_async(flash, layout, factory))
    }

    /// Async body of [`Store::format`].
    async fn format_async(
        flash: F,
        layout: Layout,
        factory: &[u8],
    ) -> Result<Self, FormatError<F::Error>> {
        layout
            .validate(F::ERASE_SIZE as u32, flash.capacity() as u32)
            .map_err(FormatError::BadLayout)?;
        if factory.len() > MAX_FACTORY_BYTES {
            return Err(FormatError::FactoryTooLarge);
        }
        let mut store = Self::blank(flash, layout);
        let l = store.layout.clone();
        let flash_err = |e: Low<F::Error>| match e {
            Low::Flash(e) => FormatError::Flash(e),
            _ => FormatError::LogicBug,
        };
        let sb_len = superblock::encode(&l, factory, F::WRITE_SIZE, &mut store.aux.0)
            .ok_or(FormatError::FactoryTooLarge)?;
        if sb_len > (l.factory.end - l.factory.start) as usize {
            return Err(FormatError::FactoryTooLarge);
        }
        for r in [&l.factory, &l.meta, &l.state, &l.log] {
            store
                .flash
                .erase(r.start, r.end)
                .await
                .map_err(FormatError::Flash)?;
        }
        let n = records::encode_meta(
            &Meta {
                reset_counter: 0,
                intent: None,
            },
            &mut store.buf.0,
        )
        .ok_or(FormatError::LogicBug)?;
        {
            let (enc, scratch) = store.buf.0.split_at_mut(n);
            meta_put(&mut store.flash, &l.meta, scratch, META_KEY, enc)
                .await
                .map_err(flash_err)?;
        }
        let sb = store.aux.0.get(..sb_len).ok_or(FormatError::LogicBug)?;
        store
            .flash
            .write(l.factory.start, sb)
            .await
            .map_err(FormatError::Flash)?;
        store.mount_inner().await.map_err(|e| match e {
            MountError::Flash(e) => FormatError::Flash(e),
            _ => FormatError::LogicBug,
        })?;
        Ok(store)
    }

    /// Boots from flash: checks the superblock, finishes an interrupted
    /// factory reset or group commit, rebuilds the key index and the ring's
    /// bookkeeping. Never panics or hangs on any image; an unreadable image
    /// gives a [`MountError`] naming its recovery path.
    pub fn mount(flash: F, layout: Layout) -> Result<(Self, MountReport), MountError<F::Error>> {
        let mut store = Self::blank(flash, layout);
        let report = block_on(store.mount_inner())?;
        Ok((store, report))
    }

    /// Recovery path for [`MountError::StateLost`]: keeps the factory
    /// partition (and the reset counter if the meta region is readable),
    /// then performs a factory reset writing `reset_record` as the first log
    /// record. Fails if the factory partition itself is bad.
    pub fn recover(
        flash: F,
        layout: Layout,
        reset_record: &[u8],
    ) -> Result<(Self, MountReport), MountError<F::Error>> {
        let mut store = Self::blank(flash, layout);
        let report = block_on(store.recover_inner(reset_record))?;
        Ok((store, report))
    }

    /// Async body of [`Store::recover`].
    async fn recover_inner(
        &mut self,
        reset_record: &[u8],
    ) -> Result<MountReport, MountError<F::Error>> {
        let l = self.layout.clone();
        if reset_record.len() > MAX_RESET_RECORD
            || reset_record.len() + LOG_HEADER_LEN > max_item_data::<F>()
        {
            return Err(MountError::LogicBug);
        }
        self.factory_len =
            read_superblock(&mut self.flash, &l, &mut self.buf.0, &mut self.factory).await?;
        let counter = match meta_get(&mut self.flash, &l.meta, &mut self.buf.0, META_KEY).await {
            Ok(Some(bytes)) => records::decode_meta(bytes).map(|m| m.reset_counter),
            Ok(None) | Err(Low::Corrupt) | Err(Low::Full) => None,
            Err(Low::Flash(e)) => return Err(MountError::Flash(e)),
            Err(Low::Bug) => return Err(MountError::LogicBug),
        };
        // Count the recovery first: a cut before the reset's intent is written recovers (and
        // counts) again at the next boot — counted twice rather than never.
        let recovered = match counter {
            Some(_) => match meta_get(
                &mut self.flash,
                &l.meta,
                &mut self.buf.0,
                records::RECOVERY_KEY,
            )
            .await
            {
                Ok(Some(bytes)) => records::decode_recovery(bytes).map_or(0, |(n, _)| n),
                Ok(None) | Err(Low::Corrupt) | Err(Low::Full) => 0,
                Err(Low::Flash(e)) => return Err(MountError::Flash(e)),
                Err(Low::Bug) => return Err(MountError::LogicBug),
            },
            None => 0,
        };
        let counter = match counter {
            Some(c) => c,
            None => {
                self.flash
                    .erase(l.meta.start, l.meta.end)
                    .await
                    .map_err(MountError::Flash)?;
                0
            }
        };
        // The fresh log continues above every number the old one handed out, as far as any
        // of it is readable — and above a reset that was itself interrupted.
        let pending_reset =
            match meta_get(&mut self.flash, &l.meta, &mut self.buf.0, META_KEY).await {
                Ok(Some(bytes)) => records::decode_meta(bytes)
                    .and_then(|m| m.intent)
                    .map_or(0, |i| i.first_seq.saturating_add(1)),
                Ok(None) | Err(Low::Corrupt) | Err(Low::Full) => 0,
                Err(Low::Flash(e)) => return Err(MountError::Flash(e)),
                Err(Low::Bug) => return Err(MountError::LogicBug),
            };
        let first_seq = match scan_log(&mut self.flash, &l.log, &mut self.buf.0).await {
            Ok(st) => st.status.next_seq,
            Err(Low::Flash(e)) => return Err(MountError::Flash(e)),
            Err(_) => log_high_water(&mut self.flash, &l.log, &mut self.buf.0)
                .await
                .map_err(mount_err(Region::Log))?,
        }
        .max(pending_reset);
        let n =
            records::encode_recovery(recovered.saturating_add(1), reset_record, &mut self.aux.0)
                .ok_or(MountError::LogicBug)?;
        let enc = self.aux.0.get(..n).ok_or(MountError::LogicBug)?;
        meta_put(
            &mut self.flash,
            &l.meta,
            &mut self.buf.0,
            records::RECOVERY_KEY,
            enc,
        )
        .await
        .map_err(mount_err(Region::Meta))?;
        let meta = Meta {
            reset_counter: counter.saturating_add(1),
            intent: Some(Intent {
                first_seq,
                record: reset_record,
            }),
        };
        let n = records::encode_meta(&meta, &mut self.aux.0).ok_or(MountError::LogicBug)?;
        let enc = self.aux.0.get(..n).ok_or(MountError::LogicBug)?;
        meta_put(&mut self.flash, &l.meta, &mut self.buf.0, META_KEY, enc)
            .await
            .map_err(mount_err(Region::Meta))?;
        let mut report = self.mount_inner().await?;
        report.outcome = MountOutcome::Recovered;
        Ok(report)
    }

    /// Async body of [`Store::mount`].
    async fn mount_inner(&mut self) -> Result<MountReport, MountError<F::Error>> {
        let l = self.layout.clone();
        self.poisoned = false;
        self.factory_len =
            read_superblock(&mut self.flash, &l, &mut self.buf.0, &mut self.factory).await?;

        // 1. Meta: reset counter and a possibly pending factory reset.
        let meta_bytes = meta_get(&mut self.flash, &l.meta, &mut self.aux.0, META_KEY)
            .await
            .map_err(mount_err(Region::Meta))?
            .ok_or(MountError::StateLost {
                region: Region::Meta,
            })?;
        let meta = records::decode_meta(meta_bytes).ok_or(MountError::StateLost {
            region: Region::Meta,
        })?;
        self.reset_counter = meta.reset_counter;
        match meta_get(
            &mut self.flash,
            &l.meta,
            &mut self.buf.0,
            records::RECOVERY_KEY,
        )
        .await
        .map_err(mount_err(Region::Meta))?
        .and_then(records::decode_recovery)
        {
            Some((n, reason)) => {
                self.recoveries = n;
                self.recovery_reason_len = reason.len().min(self.recovery_reason.len());
                if let (Some(dst), Some(src)) = (
                    self.recovery_reason.get_mut(..self.recovery_reason_len),
                    reason.get(..self.recovery_reason_len),
                ) {
                    dst.copy_from_slice(src);
                }
            }
            None => {
                self.recoveries = 0;
                self.recovery_reason_len = 0;
            }
        }
        let mut outcome = None;
        if let Some(intent) = meta.intent {
            finish_reset(
                &mut self.flash,
                &l,
                &mut self.buf.0,
                meta.reset_counter,
                intent,
            )
            .await
            .map_err(mount_err(Region::Meta))?;
            outcome = Some(MountOutcome::ResumedFactoryReset);
        }

        // 2. State: replay a pending journal, then index every key.
        let pending = {
            let mut map = state_map(&mut self.flash, &l.state).map_err(mount_err(Region::State))?;
            match map
                .fetch_item::<Option<&[u8]>>(&mut self.buf.0, &JOURNAL_KEY)
                .await
                .map_err(|e| mount_err(Region::State)(e.into()))?
            {
                Some(Some(j)) => {
                    let dst = self.aux.0.get_mut(..j.len()).ok_or(MountError::StateLost {
                        region: Region::State,
                    })?;
                    dst.copy_from_slice(j);
                    Some(j.len())
                }
                _ => None,
            }
        };
        let lost = || MountError::StateLost {
            region: Region::State,
        };
        if let Some(jlen) = pending {
            let journal = self.aux.0.get(..jlen).ok_or(MountError::LogicBug)?;
            let head = records::journal_head(journal).ok_or_else(lost)?;
            match head {
                JournalHead::Inline => {
                    replay(&mut self.flash, &l.state, &mut self.buf.0, journal)
                        .await
                        .map_err(mount_err(Region::State))?;
                }
                JournalHead::Chunked(n) => {
                    for c in 0..n {
                        let chunk = {
                            let mut map = state_map(&mut self.flash, &l.state)
                                .map_err(mount_err(Region::State))?;
                            map.fetch_item::<Option<&[u8]>>(
                                &mut self.aux.0,
                                &(CHUNK_BASE + u32::from(c)),
                            )
                            .await
                            .map_err(|e| mount_err(Region::State)(e.into()))?
                        };
                        let Some(Some(chunk)) = chunk else {
                            return Err(lost());
                        };
                        replay(&mut self.flash, &l.state, &mut self.buf.0, chunk)
                            .await
                            .map_err(mount_err(Region::State))?;
                    }
                }
            }
            state_put(
                &mut self.flash,
                &l.state,
                &mut self.buf.0,
                JOURNAL_KEY,
                None,
            )
            .await
            .map_err(mount_err(Region::State))?;
            if let JournalHead::Chunked(n) = head {
                for c in 0..n {
                    state_put(
                        &mut self.flash,
                        &l.state,
                        &mut self.buf.0,
                        CHUNK_BASE + u32::from(c),
                        None,
                    )
                    .await
                    .map_err(mount_err(Region::State))?;
                }
            }
            outcome.get_or_insert(MountOutcome::ResumedCommit);
        }
        let stale_chunks = self
            .rebuild_index()
            .await
            .map_err(mount_err(Region::State))?;
        if stale_chunks {
            // A cut during the clean-up after a chunked group: the journal
            // was already cleared, so the chunks are garbage. Drop them.
            for c in 0..MAX_CHUNKS {
                let key = CHUNK_BASE + u32::from(c);
                let live = {
                    let mut map =
                        state_map(&mut self.flash, &l.state).map_err(mount_err(Region::State))?;
                    matches!(
                        map.fetch_item::<Option<&[u8]>>(&mut self.buf.0, &key)
                            .await
                            .map_err(|e| mount_err(Region::State)(e.into()))?,
                        Some(Some(_))
                    )
                };
                if live {
                    state_put(&mut self.flash, &l.state, &mut self.buf.0, key, None)
                        .await
                        .map_err(mount_err(Region::State))?;
                }
            }
        }

        // 3. Log: bookkeeping from the newest record, drops from the oldest.
        self.log = scan_log(&mut self.flash, &l.log, &mut self.buf.0)
            .await
            .map_err(mount_err(Region::Log))?;

        let items = self.item_count();
        let outcome = outcome.unwrap_or(if items == 0 {
            MountOutcome::Fresh
        } else {
            MountOutcome::Restored
        });
        Ok(MountReport {
            outcome,
            items,
            reset_counter: self.reset_counter,
            log: self.log.status,
        })
    }

    /// Rebuilds the key index from one pass over the state map (oldest to
    /// newest, so the last version of each key wins). Returns whether any
    /// journal chunk is still live.
    pub(super) async fn rebuild_index(&mut self) -> Result<bool, Low<F::Error>> {
        self.index.clear();
        let mut chunks_live = [false; MAX_CHUNKS as usize];
        let mut map = state_map(&mut self.flash, &self.layout.state)?;
        let mut it = map.fetch_all_items(&mut self.buf.0).await?;
        let mut pos: u32 = 0;
        while let Some((key, value)) = it.next::<Option<&[u8]>>(&mut self.buf.0).await? {
            pos = pos.saturating_add(1);
            if key == JOURNAL_KEY {
                continue;
            }
            if key >= CHUNK_BASE {
                let slot = chunks_live
                    .get_mut((key - CHUNK_BASE) as usize)
                    .ok_or(Low::Bug)?;
                *slot = value.is_some();
                continue;
            }
            if key > MAX_ITEM_KEY {
                return Err(Low::Corrupt);
            }
            let len = match value {
                Some(v) => u16::try_from(v.len()).map_err(|_| Low::Corrupt)?,
                None => TOMBSTONE,
            };
            if len != TOMBSTONE && usize::from(len) > MAX_VALUE_LEN {
                return Err(Low::Corrupt);
            }
            if !self.index.set(key, len, pos) {
                return Err(Low::Corrupt);
            }
        }
        Ok(chunks_live.iter().any(|c| *c))
    }
}
