//! The audit ring: append, acknowledge, push with oldest-page eviction, iterate.

use super::*;

impl<F: NorFlash> Store<F> {
    /// Appends one audit record to the ring and returns its sequence number.
    ///
    /// Costs one queue item (17-byte header + `record`). If the ring is full
    /// the oldest page is erased first; unacknowledged records lost that way
    /// are counted in [`LogStatus::dropped`] (persisted: every record carries
    /// the count, and mount re-derives drops not yet written down).
    pub fn log_append(&mut self, record: &[u8]) -> Result<u32, LogError<F::Error>> {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        if record.len() > MAX_LOG_RECORD || record.len() + LOG_HEADER_LEN > max_item_data::<F>() {
            return Err(LogError::RecordTooLarge);
        }
        let seq = self.log.status.next_seq;
        let h = self.log.header(KIND_DATA, seq);
        self.push_log(&h, record)?;
        self.log.status.next_seq = seq.saturating_add(1);
        Ok(seq)
    }

    /// Acknowledges every record up to and including `upto_seq` (the hub has
    /// them). A no-op if already acknowledged; costs one 17-byte record otherwise.
    pub fn log_ack(&mut self, upto_seq: u32) -> Result<(), LogError<F::Error>> {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        if upto_seq >= self.log.status.next_seq {
            return Err(LogError::AckBeyondEnd);
        }
        if upto_seq <= self.log.status.acked_upto {
            return Ok(());
        }
        let mut h = self
            .log
            .header(KIND_MARK, self.log.status.next_seq.saturating_sub(1));
        h.acked = upto_seq;
        self.push_log(&h, &[])?;
        self.log.status.acked_upto = upto_seq;
        Ok(())
    }

    /// Pushes one log record and then accounts for any records the push evicted.
    fn push_log(&mut self, h: &LogHeader, payload: &[u8]) -> Result<(), LogError<F::Error>> {
        let l = self.layout.clone();
        let r = block_on(async {
            let n = records::encode_log(h, payload, &mut self.aux.0).ok_or(Low::Bug)?;
            let rec = self.aux.0.get(..n).ok_or(Low::Bug)?;
            {
                let mut q = log_queue(&mut self.flash, &l.log)?;
                q.push(rec, true).await?;
            }
            log_oldest(&mut self.flash, &l.log, &mut self.buf.0).await
        });
        match r {
            Ok(oldest) => {
                let next = if h.kind == KIND_DATA {
                    h.seq.saturating_add(1)
                } else {
                    self.log.status.next_seq
                };
                self.log.reconcile(oldest.unwrap_or(next));
                Ok(())
            }
            Err(e) => {
                self.poisoned = true;
                Err(match e {
                    Low::Flash(e) => LogError::Flash(e),
                    Low::Full | Low::Corrupt => LogError::Corrupt,
                    Low::Bug => LogError::LogicBug,
                })
            }
        }
    }

    /// Calls `f(seq, record)` for every retained audit record with
    /// `seq >= from_seq`, oldest first. Use `from_seq = acked_upto + 1` to
    /// upload, `0` to rebuild a hash chain.
    pub fn for_each_log_record(
        &mut self,
        from_seq: u32,
        mut f: impl FnMut(u32, &[u8]),
    ) -> Result<(), ReadError<F::Error>> {
        if self.poisoned {
            return Err(ReadError::Poisoned);
        }
        let l = self.layout.clone();
        block_on(async {
            let mut q = log_queue(&mut self.flash, &l.log)?;
            let mut it = q.iter().await?;
            while let Some(entry) = it.next(&mut self.buf.0).await? {
                let (h, payload) = records::decode_log(&entry).ok_or(Low::Corrupt)?;
                if h.kind == KIND_DATA && h.seq >= from_seq {
                    f(h.seq, payload);
                }
            }
            Ok(())
        })
        .map_err(|e| read_err(e, Region::Log))
    }
}
