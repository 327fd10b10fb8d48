//! The lock's radio side: sealing events to controllers (with counters reserved on flash),
//! the claim (PAKE on the setup code), opening controllers' envelopes and answering them.

use super::*;

impl SimLock {
    // ---- uplink ----------------------------------------------------------------------------

    /// The lock's end of the link and its controller table, as of now.
    pub(super) fn link(&self) -> Option<(p::LockEndpoint, Table)> {
        let lock = self.lock.as_ref()?;
        let key = p::StaticKey::from_bytes(*lock.operational_seed());
        let entries: Vec<p::ControllerEntry> = lock
            .controllers()
            .map(|(id, c)| p::ControllerEntry {
                id: p::ControllerId(u32::from(id.0)),
                public_key: c.pubkey,
                role: match c.role {
                    l::Role::Admin => p::Role::Admin,
                    l::Role::User => p::Role::User,
                },
                label: {
                    let mut s = p::Name::new();
                    let _ = s.push_str(c.label.as_str());
                    s
                },
                send_next: self.send_next.get(&id.0).copied().unwrap_or(1),
                recv_high_water: c.counter,
            })
            .collect();
        let next = entries.iter().map(|e| e.id.0).max().unwrap_or(0) + 1;
        let table = Table::restore(entries.iter(), next).ok()?;
        Some((p::LockEndpoint::new(key), table))
    }

    pub(super) fn seal_up(&mut self, msg: &p::Up) {
        let link = self.link();
        self.seal_up_with(&link, msg);
    }

    /// Seals `msg` to every controller of `link` and queues the envelopes for the up topic.
    pub(super) fn seal_up_with(&mut self, link: &Option<(p::LockEndpoint, Table)>, msg: &p::Up) {
        let Some((ep, table)) = link else { return };
        if let p::Up::Log(_) = msg {
            self.log_sent_ms = self.now().mono_ms;
        }
        let ids: Vec<p::ControllerId> = table.iter().map(|e| e.id).collect();
        for id in ids {
            if let Some(frame) = self.seal_to(ep, table, id, msg) {
                self.up.push_back(frame);
            }
        }
    }

    /// Seals `msg` to one controller, reserving send counters on flash as needed.
    pub(super) fn seal_to(
        &mut self,
        ep: &p::LockEndpoint,
        table: &Table,
        to: p::ControllerId,
        msg: &p::Up,
    ) -> Option<Vec<u8>> {
        let slot = u8::try_from(to.0).ok()?;
        let mut t = table.clone();
        // The table may be a pre-step snapshot: use the freshest counter we know.
        let next = self
            .send_next
            .get(&slot)
            .copied()
            .unwrap_or(1)
            .max(t.get(to).map_or(1, |e| e.send_next));
        let entries: Vec<p::ControllerEntry> = t
            .iter()
            .map(|e| {
                let mut e = e.clone();
                if e.id == to {
                    e.send_next = next;
                }
                e
            })
            .collect();
        t = Table::restore(entries.iter(), t.next_id()).ok()?;
        self.reserve_counter(slot, next);
        let mut out = vec![0u8; p::MAX_ENVELOPE_LEN];
        let n = ep.seal(&mut t, to, msg, &mut out).ok()?;
        out.truncate(n);
        let after = t.get(to).map_or(next + 1, |e| e.send_next);
        self.send_next.insert(slot, after);
        Some(out)
    }

    /// Makes sure counters up to `next` are covered by a reservation on flash.
    pub(super) fn reserve_counter(&mut self, slot: u8, next: u64) {
        let reserved = self.send_reserved.get(&slot).copied().unwrap_or(0);
        if next < reserved {
            return;
        }
        self.send_reserved.insert(slot, next + COUNTER_BLOCK);
        let list: Vec<(u8, u64)> = self.send_reserved.iter().map(|(k, v)| (*k, *v)).collect();
        if let (Some(store), Ok(bytes)) = (self.store.as_mut(), postcard::to_allocvec(&list)) {
            if store
                .commit(&[ItemOp::Put(DEVICE_COUNTERS_KEY, &bytes)])
                .is_err()
            {
                self.said
                    .push("flash: could not reserve message counters".into());
            }
        }
    }

