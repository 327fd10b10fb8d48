//! Tidy: every `.rs` file of every crate in the workspace opens with a `//!`
//! line saying what it is for, and no source file grows past 1,000 lines
//! without saying why at its top (`// long-file:` on one of its first lines).

use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn every_rs_file() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).unwrap() {
        let krate = krate.unwrap().path();
        if !krate.join("Cargo.toml").exists() {
            continue;
        }
        for dir in ["src", "tests", "benches", "examples", "build.rs"] {
            let d = krate.join(dir);
            if d.is_dir() {
                walk(&d, &mut files);
            } else if d.is_file() {
                files.push(d);
            }
        }
    }
    files
}

#[test]
fn every_rs_file_starts_with_a_module_doc() {
    let files = every_rs_file();
    assert!(files.len() > 200, "walked only {} files", files.len());
    let bad: Vec<_> = files
        .iter()
        .filter(|p| !std::fs::read_to_string(p).unwrap().starts_with("//!"))
        .map(|p| p.display().to_string())
        .collect();
    assert!(bad.is_empty(), "files without a //! first line: {bad:?}");
}

#[test]
fn no_file_over_1000_lines_without_a_reason() {
    let long: Vec<_> = every_rs_file()
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let lines = text.lines().count();
            let explained = text.lines().take(20).any(|l| l.contains("// long-file:"));
            (lines > 1000 && !explained).then(|| format!("{} ({lines} lines)", p.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by concern: {long:?}");
}
