//! Output: readable tables, or the API's JSON with `--json`.

use serde_json::Value;

/// A cell's text: strings bare, null as `-`, others as JSON.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        other => other.to_string(),
    }
}

/// Renders rows of `items` with the given (header, field) columns.
pub fn table(items: &Value, columns: &[(&str, &str)]) -> String {
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

/// Renders one object as `key: value` lines.
pub fn record(item: &Value) -> String {
    let mut out = String::new();
    if let Some(obj) = item.as_object() {
        let w = obj.keys().map(|k| k.len()).max().unwrap_or(0);
        for (k, v) in obj {
            out.push_str(&format!("{k:<w$}  {}\n", cell(v)));
        }
    }
    out
}

/// Prints `v` as pretty JSON or with `render`.
pub fn emit(json: bool, v: &Value, render: impl FnOnce(&Value) -> String) {
    if json {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    } else {
        print!("{}", render(v));
    }
}
