//! `tumbler rentals …`: listings whose guest codes come from booking
//! calendars (iCal feeds), sync now, reservations and their codes, held
//! changes to confirm or discard.

use clap::Subcommand;
use tumbler_hub::api::rentals::{AddFeedBody, CodeAnswer, CreateListingBody};
use tumbler_hub::model::PinSource;
use tumbler_hub::service::rentals::{ListingDetail, SyncReport};
use tumbler_hub::store::rentals::{Feed, Listing};

use super::{api, Global};
use crate::output::{emit, table, time, Column};

/// Rentals commands.
#[derive(Debug, Subcommand)]
pub enum RentalsCmd {
    /// Listings: add, list, show.
    #[command(subcommand)]
    Listing(ListingCmd),
    /// Reservation feeds of a listing.
    #[command(subcommand)]
    Feed(FeedCmd),
    /// Fetch and apply every feed of a listing now (new PINs shown once).
    Sync {
        /// Listing id.
        listing: i64,
    },
    /// A listing's reservations, their windows and their codes' door states.
    Reservations {
        /// Listing id.
        listing: i64,
    },
    /// A reservation's guest PIN.
    Code {
        /// Reservation id.
        reservation: i64,
    },
    /// Held feed changes (a feed that failed or lost its reservations).
    #[command(subcommand)]
    Pending(PendingCmd),
}

/// Listing commands.
#[derive(Debug, Subcommand)]
pub enum ListingCmd {
    /// Add a listing.
    #[command(alias = "create")]
    Add {
        /// Name.
        name: String,
        /// Site id (its time zone unless --tz).
        #[arg(long)]
        site: i64,
        /// A door (lock id); repeat for several.
        #[arg(long = "door", required = true)]
        doors: Vec<i64>,
        /// Local check-in time.
        #[arg(long, default_value = "15:00")]
        check_in: String,
        /// Local check-out time.
        #[arg(long, default_value = "11:00")]
        check_out: String,
        /// Own IANA time zone.
        #[arg(long = "tz")]
        time_zone: Option<String>,
        /// Use the guest phone's last 4 digits as the PIN when the feed gives them.
        #[arg(long)]
        phone_pin: bool,
        /// Minutes between polls of each feed.
        #[arg(long, default_value_t = 15)]
        poll_minutes: i64,
        /// A cleaner code for each turnover day (check-out to check-in).
        #[arg(long)]
        cleaner_codes: bool,
    },
    /// List listings.
    List,
    /// One listing: feeds, reservations, held changes.
    Show {
        /// Listing id.
        id: i64,
    },
}

/// Feed commands.
#[derive(Debug, Subcommand)]
pub enum FeedCmd {
    /// Add a feed (the iCal export address of Airbnb, Vrbo, Booking.com, …).
    Add {
        /// Listing id.
        listing: i64,
        /// The feed's address (not `url`: that name is the global hub address).
        #[arg(value_name = "URL")]
        address: String,
    },
}

/// Held-change commands.
#[derive(Debug, Subcommand)]
pub enum PendingCmd {
    /// Apply a held change (revokes the codes it drops).
    Confirm {
        /// Held change id.
        id: i64,
    },
    /// Drop a held change (nothing revoked).
    Discard {
        /// Held change id.
        id: i64,
    },
}

const LISTINGS: &[Column<Listing>] = &[
    ("ID", |l| l.id.to_string()),
    ("NAME", |l| l.name.clone()),
    ("SITE", |l| l.site_id.to_string()),
    ("DOORS", |l| {
        l.lock_ids
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }),
    ("CHECK-IN", |l| l.check_in.clone()),
    ("CHECK-OUT", |l| l.check_out.clone()),
    ("PIN", |l| l.pin_source.as_str().to_owned()),
];

const FEEDS: &[Column<Feed>] = &[
    ("FEED", |f| f.id.to_string()),
    ("URL", |f| f.url.clone()),
    ("FAILURES", |f| f.failures.to_string()),
    ("LAST ERROR", |f| f.last_error.clone().unwrap_or_default()),
    ("NEXT POLL", |f| time(f.next_poll_at)),
];

fn reservations(d: &ListingDetail) -> String {
    let mut out = format!(
        "{} ({}; check-in {}, check-out {})\n",
        d.listing.name, d.zone, d.listing.check_in, d.listing.check_out
    );
    for r in &d.reservations {
        let doors = r
            .doors
            .iter()
            .map(|x| format!("{}:{}", x.lock_id, x.state.as_str()))
            .collect::<Vec<_>>()
            .join(" ");
        out.push_str(&format!(
            "{:>5}  {:<9}  {}  {}  [{}]\n",
            r.reservation.id,
            r.reservation.state.as_str(),
            r.window,
            r.reservation.summary,
            doors
        ));
    }
    out
}