    /// Pushes the status up if it changed since the last push.
    pub(super) fn push_status(&mut self) {
        let Some(lock) = self.lock.as_ref() else {
            return;
        };
        let now = self.now();
        let status = lock.status(now);
        // Not before the battery gauge was read at boot: the wire has no
        // "unknown" level, and a 0 % would raise a false critical-battery
        // alert at every power-up.
        if status.battery_pct.is_none() {
            return;
        }
        let mut st = bridge::status(&status, 0);
        let changed = self.last_status.is_none_or(|old| {
            let mut o = old;
            o.time = 0;
            o != st
        });
        if changed {
            st.time = self.unix();
            self.last_status = Some(st);
            self.seal_up(&p::Up::Status(st));
        }
    }

    /// The plain frame stating the lock's reset state, signed with its factory key.
    pub(super) fn statement(&self, challenge: [u8; 16]) -> Option<Vec<u8>> {
        let lock = self.lock.as_ref()?;
        let signed = bridge::lock_statement(&self.serial, lock, challenge, &self.identity_seed)?;
        Self::encode_claim(&ClaimMessage::Statement(signed))
    }

    /// Queues an unsolicited statement of the reset state for the `up` topic: at every boot
    /// and every link (re)connect, so a controller learns of a reset whose notice a power
    /// cut swallowed.
    pub fn announce(&mut self) {
        if self.frozen {
            return;
        }
        if let Some(f) = self.statement(p::LockStatement::UNSOLICITED) {
            self.up.push_back(f);
        }
    }

    // ---- downlink --------------------------------------------------------------------------

    /// Handles one frame from a controller (MQTT `down` or the local link): a claim message or
    /// an envelope. Returns the answer frames for the sender.
    pub fn on_frame(&mut self, frame: &[u8]) -> Vec<Vec<u8>> {
        if self.lock.is_none() || self.frozen {
            return Vec::new();
        }
        self.hw.battery.drain(Drain::Radio);
        self.tick();
        self.report_battery();
        match frame_kind(frame) {
            FrameKind::Plain => {
                match p::decode::<ClaimMessage>(frame) {
                    Ok(m) => self.on_claim(m).into_iter().collect(),
                    Err(_) => {
                        self.said
                        .push("radio: ignored a frame that is neither a claim message nor an envelope".into());
                        Vec::new()
                    }
                }
            }
            FrameKind::Envelope => self.on_envelope(frame),
            FrameKind::Unknown => {
                self.said.push("radio: ignored an unknown frame".into());
                Vec::new()
            }
        }
    }

