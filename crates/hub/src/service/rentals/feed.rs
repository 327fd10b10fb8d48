//! Reservation feeds read into stays: the iCal exports of Airbnb, Vrbo and
//! Booking.com (all-day `DTSTART;VALUE=DATE`/`DTEND`, a summary, sometimes the
//! guest phone's last four digits), parsed by the `icalendar` crate. Pure: text
//! in, stays out.

use icalendar::{Component, DatePerhapsTime, EventStatus};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// One reservation as a feed states it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stay {
    /// The feed's `UID` (stable per reservation).
    pub uid: String,
    /// `SUMMARY` ("Reserved", a guest name, …).
    pub summary: String,
    /// Arrival day (local).
    pub start: Date,
    /// Departure day (local; exclusive in iCal, the check-out day here).
    pub end: Date,
    /// `STATUS:CANCELLED`.
    pub cancelled: bool,
    /// "Phone Number (Last 4 Digits): 1234" from `DESCRIPTION`, if given.
    /// A possible PIN: redacted in `Debug`.
    pub phone_last4: Option<String>,
}

impl std::fmt::Debug for Stay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stay")
            .field("uid", &self.uid)
            .field("summary", &self.summary)
            .field("start", &self.start)
            .field("end", &self.end)
            .field("cancelled", &self.cancelled)
            .field(
                "phone_last4",
                &self.phone_last4.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Why a feed's text is refused as a whole (nothing is applied from it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    /// Not an iCalendar document (an HTML error page, truncated text).
    #[error("not an iCalendar feed: {0}")]
    Unparsable(String),
    /// An event the hub cannot place (no UID, no start, end before start).
    #[error("event {uid:?}: {reason}")]
    BadEvent {
        /// The event's UID (empty if it has none).
        uid: String,
        /// What is wrong.
        reason: String,
    },
}

/// Summaries of host blocks, not guest stays (no code for them).
fn is_block(summary: &str) -> bool {
    let s = summary.to_ascii_lowercase();
    s.contains("not available") || s.contains("blocked") || s.contains("closed")
}

fn date_of(d: &DatePerhapsTime) -> Result<Date, String> {
    let n = d.date_naive();
    // chrono's date printed and read back by jiff: one calendar vocabulary inside.
    n.format("%Y-%m-%d")
        .to_string()
        .parse::<Date>()
        .map_err(|e| e.to_string())
}

/// The four digits after "Last 4 Digits" in a description, if any.
fn phone_last4(description: &str) -> Option<String> {
    let at = description.to_ascii_lowercase().find("last 4 digits")?;
    let rest = description.get(at..)?;
    let rest = rest.get(rest.find(':')? + 1..)?.trim_start();
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    (digits.len() == 4).then_some(digits)
}

