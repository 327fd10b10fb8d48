//! Tidy: every `.rs` file of the hub and the CLI opens with a `//!` line.

use std::path::Path;

fn walk(dir: &Path, bad: &mut Vec<String>, seen: &mut usize) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, bad, seen);
        } else if path.extension().is_some_and(|e| e == "rs") {
            *seen += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            if !text.starts_with("//!") {
                bad.push(path.display().to_string());
            }
        }
    }
}

#[test]
fn every_rs_file_starts_with_a_module_doc() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut bad = Vec::new();
    let mut seen = 0;
    for dir in ["src", "tests", "../cli/src", "../cli/tests"] {
        let d = root.join(dir);
        if d.exists() {
            walk(&d, &mut bad, &mut seen);
        }
    }
    assert!(seen > 20, "walked only {seen} files");
    assert!(bad.is_empty(), "files without a //! first line: {bad:?}");
}
