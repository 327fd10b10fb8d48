//! Staff cards: master, floor N, zone N, building N, emergency — with
//! days and hours (site local time, a shift may run past midnight) and
//! validity dates (from local midnight of the first day to local midnight
//! after the last).

use super::{images, Issued, Principal, Service, ServiceError, ADMINS};
use crate::hotel::{self, CardClass};
use crate::service::{check_name, invalid, refused};
use crate::store::hotel::NewCard;

/// Longest a staff card may be valid: a lost staff card is only stopped by
/// its end or a deny entry (32 per door), so they are re-encoded often.
pub const MAX_STAFF_DAYS: i32 = 366;

/// A staff card, as the front desk types it.
#[derive(Debug, Clone, Default)]
pub struct StaffCard {
    /// `master`, `floor`, `zone`, `building` or `emergency`.
    pub kind: String,
    /// The floor, zone or building (those kinds only).
    pub scope: Option<i64>,
    /// Who holds it.
    pub holder: String,
    /// First day (local `YYYY-MM-DD`; default today).
    pub from: Option<String>,
    /// Last day (local `YYYY-MM-DD`).
    pub until: String,
    /// Days: `daily` (default), `mon-fri`, `sat,sun`, …
    pub days: Option<String>,
    /// Hours `HH:MM-HH:MM` (default all day).
    pub hours: Option<String>,
}

/// Not a date's form: 400; of the form but no such day: 422.
fn date_error(field: &'static str, s: &str, e: hotel::WhenError) -> ServiceError {
    if hotel::shaped(s, "9999-99-99") {
        refused(field, e.to_string())
    } else {
        invalid(field, e.to_string())
    }
}

impl Service {
    /// Issues a staff card of property (site) `site_id` (owners, managers).
    pub async fn staff_card(
        &self,
        p: &Principal,
        site_id: i64,
        req: StaffCard,
    ) -> Result<Issued, ServiceError> {
        self.require(p, ADMINS)?;
        let site = self.hotel_site(p, site_id).await?;
        let kind = CardClass::parse(req.kind.trim())
            .filter(|k| *k != CardClass::Guest)
            .ok_or_else(|| invalid("kind", "master, floor, zone, building or emergency"))?;
        let scope = match (kind.takes_scope(), req.scope) {
            (true, Some(n)) if (0..=i64::from(u16::MAX)).contains(&n) => Some(n),
            (true, Some(_)) => return Err(invalid("scope", "0..=65535")),
            (true, None) => return Err(refused("scope", "name the floor, zone or building")),
            (false, None) => None,
            (false, Some(_)) => {
                return Err(refused("scope", "only for floor, zone and building cards"))
            }
        };
        let holder = check_name("holder", &req.holder)?;
        let days = hotel::parse_days(req.days.as_deref().unwrap_or("daily"))
            .map_err(|e| refused("days", e.to_string()))?;
        let (from_min, to_min) = hotel::parse_hours(req.hours.as_deref())
            .map_err(|e| invalid("hours", e.to_string()))?;
        let zone = jiff::tz::TimeZone::get(&site.time_zone)
            .map_err(|_| refused("time_zone", "the site's time zone is unknown"))?;
        let today = self.clock.now().to_zoned(zone).date();
        let first = match req.from.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(d) => hotel::parse_date(d).map_err(|e| date_error("from", d, e))?,
            None => today,
        };
        let last = hotel::parse_date(&req.until).map_err(|e| date_error("until", &req.until, e))?;
        if last < first || last < today {
            return Err(refused(
                "until",
                "the last day is before the first or in the past",
            ));
        }
        if first
            .until(last)
            .map_or(true, |s| s.get_days() > MAX_STAFF_DAYS)
        {
            return Err(refused(
                "until",
                format!("at most {MAX_STAFF_DAYS} days: re-encode staff cards often"),
            ));
        }
        let at = |d, m| {
            hotel::local_instant(d, m, &site.time_zone).map_err(|e| invalid("until", e.to_string()))
        };
        let (from_s, until_s) = (at(first, 0)?, at(last, 1440)?);
        if u32::try_from(until_s).is_err() || from_s < 0 {
            return Err(refused("until", "out of a card's range"));
        }
        let pk = self.property_key(p, &site).await?;
        let card = self
            .store
            .hotel_staff_card(
                self.issuer(p),
                site.id,
                &NewCard {
                    kind,
                    scope,
                    from_s,
                    until_s,
                    hours: (i64::from(days), i64::from(from_min), i64::from(to_min)),
                    holder,
                },
            )
            .await?;
        Ok(Issued {
            stay: None,
            cards: images(&pk.key, vec![card], None)?,
        })
    }
}