    pub(super) fn encode_claim(m: &ClaimMessage) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; p::MAX_MESSAGE_LEN];
        let n = p::encode(m, &mut buf).ok()?;
        buf.truncate(n);
        Some(buf)
    }

    pub(super) fn on_claim(&mut self, m: ClaimMessage) -> Option<Vec<u8>> {
        let lock = self.lock.as_ref()?;
        let now = self.now().mono_ms;
        match m {
            ClaimMessage::Start(start) => {
                if !lock.is_setup_mode() {
                    self.say(
                        "claim refused: the lock already has an owner (factory reset it first)",
                    );
                    return None;
                }
                if now < self.claim_blocked_until {
                    let wait = (self.claim_blocked_until - now).div_ceil(1000);
                    self.say(format!(
                        "claim refused: too many attempts, try again in {wait} s"
                    ));
                    // Say so, so the controller can tell its user (this start cost nothing).
                    return Self::encode_claim(&ClaimMessage::Throttled {
                        retry_after_s: u32::try_from(wait).unwrap_or(u32::MAX),
                    });
                }
                // Count the guess on flash before answering it.
                if !self.set_claim_attempts(self.claim_attempts.saturating_add(1)) {
                    self.say("claim refused: cannot record the attempt on flash");
                    return None;
                }
                self.arm_claim_backoff();
                let code = self.lock.as_ref()?.setup_code().to_vec();
                let serial = self.serial.clone();
                match ClaimLock::respond(&code, &serial, &start, &mut self.rng) {
                    Ok((state, reply)) => {
                        self.claim = Some(state);
                        Self::encode_claim(&ClaimMessage::Reply(reply))
                    }
                    Err(e) => {
                        self.say(format!("claim refused: bad claim message ({e:?})"));
                        None
                    }
                }
            }
            ClaimMessage::Finish(finish) => {
                let Some(state) = self.claim.take() else {
                    self.say("claim refused: no claim in progress");
                    return None;
                };
                let (ep, mut table) = self.link()?;
                let factory_public = self.lock.as_ref()?.identity_public_key();
                match state.handle_finish(&finish, ep.key(), factory_public, &mut table) {
                    Ok((id, done)) => {
                        let entry = table.get(id)?.clone();
                        let mut label = heapless::String::new();
                        for c in entry.label.chars() {
                            if label.push(c).is_err() {
                                break;
                            }
                        }
                        self.step(l::Input::PairFirstAdmin {
                            pubkey: entry.public_key,
                            label,
                        });
                        let paired = self
                            .lock
                            .as_ref()
                            .and_then(|l| l.controller_by_key(&entry.public_key));
                        if paired.map(|c| u32::from(c.0)) != Some(id.0) {
                            self.say("claim failed: the lock did not accept the new admin");
                            return None;
                        }
                        self.set_claim_attempts(0);
                        self.claim_blocked_until = 0;
                        self.say(format!("claimed: controller {} is the first admin", id.0));
                        Self::encode_claim(&ClaimMessage::Done(done))
                    }
                    Err(p::claim::ClaimError::KeyConfirmationFailed) => {
                        self.say("claim refused: wrong setup code");
                        None
                    }
                    Err(e) => {
                        self.say(format!("claim refused: {e:?}"));
                        None
                    }
                }
            }
            ClaimMessage::StatementRequest { challenge } => self.statement(challenge),
            _ => None,
        }
    }

    /// Stores the claim-attempt counter; `false` if the flash refused.
    pub(super) fn set_claim_attempts(&mut self, n: u32) -> bool {
        let Some(store) = self.store.as_mut() else {
            return false;
        };
        let ok = match postcard::to_allocvec(&n) {
            Ok(bytes) => store
                .commit(&[ItemOp::Put(DEVICE_CLAIM_KEY, &bytes)])
                .is_ok(),
            Err(_) => false,
        };
        if ok {
            self.claim_attempts = n;
        }
        ok
    }

    /// After the free attempts, each further claim start blocks claims for 30 s × 2^k.
    pub(super) fn arm_claim_backoff(&mut self) {
        if self.claim_attempts > CLAIM_FREE_ATTEMPTS {
            let over = (self.claim_attempts - CLAIM_FREE_ATTEMPTS).min(10);
            self.claim_blocked_until = self.now().mono_ms + 30_000 * (1u64 << over);
        }
    }

    /// Applies a wire settings record: the lock changes every differing field at once, all
    /// or nothing (range checks, door-only loosening refused with `OnlyAtTheDoor`).
    pub(super) fn set_settings(
        &mut self,
        controller: p::ControllerId,
        id: p::CommandId,
        counter: u64,
        want: &p::Settings,
    ) -> (p::Ack, p::Applied) {
        let Some(lock) = self.lock.as_ref() else {
            return bridge::refused(id, p::ErrorCode::Internal);
        };
        let wanted = bridge::settings_wanted(lock.settings(), want);
        let from = l::ControllerId(u8::try_from(controller.0).unwrap_or(0));
        let input = l::Input::Command {
            from,
            id: (id.0 & u64::from(u32::MAX)) as u32,
            counter,
            cmd: l::Command::SetSettings(wanted),
        };
        match self.step(input).reply {
            Some(r) => bridge::reply(id, &r, &self.identity_seed),
            None => bridge::refused(id, p::ErrorCode::Internal),
        }
    }

    /// Answers `LogFetch`: the lock checks and records the envelope counter (a read-only
    /// command step), then the unacknowledged audit records from `from_seq` go up as `Log`
    /// batches (hash chain intact, oldest first) before the reply.
    pub(super) fn log_fetch(
        &mut self,
        controller: p::ControllerId,
        id: p::CommandId,
        counter: u64,
        from_seq: u64,
    ) -> (p::Ack, p::Applied) {
        let from = l::ControllerId(u8::try_from(controller.0).unwrap_or(0));
        let stepped = self.step(l::Input::Command {
            from,
            id: (id.0 & u64::from(u32::MAX)) as u32,
            counter,
            cmd: l::Command::GetCapabilities,
        });
        match stepped.reply.map(|r| r.result) {
            Some(Ok(_)) => {
                let now = self.now();
                let batches = self.lock.as_ref().map_or_else(Vec::new, |lock| {
                    bridge::log_batches(lock, from_seq, lock.status(now).log_lost)
                });
                for b in batches {
                    self.seal_up(&p::Up::Log(b));
                }
                (
                    p::Ack {
                        id,
                        verdict: p::Verdict::Accepted,
                    },
                    p::Applied {
                        id,
                        outcome: p::Outcome::Ok(p::CommandResult::Done),
                    },
                )
            }
            Some(Err(e)) => bridge::refused(id, bridge::error(e)),
            None => bridge::refused(id, p::ErrorCode::Internal),
        }
    }

    pub(super) fn on_envelope(&mut self, frame: &[u8]) -> Vec<Vec<u8>> {
        let Some((ep, mut table)) = self.link() else {
            return Vec::new();
        };
        let v = match ep.open(&mut table, frame) {
            Ok(v) => v,
            Err(e) => {
                self.said.push(format!(
                    "radio: rejected a message that failed authentication ({e:?})"
                ));
                return Vec::new();
            }
        };
        let p::Down::Request(req) = v.message else {
            return Vec::new();
        };
        let before = Some((ep.clone(), table.clone()));
        let resets_before = self.lock.as_ref().map(l::Lock::reset_counter);
        let repeat = match self.dedup.check(v.controller, req.id) {
            p::Seen::Repeat(answer) => Some(answer.clone()),
            p::Seen::New => None,
        };
        if repeat.is_none() && at_most_once::remembered(&req.command) {
            // The step that runs it writes its answer to flash with its change.
            self.remember = Some((v.controller, req.id));
        }
        let (ack, applied) = if let Some(answer) = repeat {
            // A retry of a command already applied (before a reboot too): answer it again,
            // apply nothing.
            answer
        } else if p::authorize(v.role, &req.command).is_err() {
            bridge::refused(req.id, p::ErrorCode::AdminRequired)
        } else if let p::Command::SetSettings(want) = &req.command {
            self.set_settings(v.controller, req.id, v.counter, want)
        } else if let p::Command::LogFetch { from_seq } = &req.command {
            self.log_fetch(v.controller, req.id, v.counter, *from_seq)
        } else if let Some(result) = self
            .lock
            .as_ref()
            .and_then(|lock| bridge::query(lock, &req.command))
        {
            // Read-only queries are answered from the lock's accessors; a read-only lock command
            // still runs so the lock checks and persists the envelope counter (replay guard).
            let from = l::ControllerId(u8::try_from(v.controller.0).unwrap_or(0));
            let stepped = self.step(l::Input::Command {
                from,
                id: (req.id.0 & u64::from(u32::MAX)) as u32,
                counter: v.counter,
                cmd: l::Command::GetCapabilities,
            });
            match stepped.reply.map(|r| r.result) {
                Some(Ok(_)) => (
                    p::Ack {
                        id: req.id,
                        verdict: p::Verdict::Accepted,
                    },
                    p::Applied {
                        id: req.id,
                        outcome: p::Outcome::Ok(result),
                    },
                ),
                Some(Err(e)) => bridge::refused(req.id, bridge::error(e)),
                None => bridge::refused(req.id, p::ErrorCode::Internal),
            }
        } else {
            match bridge::command(&req.command) {
                Err(e) => bridge::refused(req.id, e.into()),
                Ok(cmd) => {
                    let from = l::ControllerId(u8::try_from(v.controller.0).unwrap_or(0));
                    let id = (req.id.0 & u64::from(u32::MAX)) as u32;
                    let stepped = self.step(l::Input::Command {
                        from,
                        id,
                        counter: v.counter,
                        cmd,
                    });
                    match stepped.reply {
                        Some(r) => {
                            if let Ok(l::ReplyData::Status(s)) = &r.result {
                                let st = bridge::status(s, self.unix());
                                self.seal_up(&p::Up::Status(st));
                            }
                            bridge::reply(req.id, &r, &self.identity_seed)
                        }
                        None => bridge::refused(req.id, p::ErrorCode::Internal),
                    }
                }
            }
        };
        self.remember = None;
        if self.lock.as_ref().map(l::Lock::reset_counter) == resets_before {
            self.dedup
                .record(v.controller, req.id, (ack, applied.clone()));
        } else {
            // The command reset the lock: every controller (and so every command id) from before
            // is gone, and a new binding starts its ids again from 1 — an old answer must never
            // be replayed to it.
            self.dedup.clear();
        }
        let mut out = Vec::new();
        // An accepted command's `Applied` implies its acceptance: the `Ack` goes up only
        // with a refusal (one frame less per command, issue 14).
        let ack = (ack.verdict != p::Verdict::Accepted).then_some(p::Up::Ack(ack));
        for m in ack.into_iter().chain([p::Up::Applied(applied)]) {
            // Seal with the table the command arrived under (a reset may have emptied it).
            if let Some((ep, t)) = &before {
                if let Some(f) = self.seal_to(ep, t, v.controller, &m) {
                    out.push(f);
                }
            }
        }
        out
    }
}
