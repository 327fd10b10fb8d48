//! `tumbler locks settings ID [--set NAME=VALUE …] [--wait]`: a lock's settings as a
//! table (setting, value, Matter name, pending), or a change of named settings as one
//! operation. Names and values are checked here with the hub's own table
//! (`tumbler_hub::settings`) before anything is sent.

use serde_json::{Map, Value};
use tumbler_hub::api::settings::{LockSettings, SettingView};
use tumbler_hub::model::Operation;
use tumbler_hub::settings::{self as names, SETTINGS};

use super::lock::follow;
use super::{api, Global};
use crate::exit::{self, CliError};
use crate::output::{emit, opt_time, record, table, Column};

const COLUMNS: &[Column<SettingView>] = &[
    ("SETTING", |s| s.name.clone()),
    ("VALUE", |s| s.value.as_ref().map_or("-".into(), text)),
    ("MATTER", |s| s.matter.clone().unwrap_or_else(|| "-".into())),
    ("PENDING", |s| {
        s.pending.as_ref().map_or(String::new(), text)
    }),
];

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads `NAME=VALUE` pairs into the PATCH body; a clear error (valid names, or the
/// setting's range) before anything is sent.
pub fn parse_sets(sets: &[String]) -> Result<Map<String, Value>, CliError> {
    let mut body = Map::new();
    for s in sets {
        let (name, value) = s.split_once('=').ok_or_else(|| {
            CliError::new(
                exit::USAGE,
                format!("--set {s}: write NAME=VALUE, e.g. auto_relock_time=60"),
            )
        })?;
        let spec = names::spec(name.trim()).ok_or_else(|| {
            CliError::new(
                exit::USAGE,
                format!("unknown setting {name:?}; settings are: {}", names::names()),
            )
        })?;
        let v = spec
            .parse_text(value)
            .map_err(|e| CliError::new(exit::USAGE, format!("--set {s}: {e}")))?;
        body.insert(spec.name.to_owned(), v);
    }
    Ok(body)
}

fn render(s: &LockSettings) -> String {
    let mut out = table(&s.settings, COLUMNS);
    out.push_str(&format!("reported: {}\n", opt_time(s.reported_at)));
    let door: Vec<String> = SETTINGS
        .iter()
        .filter_map(|x| x.door_only.map(|v| format!("{}={v}", x.name)))
        .collect();
    out.push_str(&format!(
        "only at the door (keypad admin menu): {}\n",
        door.join(", ")
    ));
    out
}

/// Runs `tumbler locks settings`.
pub async fn run(g: &Global, id: i64, sets: Vec<String>, wait: bool) -> anyhow::Result<()> {
    if sets.is_empty() {
        if wait {
            return Err(CliError::new(exit::USAGE, "--wait goes with --set").into());
        }
        let api = api(g)?;
        let v = api
            .get::<LockSettings>(&format!("/locks/{id}/settings"))
            .await?;
        emit(g.json, &v, render);
        return Ok(());
    }
    let body = parse_sets(&sets)?;
    let api = api(g)?;
    let op = api
        .patch::<Operation, _>(&format!("/locks/{id}/settings"), &body)
        .await?;
    let op = if wait {
        follow(&api, op)
            .await
            .map_err(|e| match e.downcast::<CliError>() {
                Ok(c) if c.message.ends_with("only_at_the_door") => CliError::new(
                    c.code,
                    format!(
                        "{}: the lock accepts this only at the door (keypad admin menu: \
                     adminPIN*81# app reset on, *91# keypad programming on, *70# no PIN \
                     for remote operation; program button first when keypad programming is off)",
                        c.message
                    ),
                )
                .into(),
                Ok(c) => c.into(),
                Err(e) => e,
            })?
    } else {
        op
    };
    if wait && !g.json {
        // Applied: show the settings as the lock now reports them.
        let v = api
            .get::<LockSettings>(&format!("/locks/{id}/settings"))
            .await?;
        println!("operation {} applied; the lock's settings now:", op.body.id);
        emit(false, &v, render);
        return Ok(());
    }
    emit(g.json, &op, record);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_checked_before_sending() {
        let b = parse_sets(&["auto_relock_time=60".into(), "sound_volume=low".into()]).unwrap();
        assert_eq!(b["auto_relock_time"], 60);
        assert_eq!(b["sound_volume"], "low");
        let e = parse_sets(&["volume=low".into()]).unwrap_err();
        assert!(
            e.message.contains("settings are: auto_relock_time"),
            "{}",
            e.message
        );
        let e = parse_sets(&["auto_relock_time=90000".into()]).unwrap_err();
        assert!(e.message.contains("0..=86400 seconds"), "{}", e.message);
        let e = parse_sets(&["auto_relock_time".into()]).unwrap_err();
        assert_eq!(e.code, exit::USAGE);
    }
}
