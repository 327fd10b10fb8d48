//! One fetch of one feed, applied: the feed fetched (conditional, backoff on
//! failure), read into stays, compared with the known reservations
//! ([`super::diff::plan`]) and carried out — new codes, re-timed codes,
//! revoked codes — unless the change must wait for a person: then the
//! cancellations are held (`rental_pending`) and an alert raised, while new
//! and moved stays still get their codes. A failing feed changes nothing.

use serde::{Deserialize, Serialize};
use tumbler_control::access::AccessSchedule;
use tumbler_control::SecretPin;

use super::diff::{self, Action, Known};
use super::feed::{parse_feed, Stay};
use super::{parse_hm, MAX_CANCELS};
use crate::feeds::{next_poll_after, Fetched};
use crate::model::{AlertKind, PinSource, ReservationState};
use crate::service::{Principal, Service, ServiceError, ADMINS};
use crate::store::alerts::NewAlert;
use crate::store::rentals::{Feed, Listing};

/// A guest PIN issued by a sync, shown in its answer (and kept sealed when
/// the hub has a key). `Debug` is redacted.
#[derive(Clone, Serialize, Deserialize)]
pub struct StayPin {
    /// The reservation.
    pub reservation_id: i64,
    /// The PIN.
    pub pin: String,
}

impl std::fmt::Debug for StayPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StayPin")
            .field("reservation_id", &self.reservation_id)
            .field("pin", &"<redacted>")
            .finish()
    }
}

/// What one sync of one feed did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SyncReport {
    /// The listing.
    pub listing_id: i64,
    /// The feed.
    pub feed_id: i64,
    /// `applied`, `not_modified`, `held` or `failed`.
    pub outcome: String,
    /// Why it failed (fetch or parse), or why it is held.
    pub error: Option<String>,
    /// New codes.
    pub created: usize,
    /// Codes moved to new dates.
    pub retimed: usize,
    /// Codes revoked.
    pub cancelled: usize,
    /// The held change, if any.
    pub pending_id: Option<i64>,
    /// PINs issued by this sync.
    pub pins: Vec<StayPin>,
    /// Reservations that could not be given or changed a code (and why).
    pub problems: Vec<String>,
}

/// The `DateRange` of a stay's code (local date-times, minutes precision).
fn schedule_of(
    stay: &Stay,
    check_in: jiff::civil::Time,
    check_out: jiff::civil::Time,
) -> AccessSchedule {
    let (from, to) = diff::window(stay, check_in, check_out);
    let hm = |t: jiff::civil::DateTime| t.strftime("%Y-%m-%dT%H:%M").to_string();
    AccessSchedule::DateRange {
        from: hm(from),
        to: hm(to),
    }
}

impl Service {
    /// Polls every feed due now (the hub's background poller; the changes
    /// are the hub's own). Returns how many feeds were polled.
    pub async fn poll_due_feeds(&self) -> Result<usize, ServiceError> {
        let due = self.store.due_feeds(self.now_ms(), 20).await?;
        let n = due.len();
        for (org_id, feed) in due {
            // Claimed for a minute: another hub on the same database skips it.
            if !self
                .store
                .claim_feed_poll(feed.id, feed.next_poll_at, self.now_ms() + 60_000)
                .await?
            {
                continue;
            }
            let Some(listing) = self.store.get_listing(org_id, feed.listing_id).await? else {
                continue;
            };
            let r = self.sync_feed(&listing, &feed).await;
            if let Err(e) = r {
                tracing::warn!(feed = feed.id, error = %e, "rental feed sync failed");
            }
        }
        Ok(n)
    }

