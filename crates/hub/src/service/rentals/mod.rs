//! Rentals: listings whose guest codes come from reservation feeds (issue 16).
//! Files: [`feed`] (iCal text → stays, pure), [`diff`] (known reservations vs
//! stays → create / re-time / cancel, and when to hold; pure), [`sync`] (one
//! fetch of one feed applied: codes through `access::stay`, held changes,
//! alerts). This file: listings and feeds (add, list, show).
//!
//! A reservation's code is a person (the guest) with one PIN and a
//! `DateRange` schedule (check-in day at the listing's check-in time to the
//! check-out day at its check-out time, in the listing's zone, DST resolved by
//! the compiler) on the listing's doors; the lock enforces the window.

pub mod diff;
pub mod feed;
mod sync;

use jiff::civil::Time;
use serde::{Deserialize, Serialize};

pub use sync::SyncReport;

use super::{check_name, invalid, refused, Principal, Service, ServiceError, ADMINS, HISTORY};
use crate::model::{ClaimState, PinSource};
use crate::store::rentals::{Feed, Listing, NewListing, Pending, Reservation};
use crate::store::StoreError;

/// Default check-in time.
pub const DEFAULT_CHECK_IN: &str = "15:00";
/// Default check-out time.
pub const DEFAULT_CHECK_OUT: &str = "11:00";
/// Feeds are polled this often unless a listing says otherwise.
pub const DEFAULT_POLL_MINUTES: i64 = 15;
/// More cancellations than this in one fetch are held for a person.
pub const MAX_CANCELS: usize = 3;
/// Feeds per listing.
pub const MAX_FEEDS: usize = 10;
/// Doors per listing.
pub const MAX_DOORS: usize = 50;

/// A listing to create.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListingInput {
    /// Name.
    pub name: String,
    /// Site.
    pub site_id: i64,
    /// Own IANA zone (default: the site's).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Local check-in `HH:MM` (default 15:00).
    #[serde(default)]
    pub check_in: Option<String>,
    /// Local check-out `HH:MM` (default 11:00).
    #[serde(default)]
    pub check_out: Option<String>,
    /// The doors a guest code opens.
    pub lock_ids: Vec<i64>,
    /// `generate` (default) or `phone_last4`.
    #[serde(default)]
    pub pin_source: Option<PinSource>,
    /// Minutes between polls, 1 to 1440 (default 15).
    #[serde(default)]
    pub poll_minutes: Option<i64>,
    /// A cleaner code for each turnover day, check-out to check-in (default no).
    #[serde(default)]
    pub cleaner_codes: Option<bool>,
}

/// A reservation with its code's delivery on each door.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReservationView {
    /// The reservation.
    #[serde(flatten)]
    pub reservation: Reservation,
    /// Local window of its code, e.g. `2026-10-24T15:00 → 2026-10-28T11:00`.
    pub window: String,
    /// Delivery state per door (`pending`, `set`, `removed`, …).
    pub doors: Vec<DoorCode>,
}

/// A code's state on one door.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DoorCode {
    /// The door.
    pub lock_id: i64,
    /// Delivery state.
    pub state: tumbler_control::access::DoorState,
}

/// A listing with its feeds, reservations and held changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListingDetail {
    /// The listing.
    pub listing: Listing,
    /// Its zone (own or the site's).
    pub zone: String,
    /// Feeds and their poll state.
    pub feeds: Vec<Feed>,
    /// Reservations (cancelled ones too).
    pub reservations: Vec<ReservationView>,
    /// Changes waiting for a person.
    pub pending: Vec<Pending>,
}

/// Parses `HH:MM`.
pub(crate) fn parse_hm(field: &'static str, s: &str) -> Result<Time, ServiceError> {
    let bad = || refused(field, "a local time HH:MM (00:00 to 23:59)");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

/// Checks a feed URL: `http(s)://host/…`, at most 2000 characters.
fn check_url(s: &str) -> Result<String, ServiceError> {
    let t = s.trim();
    if t.len() > 2000 {
        return Err(invalid("url", "at most 2000 characters"));
    }
    let u = url::Url::parse(t).map_err(|e| refused("url", e.to_string()))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Err(refused("url", "an http:// or https:// address"));
    }
    Ok(u.to_string())
}

