//! What a fetched feed means for the codes: the hub's known reservations
//! against the feed's stays → create, re-time, cancel — and whether the change
//! must wait for a person (a feed that suddenly loses every future stay, or
//! more than a threshold). Pure: the day ("today" in the listing's zone) is
//! passed in.

use jiff::civil::{Date, DateTime, Time};
use serde::{Deserialize, Serialize};

use super::feed::Stay;

/// A reservation the hub holds a live code for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// The reservation row.
    pub id: i64,
    /// The feed's UID.
    pub uid: String,
    /// Arrival day.
    pub start: Date,
    /// Departure day.
    pub end: Date,
}

/// One thing to do for a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A new stay: a new code.
    Create(Stay),
    /// Dates changed: the code's window moves.
    Retime {
        /// The reservation row.
        id: i64,
        /// The stay as the feed now says.
        stay: Stay,
    },
    /// Gone from the feed or `CANCELLED`: the code is revoked.
    Cancel {
        /// The reservation row.
        id: i64,
    },
}

/// Why a change is held for a person instead of applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum HoldReason {
    /// The feed has no stay at all but codes would be revoked.
    EmptyFeed {
        /// Codes it would revoke.
        cancels: usize,
    },
    /// Every upcoming reservation (two or more) vanished at once.
    LostAllFuture {
        /// Codes it would revoke.
        cancels: usize,
    },
    /// More cancellations at once than the threshold.
    TooManyCancels {
        /// Codes it would revoke.
        cancels: usize,
        /// The threshold.
        max: usize,
    },
}

impl HoldReason {
    /// In words, for the alert and the pending change.
    pub fn text(self) -> String {
        match self {
            HoldReason::EmptyFeed { cancels } => {
                format!("the feed came back empty; it would revoke {cancels} code(s)")
            }
            HoldReason::LostAllFuture { cancels } => {
                format!("every upcoming reservation vanished from the feed ({cancels} codes)")
            }
            HoldReason::TooManyCancels { cancels, max } => {
                format!("{cancels} reservations vanished at once (more than {max})")
            }
        }
    }
}

/// What to do for one fetch of one feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The actions, creations first in start order.
    pub actions: Vec<Action>,
    /// Set when the plan must not be applied without a person.
    pub hold: Option<HoldReason>,
}

/// Compares the known reservations of a feed with what it now says. Stays
/// that ended before `today` are neither created nor cancelled (their window
/// is over; a feed drops old stays). A cancellation counts against the
/// safety rules only for a reservation not yet over.
pub fn plan(known: &[Known], feed: &[Stay], today: Date, max_cancels: usize) -> Plan {
    let mut actions = Vec::new();
    let live: Vec<&Stay> = feed.iter().filter(|s| !s.cancelled).collect();
    for s in &live {
        if s.end < today {
            continue;
        }
        match known.iter().find(|k| k.uid == s.uid) {
            None => actions.push(Action::Create((*s).clone())),
            Some(k) if k.start != s.start || k.end != s.end => actions.push(Action::Retime {
                id: k.id,
                stay: (*s).clone(),
            }),
            Some(_) => {}
        }
    }
    let mut cancels = 0;
    for k in known {
        if k.end < today || live.iter().any(|s| s.uid == k.uid) {
            continue;
        }
        cancels += 1;
        actions.push(Action::Cancel { id: k.id });
    }
    let upcoming = known.iter().filter(|k| k.end >= today).count();
    let hold = if cancels == 0 {
        None
    } else if live.is_empty() {
        Some(HoldReason::EmptyFeed { cancels })
    } else if cancels == upcoming && upcoming >= 2 {
        Some(HoldReason::LostAllFuture { cancels })
    } else if cancels > max_cancels {
        Some(HoldReason::TooManyCancels {
            cancels,
            max: max_cancels,
        })
    } else {
        None
    };
    Plan { actions, hold }
}

/// The prefix of a cleaner stay's UID (a turnover day, made by the hub).
pub const CLEANER_UID: &str = "cleaner:";

/// A code's window in local time: check-in day at `check_in` to check-out day
/// at `check_out`; for a cleaner stay, its day from `check_out` to `check_in`
/// (the lock enforces it in UTC; the zone's DST rules turn these into
/// instants when the schedule is compiled).
pub fn window(stay: &Stay, check_in: Time, check_out: Time) -> (DateTime, DateTime) {
    if stay.uid.starts_with(CLEANER_UID) {
        (
            stay.start.to_datetime(check_out),
            stay.start.to_datetime(check_in),
        )
    } else {
        (
            stay.start.to_datetime(check_in),
            stay.end.to_datetime(check_out),
        )
    }
}