fn detail(d: &ListingDetail) -> String {
    let mut out = reservations(d);
    out.push('\n');
    out.push_str(&table(&d.feeds, FEEDS));
    for p in &d.pending {
        out.push_str(&format!(
            "\nHELD CHANGE {}: {} — `tumbler rentals pending confirm {}` or `… discard {}`\n",
            p.id, p.reason, p.id, p.id
        ));
    }
    out
}

fn report(r: &SyncReport) -> String {
    let mut out = format!(
        "feed {}: {} — {} new, {} moved, {} revoked\n",
        r.feed_id, r.outcome, r.created, r.retimed, r.cancelled
    );
    if let Some(e) = &r.error {
        out.push_str(&format!("  {e}\n"));
    }
    if let Some(p) = r.pending_id {
        out.push_str(&format!(
            "  held as change {p}: `tumbler rentals pending confirm {p}` or `… discard {p}`\n"
        ));
    }
    for pin in &r.pins {
        out.push_str(&format!(
            "  reservation {}: PIN {}\n",
            pin.reservation_id, pin.pin
        ));
    }
    for p in &r.problems {
        out.push_str(&format!("  problem: {p}\n"));
    }
    out
}

/// Runs a rentals command.
pub async fn run(g: &Global, c: RentalsCmd) -> anyhow::Result<()> {
    let api = api(g)?;
    match c {
        RentalsCmd::Listing(ListingCmd::Add {
            name,
            site,
            doors,
            check_in,
            check_out,
            time_zone,
            phone_pin,
            poll_minutes,
            cleaner_codes,
        }) => {
            let body = CreateListingBody {
                name,
                site_id: site,
                time_zone,
                check_in: Some(check_in),
                check_out: Some(check_out),
                lock_ids: doors,
                pin_source: Some(if phone_pin {
                    PinSource::PhoneLast4
                } else {
                    PinSource::Generate
                }),
                poll_minutes: Some(poll_minutes),
                cleaner_codes: Some(cleaner_codes),
            };
            let v = api.post::<Listing, _>("/listings", &body).await?;
            emit(g.json, &v, |l| table(std::slice::from_ref(l), LISTINGS));
        }
        RentalsCmd::Listing(ListingCmd::List) => {
            let v = api.get::<Vec<Listing>>("/listings").await?;
            emit(g.json, &v, |v| table(v, LISTINGS));
        }
        RentalsCmd::Listing(ListingCmd::Show { id }) => {
            let v = api.get::<ListingDetail>(&format!("/listings/{id}")).await?;
            emit(g.json, &v, detail);
        }
        RentalsCmd::Feed(FeedCmd::Add { listing, address }) => {
            let v = api
                .post::<Feed, _>(
                    &format!("/listings/{listing}/feeds"),
                    &AddFeedBody { url: address },
                )
                .await?;
            emit(g.json, &v, |f| table(std::slice::from_ref(f), FEEDS));
        }
        RentalsCmd::Sync { listing } => {
            let v = api
                .post_empty::<Vec<SyncReport>>(&format!("/listings/{listing}/sync"))
                .await?;
            emit(g.json, &v, |v| v.iter().map(report).collect::<String>());
        }
        RentalsCmd::Reservations { listing } => {
            let v = api
                .get::<ListingDetail>(&format!("/listings/{listing}"))
                .await?;
            emit(g.json, &v, reservations);
        }
        RentalsCmd::Code { reservation } => {
            let v = api
                .get::<CodeAnswer>(&format!("/reservations/{reservation}/code"))
                .await?;
            emit(g.json, &v, |c| {
                format!("reservation {}: PIN {}\n", c.reservation_id, c.pin)
            });
        }
        RentalsCmd::Pending(PendingCmd::Confirm { id }) => {
            let v = api
                .post_empty::<SyncReport>(&format!("/rental-changes/{id}/confirm"))
                .await?;
            emit(g.json, &v, report);
        }
        RentalsCmd::Pending(PendingCmd::Discard { id }) => {
            api.post_empty::<serde_json::Value>(&format!("/rental-changes/{id}/discard"))
                .await?;
            if !g.json {
                crate::output::out(&format!("Discarded held change {id}: nothing revoked.\n"));
            }
        }
    }
    Ok(())
}