impl Service {
    pub(crate) async fn own_listing(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<Listing, ServiceError> {
        self.store
            .get_listing(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing {
                what: "listing",
                id,
            })
    }

    /// The zone a listing's windows are in: its own, else its site's.
    pub(crate) async fn listing_zone(&self, l: &Listing) -> Result<String, ServiceError> {
        if let Some(z) = &l.time_zone {
            return Ok(z.clone());
        }
        Ok(self
            .store
            .get_site(l.org_id, l.site_id)
            .await?
            .map(|s| s.time_zone)
            .unwrap_or_else(|| "UTC".into()))
    }

    /// Creates a listing (owners, managers).
    pub async fn create_listing(
        &self,
        p: &Principal,
        req: ListingInput,
    ) -> Result<Listing, ServiceError> {
        self.require(p, ADMINS)?;
        let name = check_name("name", &req.name)?;
        self.store
            .get_site(p.org_id, req.site_id)
            .await?
            .ok_or(ServiceError::Missing {
                what: "site",
                id: req.site_id,
            })?;
        if let Some(z) = &req.time_zone {
            jiff::tz::TimeZone::get(z)
                .map_err(|_| refused("time_zone", format!("unknown time zone {z}")))?;
        }
        let check_in = req.check_in.as_deref().unwrap_or(DEFAULT_CHECK_IN);
        let check_out = req.check_out.as_deref().unwrap_or(DEFAULT_CHECK_OUT);
        let (ci, co) = (
            parse_hm("check_in", check_in)?,
            parse_hm("check_out", check_out)?,
        );
        if req.lock_ids.is_empty() || req.lock_ids.len() > MAX_DOORS {
            return Err(invalid("lock_ids", format!("1 to {MAX_DOORS} doors")));
        }
        let poll_minutes = req.poll_minutes.unwrap_or(DEFAULT_POLL_MINUTES);
        if !(1..=1440).contains(&poll_minutes) {
            return Err(invalid("poll_minutes", "1 to 1440"));
        }
        let mut seen = std::collections::HashSet::new();
        for id in &req.lock_ids {
            if !seen.insert(*id) {
                return Err(invalid("lock_ids", format!("lock {id} listed twice")));
            }
            let lock = self.own_lock(p, *id).await?;
            if lock.claim_state != ClaimState::Claimed {
                return Err(ServiceError::WrongState(format!(
                    "lock {id} is {}; claim it first",
                    lock.claim_state
                )));
            }
        }
        let (ci, co) = (
            format!("{:02}:{:02}", ci.hour(), ci.minute()),
            format!("{:02}:{:02}", co.hour(), co.minute()),
        );
        self.store
            .create_listing(
                NewListing {
                    org_id: p.org_id,
                    site_id: req.site_id,
                    name: &name,
                    time_zone: req.time_zone.as_deref(),
                    check_in: &ci,
                    check_out: &co,
                    lock_ids: &req.lock_ids,
                    pin_source: req.pin_source.unwrap_or(PinSource::Generate),
                    poll_minutes,
                    cleaner_codes: req.cleaner_codes.unwrap_or(false),
                },
                self.now_ms(),
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict => ServiceError::Conflict("listing name"),
                e => e.into(),
            })
    }

    /// The organisation's listings (owners, managers, support).
    pub async fn list_listings(&self, p: &Principal) -> Result<Vec<Listing>, ServiceError> {
        self.require(p, HISTORY)?;
        Ok(self.store.list_listings(p.org_id).await?)
    }

    /// A listing with feeds, reservations (and their codes' door states) and
    /// held changes (owners, managers, support).
    pub async fn listing_detail(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<ListingDetail, ServiceError> {
        self.require(p, HISTORY)?;
        let listing = self.own_listing(p, id).await?;
        let zone = self.listing_zone(&listing).await?;
        let feeds = self.store.listing_feeds(id).await?;
        let mut reservations = Vec::new();
        for r in self.store.listing_reservations(id).await? {
            let mut doors = Vec::new();
            if let Some(person) = r.person_id {
                for d in self.store.doors_of_person(person).await? {
                    let d = self.plane.reconcile_door(d).await?;
                    doors.push(DoorCode {
                        lock_id: d.lock_id,
                        state: d.state,
                    });
                }
            }
            let window = if r.uid.starts_with(diff::CLEANER_UID) {
                format!(
                    "{}T{} → {}T{}",
                    r.start_date, listing.check_out, r.end_date, listing.check_in
                )
            } else {
                format!(
                    "{}T{} → {}T{}",
                    r.start_date, listing.check_in, r.end_date, listing.check_out
                )
            };
            reservations.push(ReservationView {
                reservation: r,
                window,
                doors,
            });
        }
        let pending = self.store.listing_pending(id).await?;
        Ok(ListingDetail {
            listing,
            zone,
            feeds,
            reservations,
            pending,
        })
    }

    /// Adds a reservation feed to a listing, polled from now on (owners, managers).
    pub async fn add_feed(
        &self,
        p: &Principal,
        listing_id: i64,
        url: &str,
    ) -> Result<Feed, ServiceError> {
        self.require(p, ADMINS)?;
        let url = check_url(url)?;
        self.own_listing(p, listing_id).await?;
        if self.store.listing_feeds(listing_id).await?.len() >= MAX_FEEDS {
            return Err(refused(
                "url",
                format!("at most {MAX_FEEDS} feeds per listing"),
            ));
        }
        self.store
            .add_feed(listing_id, &url, self.now_ms())
            .await
            .map_err(|e| match e {
                StoreError::Conflict => ServiceError::Conflict("feed"),
                e => e.into(),
            })
    }

    /// The guest PIN of a reservation, when the hub keeps it sealed (owners, managers).
    pub async fn reservation_code(&self, p: &Principal, id: i64) -> Result<String, ServiceError> {
        self.require(p, ADMINS)?;
        let (_, sealed) =
            self.store
                .get_reservation(p.org_id, id)
                .await?
                .ok_or(ServiceError::Missing {
                    what: "reservation",
                    id,
                })?;
        let sealed = sealed.ok_or_else(|| {
            ServiceError::WrongState(
                "this hub does not keep guest PINs (no binding key), or the code was revoked"
                    .into(),
            )
        })?;
        let pin = self.store.open_guest_pin(id, &sealed)?;
        String::from_utf8(pin.to_vec())
            .map_err(|_| ServiceError::WrongState("unreadable PIN".into()))
    }
}