/// Reads a feed into its guest stays (host blocks left out), sorted by start.
pub fn parse_feed(text: &str) -> Result<Vec<Stay>, FeedError> {
    if !text.contains("BEGIN:VCALENDAR") {
        return Err(FeedError::Unparsable("no BEGIN:VCALENDAR".into()));
    }
    let unfolded = icalendar::parser::unfold(text);
    let parsed = icalendar::parser::read_calendar(&unfolded).map_err(FeedError::Unparsable)?;
    let calendar: icalendar::Calendar = parsed.into();
    let mut out = Vec::new();
    for c in calendar.components.iter() {
        let Some(ev) = c.as_event() else { continue };
        let uid = ev.get_uid().unwrap_or_default().trim().to_owned();
        let bad = |reason: &str| FeedError::BadEvent {
            uid: uid.clone(),
            reason: reason.into(),
        };
        if uid.is_empty() {
            return Err(bad("no UID"));
        }
        let summary = ev.get_summary().unwrap_or_default().trim().to_owned();
        if is_block(&summary) {
            continue;
        }
        let start = ev.get_start().ok_or_else(|| bad("no DTSTART"))?;
        let start = date_of(&start).map_err(|e| bad(&e))?;
        let end = match ev.get_end() {
            Some(e) => date_of(&e).map_err(|e| bad(&e))?,
            None => start.tomorrow().map_err(|e| bad(&e.to_string()))?,
        };
        if end <= start {
            return Err(bad("DTEND not after DTSTART"));
        }
        out.push(Stay {
            uid,
            summary,
            start,
            end,
            cancelled: ev.get_status() == Some(EventStatus::Cancelled),
            phone_last4: ev.get_description().and_then(phone_last4),
        });
    }
    out.sort_by(|a, b| (a.start, &a.uid).cmp(&(b.start, &b.uid)));
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const AIRBNB: &str = "BEGIN:VCALENDAR\r\nPRODID;X-RICAL-TZSOURCE=TZINFO:-//Airbnb Inc//Hosting Calendar 0.8.8//EN\r\nCALSCALE:GREGORIAN\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTEND;VALUE=DATE:20261028\r\nDTSTART;VALUE=DATE:20261024\r\nUID:1418fb94e984-a1b2@airbnb.com\r\nDESCRIPTION:Reservation URL: https://www.airbnb.com/hosting/reservations/details/HMABCDEF\\nPhone Number (Last 4 Digits): 4821\r\nSUMMARY:Reserved\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTEND;VALUE=DATE:20261102\r\nDTSTART;VALUE=DATE:20261030\r\nUID:7f3a-blocked@airbnb.com\r\nSUMMARY:Airbnb (Not available)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn an_airbnb_export_gives_its_reservation_and_leaves_blocks_out() {
        let stays = parse_feed(AIRBNB).unwrap();
        assert_eq!(stays.len(), 1);
        let s = &stays[0];
        assert_eq!(s.uid, "1418fb94e984-a1b2@airbnb.com");
        assert_eq!(s.start, jiff::civil::date(2026, 10, 24));
        assert_eq!(s.end, jiff::civil::date(2026, 10, 28));
        assert_eq!(s.phone_last4.as_deref(), Some("4821"));
        assert!(!s.cancelled);
        assert!(
            !format!("{s:?}").contains("4821"),
            "Debug must redact the digits"
        );
    }

    #[test]
    fn a_cancelled_status_and_a_folded_line_are_read() {
        let text = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20261201\nDTEND;VALUE=DATE:20261203\nSUMMARY:CLOSED - Not\n  available\nEND:VEVENT\nBEGIN:VEVENT\nUID:b\nDTSTART;VALUE=DATE:20261205\nDTEND;VALUE=DATE:20261207\nSTATUS:CANCELLED\nSUMMARY:Vrbo guest\nEND:VEVENT\nEND:VCALENDAR\n";
        let stays = parse_feed(text).unwrap();
        assert_eq!(stays.len(), 1);
        assert_eq!(stays[0].uid, "b");
        assert!(stays[0].cancelled);
    }

    #[test]
    fn an_html_page_or_a_bad_event_is_refused_whole() {
        assert!(matches!(
            parse_feed("<html>503</html>"),
            Err(FeedError::Unparsable(_))
        ));
        let no_uid = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261201\nSUMMARY:Reserved\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(matches!(
            parse_feed(no_uid),
            Err(FeedError::BadEvent { .. })
        ));
        let backwards = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART;VALUE=DATE:20261205\nDTEND;VALUE=DATE:20261201\nSUMMARY:Reserved\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(matches!(
            parse_feed(backwards),
            Err(FeedError::BadEvent { .. })
        ));
    }

    #[test]
    fn a_missing_dtend_means_one_night() {
        let t = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART;VALUE=DATE:20261231\nSUMMARY:Reserved\nEND:VEVENT\nEND:VCALENDAR\n";
        let s = parse_feed(t).unwrap();
        assert_eq!(s[0].end, jiff::civil::date(2027, 1, 1));
    }
}
