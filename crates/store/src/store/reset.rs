//! Factory reset: the meta-region intent (commit point), then the erase.

use super::*;

impl<F: NorFlash> Store<F> {
    /// Counts a recovery the caller made above the store — e.g. items that vanished from a
    /// damaged page, so the device wiped its state to setup mode — in the recovery record
    /// ([`Store::recoveries`]), with `reason` (cut to 64 bytes). [`Store::recover`] counts its
    /// own. One meta item write: a cut leaves the count before or after.
    pub fn count_recovery(&mut self, reason: &[u8]) -> Result<(), ResetError<F::Error>> {
        if self.poisoned {
            return Err(ResetError::Poisoned);
        }
        let l = self.layout.clone();
        let count = self.recoveries.saturating_add(1);
        let n =
            records::encode_recovery(count, reason, &mut self.aux.0).ok_or(ResetError::LogicBug)?;
        let enc = self.aux.0.get(..n).ok_or(ResetError::LogicBug)?;
        block_on(meta_put(
            &mut self.flash,
            &l.meta,
            &mut self.buf.0,
            records::RECOVERY_KEY,
            enc,
        ))
        .map_err(|e| match e {
            Low::Flash(e) => ResetError::Flash(e),
            Low::Corrupt | Low::Full => ResetError::Corrupt(Region::Meta),
            Low::Bug => ResetError::LogicBug,
        })?;
        self.recoveries = count;
        self.recovery_reason_len = reason.len().min(self.recovery_reason.len());
        if let (Some(dst), Some(src)) = (
            self.recovery_reason.get_mut(..self.recovery_reason_len),
            reason.get(..self.recovery_reason_len),
        ) {
            dst.copy_from_slice(src);
        }
        Ok(())
    }

    /// Factory reset: records the intent (new reset counter + `reset_record`)
    /// in the meta region — the commit point — then erases the state and
    /// log regions, writes `reset_record` as the first record of the fresh
    /// log (sequence numbers continue), and clears the intent. A cut after
    /// the intent is finished by the next [`Store::mount`]; a cut before it
    /// leaves everything as it was. The factory partition is never touched.
    pub fn factory_reset(&mut self, reset_record: &[u8]) -> Result<(), ResetError<F::Error>> {
        if self.poisoned {
            return Err(ResetError::Poisoned);
        }
        if reset_record.len() > MAX_RESET_RECORD
            || reset_record.len() + LOG_HEADER_LEN > max_item_data::<F>()
        {
            return Err(ResetError::RecordTooLarge);
        }
        let l = self.layout.clone();
        let counter = self.reset_counter.saturating_add(1);
        let intent = Intent {
            first_seq: self.log.status.next_seq,
            record: reset_record,
        };
        let r = block_on(async {
            let n = records::encode_meta(
                &Meta {
                    reset_counter: counter,
                    intent: Some(intent),
                },
                &mut self.aux.0,
            )
            .ok_or(Low::Bug)?;
            let enc = self.aux.0.get(..n).ok_or(Low::Bug)?;
            meta_put(&mut self.flash, &l.meta, &mut self.buf.0, META_KEY, enc).await?;
            finish_reset(&mut self.flash, &l, &mut self.buf.0, counter, intent).await
        });
        match r {
            Ok(st) => {
                self.log = st;
                self.index.clear();
                self.reset_counter = counter;
                Ok(())
            }
            Err(e) => {
                self.poisoned = true;
                Err(match e {
                    Low::Flash(e) => ResetError::Flash(e),
                    Low::Full | Low::Corrupt => ResetError::Corrupt(Region::Meta),
                    Low::Bug => ResetError::LogicBug,
                })
            }
        }
    }
}