    /// Fetches and applies every feed of a listing now (owners, managers).
    pub async fn sync_listing(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<Vec<SyncReport>, ServiceError> {
        self.require(p, ADMINS)?;
        let listing = self.own_listing(p, id).await?;
        let mut out = Vec::new();
        for feed in self.store.listing_feeds(id).await? {
            out.push(self.sync_feed(&listing, &feed).await?);
        }
        Ok(out)
    }

    /// Applies a held change as it was fetched (owners, managers).
    pub async fn confirm_pending(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<SyncReport, ServiceError> {
        self.require(p, ADMINS)?;
        let pending = self
            .store
            .get_pending(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing {
                what: "pending change",
                id,
            })?;
        let listing = self.own_listing(p, pending.listing_id).await?;
        let _one_at_a_time = self.rentals_sync.lock().await;
        let stays: Vec<Stay> = serde_json::from_value(pending.stays)
            .map_err(|e| ServiceError::WrongState(format!("held change unreadable: {e}")))?;
        let mut report = self
            .apply_stays(&listing, pending.feed_id, &stays, true)
            .await?;
        self.store.drop_pending(pending.feed_id).await?;
        report.outcome = "applied".into();
        Ok(report)
    }

    /// Drops a held change: nothing is revoked (owners, managers). Returns
    /// its listing.
    pub async fn discard_pending(&self, p: &Principal, id: i64) -> Result<i64, ServiceError> {
        self.require(p, ADMINS)?;
        let pending = self
            .store
            .get_pending(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing {
                what: "pending change",
                id,
            })?;
        self.store.drop_pending(pending.feed_id).await?;
        Ok(pending.listing_id)
    }

    async fn feed_failed(
        &self,
        listing: &Listing,
        feed: &Feed,
        why: String,
    ) -> Result<SyncReport, ServiceError> {
        let now = self.now_ms();
        let failures = feed.failures + 1;
        let next = now + next_poll_after(listing.poll_minutes * 60_000, failures);
        self.store
            .feed_polled(feed.id, None, None, failures, Some(&why), now, next)
            .await?;
        let message = format!(
            "listing {:?}, feed {}: {why}; nothing was changed",
            listing.name, feed.id
        );
        self.store
            .raise_alert(
                NewAlert {
                    org_id: listing.org_id,
                    lock_id: None,
                    kind: AlertKind::RentalFeedFailed,
                    message: Some(&message),
                },
                now,
            )
            .await?;
        tracing::warn!(feed = feed.id, failures, error = %why, "rental feed failed");
        Ok(SyncReport {
            listing_id: listing.id,
            feed_id: feed.id,
            outcome: "failed".into(),
            error: Some(why),
            ..SyncReport::default()
        })
    }

    /// One fetch of one feed, applied.
    pub(crate) async fn sync_feed(
        &self,
        listing: &Listing,
        feed: &Feed,
    ) -> Result<SyncReport, ServiceError> {
        let _one_at_a_time = self.rentals_sync.lock().await;
        let fetched = self
            .feeds
            .fetch(
                &feed.url,
                feed.etag.as_deref(),
                feed.last_modified.as_deref(),
            )
            .await;
        let now = self.now_ms();
        let (text, etag, last_modified) = match fetched {
            Err(e) => return self.feed_failed(listing, feed, e.to_string()).await,
            Ok(Fetched::NotModified) => {
                self.store
                    .feed_polled(
                        feed.id,
                        None,
                        None,
                        0,
                        None,
                        now,
                        now + listing.poll_minutes * 60_000,
                    )
                    .await?;
                return Ok(SyncReport {
                    listing_id: listing.id,
                    feed_id: feed.id,
                    outcome: "not_modified".into(),
                    ..SyncReport::default()
                });
            }
            Ok(Fetched::Body {
                text,
                etag,
                last_modified,
            }) => (text, etag, last_modified),
        };
        // A body the hub cannot read keeps the old validators, so the next
        // poll fetches it again instead of hearing "not modified".
        let stays = match parse_feed(&text) {
            Ok(s) => s,
            Err(e) => return self.feed_failed(listing, feed, e.to_string()).await,
        };
        let report = self.apply_stays(listing, feed.id, &stays, false).await?;
        self.store
            .feed_polled(
                feed.id,
                etag.as_deref(),
                last_modified.as_deref(),
                0,
                None,
                now,
                now + listing.poll_minutes * 60_000,
            )
            .await?;
        Ok(report)
    }

    /// Carries out what the stays mean for the feed's known reservations;
    /// with `force` a hold is overridden (a person confirmed).
    async fn apply_stays(
        &self,
        listing: &Listing,
        feed_id: i64,
        stays: &[Stay],
        force: bool,
    ) -> Result<SyncReport, ServiceError> {
        let zone = self.listing_zone(listing).await?;
        let tz = jiff::tz::TimeZone::get(&zone)
            .map_err(|_| ServiceError::WrongState(format!("unknown time zone {zone}")))?;
        let today = jiff::Timestamp::from_millisecond(self.now_ms())
            .map_err(|e| ServiceError::WrongState(e.to_string()))?
            .to_zoned(tz)
            .date();
        let rows: Vec<_> = self
            .store
            .listing_reservations(listing.id)
            .await?
            .into_iter()
            .filter(|r| r.feed_id == feed_id && r.state == ReservationState::Active)
            .collect();
        // A reservation whose code could not be given (a door not claimed,
        // a window already over) is not "known": the next fetch tries again.
        let known: Vec<Known> = rows
            .iter()
            .filter(|r| r.person_id.is_some())
            .filter_map(|r| {
                Some(Known {
                    id: r.id,
                    uid: r.uid.clone(),
                    start: r.start_date.parse().ok()?,
                    end: r.end_date.parse().ok()?,
                })
            })
            .collect();
        // Both checked when the listing was made; checked again, never assumed.
        let ci_t = parse_hm("check_in", &listing.check_in)?;
        let co_t = parse_hm("check_out", &listing.check_out)?;
        let mut all = stays.to_vec();
        if listing.cleaner_codes {
            all.extend(diff::cleaner_stays(stays, ci_t, co_t));
        }
        let plan = diff::plan(&known, &all, today, MAX_CANCELS);
        let held = plan.hold.filter(|_| !force);
        let mut report = SyncReport {
            listing_id: listing.id,
            feed_id,
            outcome: "applied".into(),
            ..SyncReport::default()
        };
        let now = self.now_ms();
        if let Some(reason) = held {
            // The phone digits may be a guest's PIN: never stored. (New stays
            // got their codes already; a confirm only revokes, re-times or
            // retries, the last with a generated PIN.)
            let kept: Vec<Stay> = stays
                .iter()
                .map(|s| Stay {
                    phone_last4: None,
                    ..s.clone()
                })
                .collect();
            let json =
                serde_json::to_value(&kept).map_err(|e| ServiceError::WrongState(e.to_string()))?;
            let pending = self
                .store
                .hold_change(listing.id, feed_id, &reason.text(), &json, now)
                .await?;
            let message = format!(
                "listing {:?}: {}; confirm or discard change {}",
                listing.name,
                reason.text(),
                pending.id
            );
            self.store
                .raise_alert(
                    NewAlert {
                        org_id: listing.org_id,
                        lock_id: None,
                        kind: AlertKind::RentalChangeHeld,
                        message: Some(&message),
                    },
                    now,
                )
                .await?;
            report.outcome = "held".into();
            report.error = Some(reason.text());
            report.pending_id = Some(pending.id);
        } else if !force {
            self.store.drop_pending(feed_id).await?;
        }
        for action in plan.actions {
            match action {
                Action::Create(stay) => {
                    let schedule = schedule_of(&stay, ci_t, co_t);
                    let res_id = self
                        .store
                        .upsert_reservation(
                            listing.id,
                            feed_id,
                            &stay.uid,
                            &stay.summary,
                            &stay.start.to_string(),
                            &stay.end.to_string(),
                            now,
                        )
                        .await?;
                    let preferred = match listing.pin_source {
                        PinSource::PhoneLast4 => stay.phone_last4.clone().map(SecretPin::new),
                        _ => None,
                    };
                    let mut summary: String = stay.summary.chars().take(40).collect();
                    if summary.is_empty() {
                        summary = "guest".into();
                    }
                    let guest = format!(
                        "{}: {summary} {}",
                        listing.name.chars().take(40).collect::<String>(),
                        stay.start
                    );
                    match self
                        .grant_stay(
                            listing.org_id,
                            &guest,
                            &listing.lock_ids,
                            schedule,
                            &zone,
                            preferred,
                        )
                        .await
                    {
                        Ok(code) => {
                            let sealed = self
                                .store
                                .seal_guest_pin(res_id, code.pin.expose().as_bytes())?;
                            self.store
                                .set_reservation_code(
                                    res_id,
                                    code.person_id,
                                    code.batch_id,
                                    sealed.as_deref(),
                                    now,
                                )
                                .await?;
                            report.created += 1;
                            report.pins.push(StayPin {
                                reservation_id: res_id,
                                pin: code.pin.expose().to_owned(),
                            });
                        }
                        Err(e) => report.problems.push(format!("reservation {res_id}: {e}")),
                    }
                }
                Action::Retime { id, stay } => {
                    let Some(row) = rows.iter().find(|r| r.id == id) else {
                        continue;
                    };
                    let schedule = schedule_of(&stay, ci_t, co_t);
                    let batch = match row.person_id {
                        Some(person) => match self
                            .retime_stay(listing.org_id, person, schedule, &zone)
                            .await
                        {
                            Ok(b) => b,
                            Err(e) => {
                                report.problems.push(format!("reservation {id}: {e}"));
                                continue;
                            }
                        },
                        None => None,
                    };
                    self.store
                        .retime_reservation(
                            id,
                            &stay.start.to_string(),
                            &stay.end.to_string(),
                            batch,
                            now,
                        )
                        .await?;
                    report.retimed += 1;
                }
                Action::Cancel { id } => {
                    if held.is_some() {
                        continue;
                    }
                    let Some(row) = rows.iter().find(|r| r.id == id) else {
                        continue;
                    };
                    let batch = match row.person_id {
                        Some(person) => match self.revoke_stay(listing.org_id, person).await {
                            Ok(b) => b,
                            Err(e) => {
                                report.problems.push(format!("reservation {id}: {e}"));
                                continue;
                            }
                        },
                        None => None,
                    };
                    self.store.cancel_reservation(id, batch, now).await?;
                    report.cancelled += 1;
                }
            }
        }
        // Codeless ones the feed no longer has are closed (nothing to revoke).
        for r in rows.iter().filter(|r| r.person_id.is_none()) {
            if !all.iter().any(|s| s.uid == r.uid && !s.cancelled) {
                self.store.cancel_reservation(r.id, None, now).await?;
            }
        }
        tracing::info!(
            listing = listing.id,
            feed = feed_id,
            created = report.created,
            retimed = report.retimed,
            cancelled = report.cancelled,
            held = held.is_some(),
            "rental feed applied"
        );
        Ok(report)
    }
}
