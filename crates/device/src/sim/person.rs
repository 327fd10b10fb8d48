//! The person at the door: console commands acted out on the hardware models and the lock,
//! and the `status` / `log` answers.

use super::*;

impl SimLock {
    // ---- the person at the door ------------------------------------------------------------

    /// Executes one console command and returns what the lock signalled, in words.
    pub fn console(&mut self, cmd: Console) -> String {
        self.tick();
        self.said.clear();
        let needs_power = !matches!(
            cmd,
            Console::InsertBattery
                | Console::PullBattery
                | Console::CutPowerAfter(_)
                | Console::FlashUnits
                | Console::Battery(_)
                | Console::Status
                | Console::Log
                | Console::Help
                | Console::Wait(_)
        );
        if needs_power && !self.powered() {
            return "nothing happens: the lock has no power (battery out; `insert-battery`)".into();
        }
        if self.frozen {
            match cmd {
                Console::PressReset => {
                    self.say("reset button: the frozen firmware restarts");
                    self.reboot();
                    return self.take_said().join("\n");
                }
                Console::PullBattery
                | Console::InsertBattery
                | Console::Battery(_)
                | Console::Help
                | Console::Wait(_)
                | Console::OpenDoor
                | Console::CloseDoor
                | Console::Jam
                | Console::EnrolFinger(_)
                | Console::FailUpdate => {}
                Console::Status => {
                    return "no response: the lock is frozen (try `press-reset` or `pull-battery`)"
                        .into()
                }
                _ => return "no response: no beep, no light — the lock seems frozen".into(),
            }
        }
        let mut extra: Vec<String> = Vec::new();
        match cmd {
            Console::Keys(keys) => {
                for c in keys.chars() {
                    let now = self.now_d();
                    if let Err(e) = self.hw.keypad.press(c, now) {
                        extra.push(e.to_string());
                        continue;
                    }
                    self.hw.battery.drain(Drain::Sensor);
                    let key = match c {
                        '*' => l::Key::Star,
                        '#' => l::Key::Hash,
                        d => l::Key::Digit(d.to_digit(10).unwrap_or(0) as u8),
                    };
                    self.step(l::Input::Key(key));
                    // A person types about three keys a second.
                    self.advance(Duration::from_millis(300));
                }
            }
            Console::HoldReset(d) => {
                let now = self.now_d();
                self.hw.reset.push(now);
                self.step(l::Input::ResetButtonDown);
                self.advance(d);
                let now = self.now_d();
                let _ = self.hw.reset.release(now);
                if self.powered() {
                    self.step(l::Input::ResetButtonUp);
                }
            }
            Console::PressReset => {
                let now = self.now_d();
                self.hw.reset.push(now);
                self.step(l::Input::ResetButtonDown);
                self.advance(Duration::from_millis(300));
                let now = self.now_d();
                let _ = self.hw.reset.release(now);
                self.step(l::Input::ResetButtonUp);
            }
            Console::ProgramButton => {
                self.hw.program.press();
                self.step(l::Input::ProgramButton);
            }
            Console::Card(uid) => {
                let uid = self.hw.rfid.present(uid);
                self.hw.battery.drain(Drain::Sensor);
                match heapless::Vec::from_slice(&uid.0) {
                    Ok(v) => {
                        self.step(l::Input::Card {
                            uid: v,
                            payload: None,
                        });
                    }
                    Err(_) => extra.push(format!(
                        "the reader cannot read card {uid}: UIDs longer than {} bytes are not supported",
                        tumbler_lock::config::MAX_CARD_UID
                    )),
                }
            }
            Console::CardImage(path) => match console::card_file::read(&path) {
                Ok(image) => {
                    let uid = self.hw.rfid.present(console::card_file::uid(&image));
                    self.hw.battery.drain(Drain::Sensor);
                    match (
                        heapless::Vec::from_slice(&uid.0),
                        heapless::Vec::from_slice(&image),
                    ) {
                        (Ok(uid), Ok(image)) => {
                            self.step(l::Input::Card {
                                uid,
                                payload: Some(image),
                            });
                        }
                        // Not reached: the UID has 7 bytes and `read` bounds the image.
                        _ => extra.push(format!("the reader cannot read the card in {}", path.display())),
                    }
                }
                Err(e) => extra.push(e.to_string()),
            },
            Console::Finger(n) => {
                self.hw.battery.drain(Drain::Sensor);
                let touch = self.hw.finger.place(n);
                let slot = match touch {
                    Touch::Matched(s) => Some(s),
                    Touch::FalseReject => {
                        extra.push(format!("sensor: finger {n} not recognised this time (false reject)"));
                        None
                    }
                    _ => None,
                };
                self.step(l::Input::Fingerprint(slot));
            }
            Console::EnrolFinger(n) => match self.hw.finger.enrol(n) {
                Ok(slot) => extra.push(format!(
                    "sensor: finger {n} stored as template {slot} (an admin must now add it as a credential)"
                )),
                Err(e) => extra.push(format!("sensor: {e}")),
            },
            Console::PullBattery => {
                // A battery pulled by hand disarms a cut that has not happened yet.
                self.disarm_cut();
                if self.hw.battery.inserted() {
                    self.hw.battery.pull();
                    self.power_down();
                    extra.push("battery out: the lock is off (RAM lost; flash keeps its state)".into());
                } else {
                    extra.push("the battery is already out".into());
                }
            }
            Console::InsertBattery => {
                if self.hw.battery.insert() {
                    self.say("battery in: booting");
                    if let Err(e) = self.power_up() {
                        extra.push(format!("the lock does not boot: {e}"));
                    }
                } else if self.hw.battery.inserted() && !self.hw.battery.powered() {
                    extra.push("the battery is flat (`battery 80%` to put in a fresh one)".into());
                } else {
                    extra.push("the battery is already in".into());
                }
            }
            Console::Battery(pct) => {
                self.battery_reported = pct;
                let was_powered = self.hw.battery.powered();
                self.hw.battery.set_percent(pct);
                if !self.hw.battery.powered() {
                    if self.powered() {
                        self.power_down();
                    }
                    extra.push("the battery is flat: the lock is off".into());
                } else if !was_powered && self.hw.battery.inserted() {
                    self.say(format!("fresh battery ({pct}%): booting"));
                    if let Err(e) = self.power_up() {
                        extra.push(format!("the lock does not boot: {e}"));
                    }
                } else if self.powered() {
                    extra.push(format!("battery now {pct}%"));
                    self.step(l::Input::Battery(pct));
                } else {
                    extra.push(format!("battery set to {pct}% (still out of the lock)"));
                }
            }
            Console::Jam => {
                self.hw.motor.jam();
                extra.push("the bolt will jam on its next movement".into());
            }
            Console::OpenDoor => {
                let now = self.now_d();
                let bolt = self.hw.motor.bolt();
                match self.hw.door.open(now, bolt) {
                    Some(_) => {
                        if bolt == Bolt::Locked {
                            extra.push("you force the door open against the thrown bolt".into());
                        } else {
                            extra.push("the door opens".into());
                        }
                        self.step(l::Input::Door { open: true });
                    }
                    None => extra.push("the door is already open".into()),
                }
            }
            Console::CloseDoor => match self.hw.door.close() {
                Some(_) => {
                    extra.push("the door closes".into());
                    self.step(l::Input::Door { open: false });
                }
                None => extra.push("the door is already closed".into()),
            },
            Console::ThumbTurn => {
                let to_locked = self.hw.motor.bolt() != Bolt::Locked;
                let _ = self.hw.motor.drive(if to_locked { Bolt::Locked } else { Bolt::Unlocked });
                extra.push(format!(
                    "you turn the inside knob: bolt {}",
                    if to_locked { "thrown" } else { "retracted" }
                ));
                self.step(l::Input::ManualTurn { locked: to_locked });
            }
            Console::Wait(d) => {
                self.advance(d);
                extra.push(format!("{} s pass", d.as_secs_f64()));
            }
            Console::FailUpdate => {
                self.frozen = true;
                extra.push("a firmware update fails half-way: the lock stops responding".into());
            }
            Console::CutPowerAfter(n) => {
                self.cut_power_after(n);
                extra.push(format!("the battery will fall out after {n} flash units"));
            }
            Console::FlashUnits => {
                let n = self.flash_units();
                extra.push(format!("flash units: {n}"));
            }
            Console::Status => extra.extend(self.status_lines()),
            Console::Log => extra.extend(self.log_lines()),
            Console::Help => extra.push(console::HELP.to_string()),
        }
        self.report_battery();
        let mut lines = std::mem::take(&mut self.said);
        lines.extend(extra);
        if lines.is_empty() {
            lines.push("(no signal)".into());
        }
        lines.join("\n")
    }

