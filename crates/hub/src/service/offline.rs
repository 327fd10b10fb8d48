//! Codes that work offline: per lock, the hub holds the secret the lock holds
//! (sealed at rest) and mints time-bound codes from it with the lock's own
//! function (`tumbler-offline`), with no lock contact. Enabling sends the
//! secret to the lock (an operation, applied when it is online); revoking one
//! code queues a deny entry; revoking all sends a new secret and epoch.
//! The digits are returned once and never stored.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tumbler_offline::{Secret, Shape, Window};
use zeroize::Zeroizing;

use super::{check_name, invalid, refused, Principal, Service, ServiceError, ADMINS, ANY_ROLE};
use crate::model::{ClaimState, Lock, OpName, Operation};
use crate::store::offline::{NewOfflineCode, OfflineCode, OfflineKey};

/// The window of a code to issue, as the API and CLI take it. Instants are RFC 3339 and
/// rounded down to the whole hour (the code's grid); a daily window is in the site's
/// local time (DST included), on whole hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OfflineWindow {
    /// Opens once within `hours` (1..=24) from `starts_at`.
    OneTime {
        /// First instant (RFC 3339).
        starts_at: String,
        /// Hours it stays valid.
        hours: u8,
    },
    /// Opens as often as typed for `hours` (1..=24) from `starts_at`.
    Hours {
        /// First instant (RFC 3339).
        starts_at: String,
        /// Hours.
        hours: u8,
    },
    /// Opens for `days` (1..=31) whole days from `starts_at`.
    Days {
        /// First instant (RFC 3339).
        starts_at: String,
        /// Days.
        days: u8,
    },
    /// Opens every day of `days` (1..=28) from `first_day` (site-local date), from
    /// `from_hour` until `to_hour` (local, 0 <= from < to <= 24).
    Daily {
        /// First local day, `YYYY-MM-DD`.
        first_day: String,
        /// Days.
        days: u8,
        /// Local hour each day's window opens.
        from_hour: u8,
        /// Local hour it closes.
        to_hour: u8,
    },
}

/// Body of `POST /locks/{id}/offline-codes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueOfflineCode {
    /// The window.
    #[serde(flatten)]
    pub window: OfflineWindow,
    /// Who it is for (shown in the lock's history): 1..=100 characters.
    pub label: String,
}

/// The answer to an issue: the digits, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedOfflineCode {
    /// The ten digits to type, then `#`.
    pub code: String,
    /// The record (window, label).
    pub offline_code: OfflineCode,
}

/// A lock's offline codes (`GET /locks/{id}/offline-codes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflineCodes {
    /// The lock.
    pub lock_id: i64,
    /// Whether the hub holds a secret for it (codes can be issued).
    pub enabled: bool,
    /// The current epoch (codes of earlier ones are revoked).
    pub epoch: Option<u32>,
    /// Codes issued, newest first.
    pub codes: Vec<OfflineCode>,
}

/// The answer to a revocation of one code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevokedOfflineCode {
    /// The code, now revoked.
    pub offline_code: OfflineCode,
    /// The deny entry on its way to the lock (`None`: the code could not open any
    /// more anyway — window over, or an earlier epoch).
    pub operation: Option<Operation>,
}

/// The stored kind name of a shape (pinned by the migration's CHECK).
pub fn kind_name(s: &Shape) -> &'static str {
    match s {
        Shape::OneTime { .. } => "one_time",
        Shape::Hours { .. } => "hours",
        Shape::Days { .. } => "days",
        Shape::Daily { .. } => "daily",
    }
}

const HOUR_MS: i64 = 3_600_000;

fn hour_of(field: &'static str, s: &str) -> Result<u32, ServiceError> {
    let t: Timestamp = s
        .trim()
        .parse()
        .map_err(|_| invalid(field, "an RFC 3339 instant, e.g. 2026-12-08T09:00:00Z"))?;
    u32::try_from(t.as_second().div_euclid(3600))
        .map_err(|_| refused(field, "before 1970 or too far ahead"))
}

fn days_since_1970(d: Date) -> Result<u32, ServiceError> {
    let epoch = Date::new(1970, 1, 1).map_err(|_| invalid("first_day", "date"))?;
    let span = d
        .since((jiff::Unit::Day, epoch))
        .map_err(|_| invalid("first_day", "date"))?;
    u32::try_from(span.get_days()).map_err(|_| refused("first_day", "before 1970"))
}