/// Cleaner stays: one per turnover day (a stay ends the day another begins),
/// UID `cleaner:YYYY-MM-DD`, its window from check-out to check-in that day
/// ([`window`]). None when check-out is not before check-in. Cancelled stays
/// make no turnover.
pub fn cleaner_stays(stays: &[Stay], check_in: Time, check_out: Time) -> Vec<Stay> {
    if check_out >= check_in {
        return Vec::new();
    }
    let mut days: Vec<Date> = stays
        .iter()
        .filter(|s| !s.cancelled && !s.uid.starts_with(CLEANER_UID))
        .filter(|s| {
            stays
                .iter()
                .any(|n| !n.cancelled && n.uid != s.uid && n.start == s.end)
        })
        .map(|s| s.end)
        .collect();
    days.sort();
    days.dedup();
    days.into_iter()
        .map(|d| Stay {
            uid: format!("{CLEANER_UID}{d}"),
            summary: "Cleaner (turnover)".into(),
            start: d,
            end: d,
            cancelled: false,
            phone_last4: None,
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn stay(uid: &str, s: Date, e: Date) -> Stay {
        Stay {
            uid: uid.into(),
            summary: "Reserved".into(),
            start: s,
            end: e,
            cancelled: false,
            phone_last4: None,
        }
    }

    fn known(id: i64, uid: &str, s: Date, e: Date) -> Known {
        Known {
            id,
            uid: uid.into(),
            start: s,
            end: e,
        }
    }

    const TODAY: Date = date(2026, 10, 1);

    #[test]
    fn new_changed_and_gone_reservations() {
        let k = vec![
            known(1, "a", date(2026, 10, 3), date(2026, 10, 5)),
            known(2, "b", date(2026, 10, 10), date(2026, 10, 12)),
            known(3, "c", date(2026, 10, 20), date(2026, 10, 22)),
        ];
        let f = vec![
            stay("a", date(2026, 10, 3), date(2026, 10, 5)),
            stay("b", date(2026, 10, 11), date(2026, 10, 13)),
            stay("d", date(2026, 11, 1), date(2026, 11, 4)),
        ];
        let p = plan(&k, &f, TODAY, 3);
        assert_eq!(p.hold, None);
        assert_eq!(
            p.actions,
            vec![
                Action::Retime {
                    id: 2,
                    stay: f[1].clone()
                },
                Action::Create(f[2].clone()),
                Action::Cancel { id: 3 },
            ]
        );
    }

    #[test]
    fn a_cancelled_status_revokes_like_a_disappearance() {
        let k = vec![
            known(1, "a", date(2026, 10, 3), date(2026, 10, 5)),
            known(2, "b", date(2026, 10, 6), date(2026, 10, 8)),
        ];
        let mut b = stay("b", date(2026, 10, 6), date(2026, 10, 8));
        b.cancelled = true;
        let f = vec![stay("a", date(2026, 10, 3), date(2026, 10, 5)), b];
        let p = plan(&k, &f, TODAY, 3);
        assert_eq!(p.actions, vec![Action::Cancel { id: 2 }]);
        assert_eq!(p.hold, None);
    }

    #[test]
    fn past_stays_are_neither_created_nor_cancelled() {
        let k = vec![known(1, "old", date(2026, 9, 1), date(2026, 9, 5))];
        let f = vec![stay("older", date(2026, 8, 1), date(2026, 8, 3))];
        let p = plan(&k, &f, TODAY, 3);
        assert!(p.actions.is_empty());
        assert_eq!(p.hold, None);
    }

    #[test]
    fn an_empty_feed_or_losing_every_future_stay_is_held() {
        let k = vec![known(1, "a", date(2026, 10, 3), date(2026, 10, 5))];
        let p = plan(&k, &[], TODAY, 3);
        assert_eq!(p.hold, Some(HoldReason::EmptyFeed { cancels: 1 }));
        assert_eq!(p.actions, vec![Action::Cancel { id: 1 }]);

        let k = vec![
            known(1, "a", date(2026, 10, 3), date(2026, 10, 5)),
            known(2, "b", date(2026, 10, 9), date(2026, 10, 12)),
        ];
        let f = vec![stay("z", date(2027, 1, 1), date(2027, 1, 3))];
        let p = plan(&k, &f, TODAY, 3);
        assert_eq!(p.hold, Some(HoldReason::LostAllFuture { cancels: 2 }));

        // One of one cancelled while others remain: an ordinary cancellation.
        let f = vec![stay("a", date(2026, 10, 3), date(2026, 10, 5))];
        assert_eq!(plan(&k, &f, TODAY, 3).hold, None);
    }

    #[test]
    fn more_cancellations_than_the_threshold_are_held() {
        let k: Vec<Known> = (1..=6)
            .map(|i| known(i, &format!("u{i}"), date(2026, 10, 2), date(2026, 10, 4)))
            .collect();
        let f = vec![
            stay("u1", date(2026, 10, 2), date(2026, 10, 4)),
            stay("u2", date(2026, 10, 2), date(2026, 10, 4)),
        ];
        let p = plan(&k, &f, TODAY, 3);
        assert_eq!(
            p.hold,
            Some(HoldReason::TooManyCancels { cancels: 4, max: 3 })
        );
        assert_eq!(plan(&k, &f, TODAY, 4).hold, None);
    }

    #[test]
    fn windows_and_same_day_turnover() {
        let (ci, co) = (time(15, 0, 0, 0), time(11, 0, 0, 0));
        let a = stay("a", date(2026, 10, 24), date(2026, 10, 28));
        let (f, t) = window(&a, ci, co);
        assert_eq!(f.to_string(), "2026-10-24T15:00:00");
        assert_eq!(t.to_string(), "2026-10-28T11:00:00");
        let mut gone = stay("d", date(2026, 11, 4), date(2026, 11, 6));
        gone.cancelled = true;
        let stays = vec![
            a,
            stay("b", date(2026, 10, 28), date(2026, 10, 30)),
            stay("c", date(2026, 11, 2), date(2026, 11, 4)),
            gone,
        ];
        let c = cleaner_stays(&stays, ci, co);
        assert_eq!(c.len(), 1, "only 28 October is a turnover: {c:?}");
        assert_eq!(c[0].uid, "cleaner:2026-10-28");
        let (f, t) = window(&c[0], ci, co);
        assert_eq!(f.to_string(), "2026-10-28T11:00:00");
        assert_eq!(t.to_string(), "2026-10-28T15:00:00");
        // Check-out after check-in leaves no time for a cleaner.
        assert!(cleaner_stays(&stays, time(10, 0, 0, 0), co).is_empty());
    }
}