    /// The `status` answer.
    pub fn status_lines(&self) -> Vec<String> {
        let mut v = vec![format!("serial: {}", self.serial)];
        v.push(format!(
            "power: {} (battery {}%{})",
            if self.powered() { "on" } else { "off" },
            self.hw.battery.percent(),
            if self.hw.battery.inserted() {
                ""
            } else {
                ", out of the lock"
            }
        ));
        if let Some(lock) = self.lock.as_ref() {
            let s = lock.status(self.now());
            v.push(format!("bolt: {:?}; door: {:?}", s.bolt, s.door));
            v.push(format!(
                "mode: {:?}; setup mode: {}",
                s.effective_mode,
                if s.setup_mode {
                    "yes (unclaimed)"
                } else {
                    "no"
                }
            ));
            v.push(format!(
                "users: {}; credentials: {}; controllers: {}",
                s.users, s.credentials, s.controllers
            ));
            v.push(format!(
                "wrong codes: {}; keypad lockout: {}",
                s.wrong_codes,
                if s.lockout_remaining_ms > 0 {
                    format!("{} s left", s.lockout_remaining_ms.div_ceil(1000))
                } else {
                    "none".into()
                }
            ));
            v.push(format!(
                "factory resets: {}; audit log: next seq {}, lost {}",
                s.reset_counter, s.log_next_seq, s.log_lost
            ));
            v.push(settings_line(lock.settings()));
        }
        if let Some(store) = self.store.as_ref() {
            v.push(flash_damage_line(store.recoveries()));
        }
        if self.powered() || self.link_status.starts_with("none") {
            v.push(format!("hub link: {}", self.link_status));
        } else {
            // The radio is off with the rest of the lock, whatever the link task says yet.
            v.push("hub link: offline (no power)".into());
        }
        if !self.link_counters.is_empty() {
            v.push(format!("hub link counters: {}", self.link_counters));
        }
        v
    }