/// The code's window and its first and end instants (ms; end exclusive).
pub fn plan_window(w: &OfflineWindow, tz: &TimeZone) -> Result<(Window, i64, i64), ServiceError> {
    let shape_err = |f: &'static str, r: &str| refused(f, r.to_owned());
    let (window, start_ms, end_ms) = match w {
        OfflineWindow::OneTime { starts_at, hours } | OfflineWindow::Hours { starts_at, hours } => {
            let h = hour_of("starts_at", starts_at)?;
            let shape = if matches!(w, OfflineWindow::OneTime { .. }) {
                Shape::OneTime { hours: *hours }
            } else {
                Shape::Hours { hours: *hours }
            };
            shape
                .validate()
                .map_err(|_| shape_err("hours", "1 to 24"))?;
            let s = i64::from(h) * HOUR_MS;
            (
                Window { shape, start: h },
                s,
                s + i64::from(*hours) * HOUR_MS,
            )
        }
        OfflineWindow::Days { starts_at, days } => {
            let h = hour_of("starts_at", starts_at)?;
            let shape = Shape::Days {
                days: *days,
                at_h: (h % 24) as u8,
            };
            shape.validate().map_err(|_| shape_err("days", "1 to 31"))?;
            let s = i64::from(h) * HOUR_MS;
            (
                Window {
                    shape,
                    start: h / 24,
                },
                s,
                s + i64::from(*days) * 24 * HOUR_MS,
            )
        }
        OfflineWindow::Daily {
            first_day,
            days,
            from_hour,
            to_hour,
        } => {
            let d: Date = first_day
                .trim()
                .parse()
                .map_err(|_| invalid("first_day", "a date, YYYY-MM-DD"))?;
            let shape = Shape::Daily {
                days: *days,
                from_h: *from_hour,
                to_h: *to_hour,
            };
            shape.validate().map_err(|_| {
                shape_err("daily", "days 1 to 28, and 0 <= from_hour < to_hour <= 24")
            })?;
            let at = |day: Date, hour: u8| -> Result<i64, ServiceError> {
                let dt = day
                    .to_datetime(jiff::civil::Time::midnight())
                    .checked_add(jiff::SignedDuration::from_hours(i64::from(hour)))
                    .map_err(|_| invalid("first_day", "date"))?;
                Ok(tz
                    .to_ambiguous_zoned(dt)
                    .compatible()
                    .map_err(|_| invalid("first_day", "date"))?
                    .timestamp()
                    .as_millisecond())
            };
            let last = d
                .checked_add(jiff::Span::new().days(i64::from(*days) - 1))
                .map_err(|_| invalid("first_day", "date"))?;
            (
                Window {
                    shape,
                    start: days_since_1970(d)?,
                },
                at(d, *from_hour)?,
                at(last, *to_hour)?,
            )
        }
    };
    Ok((window, start_ms, end_ms))
}

/// A fresh key from 32 random bytes (passed in) at `epoch`.
fn fresh_key(random: [u8; 32], epoch: u32) -> OfflineKey {
    OfflineKey {
        secret: Zeroizing::new(random),
        epoch,
    }
}

fn random32() -> Result<[u8; 32], ServiceError> {
    let mut b = [0u8; 32];
    crate::secrets::random_bytes(&mut b)?;
    Ok(b)
}

impl Service {
    async fn offline_lock(&self, p: &Principal, lock_id: i64) -> Result<Lock, ServiceError> {
        let lock = self.own_lock(p, lock_id).await?;
        if lock.claim_state != ClaimState::Claimed {
            return Err(ServiceError::WrongState(format!(
                "the lock is {}; re-claim it first",
                lock.claim_state
            )));
        }
        Ok(lock)
    }

    async fn site_zone(&self, p: &Principal, lock: &Lock) -> Result<TimeZone, ServiceError> {
        let Some(site_id) = lock.site_id else {
            return Ok(TimeZone::UTC);
        };
        let site = self.store.get_site(p.org_id, site_id).await?;
        Ok(site
            .and_then(|s| TimeZone::get(&s.time_zone).ok())
            .unwrap_or(TimeZone::UTC))
    }

    async fn send_offline_key(
        &self,
        p: &Principal,
        lock: &Lock,
        key: &OfflineKey,
    ) -> Result<Operation, ServiceError> {
        // The secret is not in the operation: the sender reads it sealed from
        // `offline_keys` when it sends (so it is the newest one, too).
        self.enqueue(
            p,
            lock,
            OpName::SetOfflineCodes,
            serde_json::json!({ "epoch": key.epoch }),
        )
        .await
    }

