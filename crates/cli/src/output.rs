//! Output: readable tables and records printed from the hub's typed
//! answers, or the API's JSON as received with `--json`.

use serde::Serialize;
use serde_json::Value;
use tumbler_hub::model::ts;

use crate::client::Answer;

/// A JSON value's cell text: strings bare, null as `-`, yes/no, others as JSON.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => yes_no(*b),
        other => other.to_string(),
    }
}

/// A flag: `yes` or `no`.
pub fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

/// An optional value (number or text), `-` when absent.
pub fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string)
}

/// A time as the hub writes it (RFC 3339).
pub fn time(ms: i64) -> String {
    ts::text(ms)
}

/// An optional time, `-` when absent.
pub fn opt_time(ms: Option<i64>) -> String {
    ms.map_or_else(|| "-".to_owned(), time)
}

/// An optional JSON value (e.g. a lock's stale reason), `-` when absent.
pub fn opt_json(v: &Option<Value>) -> String {
    v.as_ref().map_or_else(|| "-".to_owned(), cell)
}

/// A nested record shown as its JSON (object keys sorted), `-` when null.
pub fn json_of<T: Serialize>(v: &T) -> String {
    cell(&serde_json::to_value(v).unwrap_or(Value::Null))
}

/// A column: header and the cell of one item.
pub type Column<T> = (&'static str, fn(&T) -> String);

/// Renders `items` with the given columns.
pub fn table<T>(items: &[T], columns: &[Column<T>]) -> String {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|it| columns.iter().map(|(_, f)| f(it)).collect())
        .collect();
    let mut widths: Vec<usize> = columns.iter().map(|(h, _)| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = line(columns.iter().map(|(h, _)| h.to_string()).collect());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    if items.is_empty() {
        out.push_str("(none)\n");
    }
    out
}

/// A record shown as `key  value` lines.
pub trait Record {
    /// Every field the API sends, by its JSON name, with its cell text.
    fn fields(&self) -> Vec<(&'static str, String)>;
}

/// Renders a record as `key  value` lines, keys in byte order (as the
/// API's JSON object was printed before the answers were typed).
pub fn record<T: Record>(item: &T) -> String {
    let mut fields = item.fields();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    let w = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in fields {
        out.push_str(&format!("{k:<w$}  {v}\n"));
    }
    out
}

/// Prints the answer's JSON as received (pretty) or its body with `render`.
pub fn emit<T>(json: bool, a: &Answer<T>, render: impl FnOnce(&T) -> String) {
    if json {
        let mut text = serde_json::to_string_pretty(&a.json).unwrap_or_default();
        text.push('\n');
        out(&text);
    } else {
        out(&render(&a.body));
    }
}

/// Writes to standard output. When the reader has gone (`tumbler … | head`)
/// the command ends quietly with success, as command-line tools do, instead
/// of panicking on the broken pipe.
pub fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let res = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(e) = res {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
pub(crate) mod old {
    //! The printing of untyped answers this module replaced, kept to pin
    //! that typed printing gives the same bytes.

    use serde_json::Value;

    use super::cell;

    /// The old `table`: rows of a JSON array, `(header, field)` columns.
    pub(crate) fn table(items: &Value, columns: &[(&str, &str)]) -> String {
        let empty = Vec::new();
        let rows: Vec<Vec<String>> = items
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .map(|it| {
                columns
                    .iter()
                    .map(|(_, f)| cell(it.get(*f).unwrap_or(&Value::Null)))
                    .collect()
            })
            .collect();
        let mut widths: Vec<usize> = columns.iter().map(|(h, _)| h.len()).collect();
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        let mut out = line(columns.iter().map(|(h, _)| h.to_string()).collect());
        out.push('\n');
        for r in rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        if items.as_array().is_none_or(|a| a.is_empty()) {
            out.push_str("(none)\n");
        }
        out
    }

    /// Typed rows print as the old table printed their JSON (and both print
    /// `(none)` for no rows).
    pub(crate) fn same_table<T: serde::Serialize>(
        items: &[T],
        typed: &[super::Column<T>],
        untyped: &[(&str, &str)],
    ) {
        let json = serde_json::to_value(items).unwrap();
        assert_eq!(super::table(items, typed), table(&json, untyped));
        assert_eq!(
            super::table(&items[..0], typed),
            table(&Value::Array(vec![]), untyped)
        );
    }
}
