//! Pieces the people-and-access forms share: a form read as name/value
//! pairs (checkbox lists repeat a name), and the organisation's claimed
//! locks grouped by site with each site's time zone, as checkboxes.

use std::collections::BTreeMap;

use maud::{html, Markup};

use super::Web;
use crate::api::AppState;
use crate::model::ClaimState;
use crate::service::ServiceError;
use crate::store::locks::LockFilter;

/// A submitted form as name/value pairs, in order (`lock=1&lock=2`).
#[derive(Debug, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-blank value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// True if the checkbox `name` was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every value of `name` as identifiers; a value that is not one is
    /// refused as `field`.
    pub fn ids(&self, name: &str, field: &'static str) -> Result<Vec<i64>, ServiceError> {
        self.all(name)
            .into_iter()
            .map(|v| {
                v.parse::<i64>().map_err(|_| ServiceError::Invalid {
                    field,
                    reason: format!("{v:?} is not a lock number"),
                })
            })
            .collect()
    }
}

/// A lock someone may be given access to.
#[derive(Debug, Clone)]
pub struct DoorChoice {
    /// The lock.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// A site's claimed locks.
#[derive(Debug, Clone)]
pub struct SiteDoors {
    /// The site's name ("No site" for locks without one).
    pub site: String,
    /// The IANA time zone schedules on these doors are read in.
    pub time_zone: String,
    /// Its claimed locks, by name.
    pub doors: Vec<DoorChoice>,
}

/// The organisation's claimed locks by site (only claimed locks take access).
pub async fn doors_by_site(s: &AppState, web: &Web) -> Result<Vec<SiteDoors>, ServiceError> {
    let sites = s.service.list_sites(&web.p).await?;
    let mut locks = s.service.list_locks(&web.p, &LockFilter::default()).await?;
    locks.retain(|l| l.claim_state == ClaimState::Claimed);
    locks.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    let mut by_site: BTreeMap<Option<i64>, Vec<DoorChoice>> = BTreeMap::new();
    for l in locks {
        by_site.entry(l.site_id).or_default().push(DoorChoice {
            id: l.id,
            name: l.name,
        });
    }
    let mut out: Vec<SiteDoors> = Vec::new();
    for site in &sites {
        if let Some(doors) = by_site.remove(&Some(site.id)) {
            out.push(SiteDoors {
                site: site.name.clone(),
                time_zone: site.time_zone.clone(),
                doors,
            });
        }
    }
    // Locks of no site (or of a site not listed) read schedules in UTC.
    let rest: Vec<DoorChoice> = by_site.into_values().flatten().collect();
    if !rest.is_empty() {
        out.push(SiteDoors {
            site: "No site".into(),
            time_zone: "UTC".into(),
            doors: rest,
        });
    }
    Ok(out)
}

/// Every lock id of `groups`.
pub fn every_door(groups: &[SiteDoors]) -> Vec<i64> {
    groups
        .iter()
        .flat_map(|g| g.doors.iter().map(|d| d.id))
        .collect()
}

/// The locks a form chose: every claimed one with `all`, else the ticked
/// `lock`s.
pub async fn chosen_doors(s: &AppState, web: &Web, f: &Fields) -> Result<Vec<i64>, ServiceError> {
    if f.checked("all") {
        return Ok(every_door(&doors_by_site(s, web).await?));
    }
    f.ids("lock", "lock_ids")
}

/// Which time zones times are read in, in words.
pub fn zones_note(groups: &[SiteDoors]) -> String {
    let mut zones: Vec<&str> = groups.iter().map(|g| g.time_zone.as_str()).collect();
    zones.sort_unstable();
    zones.dedup();
    match zones.as_slice() {
        [one] => format!("Times are in {one}, the site's time zone."),
        _ => "Times are in each door's site time zone (shown next to each site).".into(),
    }
}

/// The lock checkboxes, by site (with its time zone and local time at
/// `now_ms`), with an "all locks" box.
pub fn door_picker(groups: &[SiteDoors], legend: &str, now_ms: i64) -> Markup {
    let total: usize = groups.iter().map(|g| g.doors.len()).sum();
    html! {
        fieldset.doors {
            legend { (legend) }
            @if total == 0 {
                p.muted { "No claimed lock yet." }
            } @else {
                label.check { input type="checkbox" name="all" value="1"; "All locks (" (total) ")" }
                @for g in groups {
                    fieldset {
                        legend { (g.site) " " span.muted { "(" (g.time_zone) ", now " (super::page::time(Some(now_ms), Some(&g.time_zone))) ")" } }
                        @for d in &g.doors {
                            label.check { input type="checkbox" name="lock" value=(d.id); (d.name) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn repeated_names_are_all_kept_and_blanks_dropped() {
        let f = fields(&[("lock", "3"), ("x", " "), ("lock", "5"), ("lock", "")]);
        assert_eq!(f.ids("lock", "lock_ids").ok(), Some(vec![3, 5]));
        assert_eq!(f.get("x"), None);
        assert!(!f.checked("all"));
        assert!(fields(&[("lock", "x")]).ids("lock", "lock_ids").is_err());
    }

    #[test]
    fn every_door_of_every_site_is_listed() {
        let groups = vec![
            SiteDoors {
                site: "HQ".into(),
                time_zone: "Europe/Paris".into(),
                doors: vec![DoorChoice {
                    id: 1,
                    name: "a".into(),
                }],
            },
            SiteDoors {
                site: "B".into(),
                time_zone: "Europe/Paris".into(),
                doors: vec![DoorChoice {
                    id: 2,
                    name: "b".into(),
                }],
            },
        ];
        assert_eq!(every_door(&groups), vec![1, 2]);
        assert_eq!(
            zones_note(&groups),
            "Times are in Europe/Paris, the site's time zone."
        );
    }
}