    /// Turns offline codes on for a lock (owners, managers): the hub makes a secret
    /// (the first time) and queues it to the lock; again, it sends the same one again.
    pub async fn enable_offline_codes(
        &self,
        p: &Principal,
        lock_id: i64,
    ) -> Result<Operation, ServiceError> {
        self.require(p, ADMINS)?;
        let lock = self.offline_lock(p, lock_id).await?;
        if !self.store.can_seal() {
            return Err(ServiceError::WrongState(
                "this hub has no binding key to seal an offline-code secret with".into(),
            ));
        }
        let key = match self.store.offline_key(lock.id).await? {
            Some(k) => k,
            None => {
                let k = fresh_key(random32()?, 1);
                self.store
                    .set_offline_key(lock.id, &k, self.now_ms())
                    .await?;
                k
            }
        };
        self.send_offline_key(p, &lock, &key).await
    }

    /// A lock's offline codes (any role).
    pub async fn offline_codes(
        &self,
        p: &Principal,
        lock_id: i64,
    ) -> Result<OfflineCodes, ServiceError> {
        self.require(p, ANY_ROLE)?;
        let lock = self.own_lock(p, lock_id).await?;
        let key = self.store.offline_key(lock.id).await?;
        Ok(OfflineCodes {
            lock_id: lock.id,
            enabled: key.is_some(),
            epoch: key.map(|k| k.epoch),
            codes: self.store.offline_codes(lock.id).await?,
        })
    }

    /// Issues a code (owners, managers) with no lock contact. Refused: offline codes
    /// not enabled, a window already over, or one the lock already has a code for.
    pub async fn issue_offline_code(
        &self,
        p: &Principal,
        lock_id: i64,
        body: &IssueOfflineCode,
    ) -> Result<IssuedOfflineCode, ServiceError> {
        self.require(p, ADMINS)?;
        let label = check_name("label", &body.label)?;
        let lock = self.offline_lock(p, lock_id).await?;
        let tz = self.site_zone(p, &lock).await?;
        let (window, starts_at, ends_at) = plan_window(&body.window, &tz)?;
        let now = self.now_ms();
        if ends_at <= now {
            return Err(refused("window", "it is over already"));
        }
        if starts_at > now + 366 * 24 * HOUR_MS {
            return Err(refused("window", "it starts more than a year ahead"));
        }
        let key = self.store.offline_key(lock.id).await?.ok_or_else(|| {
            ServiceError::WrongState(format!(
                "offline codes are not enabled on lock {}; enable them first",
                lock.id
            ))
        })?;
        let secret = Secret(*key.secret);
        let code = tumbler_offline::issue(&secret, key.epoch, &window)
            .map_err(|_| refused("window", "not a window a code can carry"))?;
        let code_id = window
            .id()
            .map_err(|_| refused("window", "not a window a code can carry"))?;
        let record = self
            .store
            .insert_offline_code(
                NewOfflineCode {
                    org_id: p.org_id,
                    lock_id: lock.id,
                    epoch: key.epoch,
                    code_id: code_id.0,
                    kind: kind_name(&window.shape),
                    window: serde_json::to_value(window).map_err(|e| {
                        ServiceError::Store(crate::store::StoreError::LogicBug(e.to_string()))
                    })?,
                    starts_at,
                    ends_at,
                    label: &label,
                    issued_by: p.account_id,
                },
                now,
            )
            .await
            .map_err(|e| match e {
                crate::store::StoreError::Conflict => {
                    ServiceError::Conflict("an offline code with this exact window")
                }
                e => e.into(),
            })?;
        Ok(IssuedOfflineCode {
            code: code.as_str().to_owned(),
            offline_code: record,
        })
    }

    /// Revokes one code (owners, managers): a deny entry queued to the lock, applied
    /// when it is next online.
    pub async fn revoke_offline_code(
        &self,
        p: &Principal,
        code: i64,
    ) -> Result<RevokedOfflineCode, ServiceError> {
        self.require(p, ADMINS)?;
        let missing = || ServiceError::Missing {
            what: "offline code",
            id: code,
        };
        let c = self
            .store
            .offline_code(p.org_id, code)
            .await?
            .ok_or_else(missing)?;
        let lock = self.offline_lock(p, c.lock_id).await?;
        let key = self.store.offline_key(lock.id).await?;
        let now = self.now_ms();
        let live = c.revoked_at.is_none()
            && c.ends_at > now
            && key.is_some_and(|k| i64::from(k.epoch) == c.epoch);
        self.store.revoke_offline_code(c.id, now).await?;
        let operation = if live {
            Some(
                self.enqueue(
                    p,
                    &lock,
                    OpName::DenyOfflineCode,
                    serde_json::json!({ "id": c.code_id, "offline_code": c.id }),
                )
                .await?,
            )
        } else {
            None
        };
        let offline_code = self
            .store
            .offline_code(p.org_id, code)
            .await?
            .ok_or_else(missing)?;
        Ok(RevokedOfflineCode {
            offline_code,
            operation,
        })
    }