    /// The `log` answer: recent signals, then the audit records not yet acknowledged.
    pub fn log_lines(&self) -> Vec<String> {
        let mut v = vec!["recent signals:".to_string()];
        for (t, w) in self.hw.panel.recent() {
            v.push(format!("  [{}] {w}", t.as_secs()));
        }
        if let Some(lock) = self.lock.as_ref() {
            v.push("audit records not yet acknowledged by a controller:".into());
            for r in lock.audit_pending() {
                v.push(format!(
                    "  #{} {:?} {:?} via {:?}: {:?}",
                    r.seq, r.who, r.what, r.how, r.result
                ));
            }
        }
        v
    }

    /// Handles one console line (parse errors answer with a clear message; nothing changes).
    pub fn console_line(&mut self, line: &str) -> String {
        match console::parse(line) {
            Ok(cmd) => self.console(cmd),
            Err(e) => e.to_string(),
        }
    }
}

/// The settings as the console's `status` shows them (names as the hub and CLI use them).
fn settings_line(st: &l::Settings) -> String {
    let on = |b: bool| if b { "on" } else { "off" };
    format!(
        "settings: auto_relock_time {}s; sound_volume {}; wrong_code_entry_limit {}; \
         user_code_temporary_disable_time {}s; reset_button_hold_time {}s; app_reset_allowed {}; \
         enable_local_programming {}; require_pin_for_remote_operation {}; \
         enable_one_touch_locking {}; enable_inside_status_led {}",
        st.auto_relock_s,
        format!("{:?}", st.volume).to_lowercase(),
        st.wrong_code_limit,
        st.temp_disable_s,
        st.reset_hold_s,
        on(st.app_reset_allowed),
        on(st.local_programming),
        on(st.require_pin_for_remote),
        on(st.one_touch_locking),
        on(st.status_led),
    )
}

/// The `status` line about damaged flash: how many boots found the flash unreadable and wiped
/// the lock to setup mode (counted apart from factory resets, and kept across them), and why
/// the last one did.
pub(super) fn flash_damage_line((count, reason): (u32, &[u8])) -> String {
    if count == 0 {
        "flash damage: none found".into()
    } else {
        format!(
            "flash damage: {count} recover{} to setup mode (damaged flash, not a factory reset); last: {}",
            if count == 1 { "y" } else { "ies" },
            String::from_utf8_lossy(reason)
        )
    }
}