    /// Revokes every code of a lock (owners, managers): a new secret and epoch, sent
    /// when the lock is next online (also when the deny list is full).
    pub async fn revoke_all_offline_codes(
        &self,
        p: &Principal,
        lock_id: i64,
    ) -> Result<Operation, ServiceError> {
        self.require(p, ADMINS)?;
        let lock = self.offline_lock(p, lock_id).await?;
        let old = self.store.offline_key(lock.id).await?.ok_or_else(|| {
            ServiceError::WrongState(format!("offline codes are not enabled on lock {}", lock.id))
        })?;
        let key = fresh_key(random32()?, old.epoch.wrapping_add(1));
        self.store
            .set_offline_key(lock.id, &key, self.now_ms())
            .await?;
        self.send_offline_key(p, &lock, &key).await
    }

    /// After a claim or re-claim: a lock that had offline codes gets a new secret and
    /// epoch (the reset erased its secret and its deny list, so the old codes must
    /// not come back).
    pub(crate) async fn offline_after_claim(
        &self,
        p: &Principal,
        lock: &Lock,
    ) -> Result<(), ServiceError> {
        let Some(old) = self.store.offline_key(lock.id).await? else {
            return Ok(());
        };
        let key = fresh_key(random32()?, old.epoch.wrapping_add(1));
        self.store
            .set_offline_key(lock.id, &key, self.now_ms())
            .await?;
        self.send_offline_key(p, lock, &key).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_round_down_to_the_hour_and_daily_follows_the_zone() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let (w, s, e) = plan_window(
            &OfflineWindow::Hours {
                starts_at: "2026-12-08T09:30:00Z".into(),
                hours: 3,
            },
            &paris,
        )
        .unwrap();
        assert_eq!(w.shape, Shape::Hours { hours: 3 });
        assert_eq!(
            s,
            "2026-12-08T09:00:00Z"
                .parse::<Timestamp>()
                .unwrap()
                .as_millisecond()
        );
        assert_eq!(e - s, 3 * HOUR_MS);
        // 28 March 2026 09:00 CET .. 30 March 12:00 CEST.
        let (w, s, e) = plan_window(
            &OfflineWindow::Daily {
                first_day: "2026-03-28".into(),
                days: 3,
                from_hour: 9,
                to_hour: 12,
            },
            &paris,
        )
        .unwrap();
        assert_eq!(w.start, 20_540);
        assert_eq!(
            s,
            "2026-03-28T08:00:00Z"
                .parse::<Timestamp>()
                .unwrap()
                .as_millisecond()
        );
        assert_eq!(
            e,
            "2026-03-30T10:00:00Z"
                .parse::<Timestamp>()
                .unwrap()
                .as_millisecond()
        );
        for bad in [
            OfflineWindow::Hours {
                starts_at: "tomorrow".into(),
                hours: 3,
            },
            OfflineWindow::OneTime {
                starts_at: "2026-12-08T09:00:00Z".into(),
                hours: 25,
            },
            OfflineWindow::Days {
                starts_at: "2026-12-08T09:00:00Z".into(),
                days: 0,
            },
            OfflineWindow::Daily {
                first_day: "2026-03-28".into(),
                days: 3,
                from_hour: 12,
                to_hour: 9,
            },
        ] {
            assert!(plan_window(&bad, &paris).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn kind_names_are_pinned() {
        assert_eq!(kind_name(&Shape::OneTime { hours: 1 }), "one_time");
        assert_eq!(kind_name(&Shape::Hours { hours: 1 }), "hours");
        assert_eq!(kind_name(&Shape::Days { days: 1, at_h: 0 }), "days");
        assert_eq!(
            kind_name(&Shape::Daily {
                days: 1,
                from_h: 0,
                to_h: 1
            }),
            "daily"
        );
    }
}
