//! `tumbler sim`: provisioning prints the label and refuses to overwrite an
//! image; a bad broker URL is a usage error.

use crate::{code_out, tumbler};

#[test]
fn sim_provision_prints_the_label_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    let image = dir.path().join("locks").join("SIM-T1.img");
    let img = image.to_str().unwrap();
    let (code, out) = code_out(&tumbler(
        &cfg,
        &["sim", "provision", "SIM-T1", "--image", img],
        None,
    ));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("serial:       SIM-T1"), "{out}");
    assert!(out.contains("setup code:"), "{out}");
    assert!(out.contains("TUMBLER:1:SIM-T1:"), "{out}");
    assert!(image.exists());
    let before = std::fs::read(&image).unwrap();
    let (code, _) = code_out(&tumbler(
        &cfg,
        &["sim", "provision", "SIM-T1", "--image", img],
        None,
    ));
    assert_eq!(code, 6, "an existing image is not overwritten");
    assert_eq!(std::fs::read(&image).unwrap(), before);
    let (code, _) = code_out(&tumbler(
        &cfg,
        &["sim", "provision", "bad/serial", "--image", img],
        None,
    ));
    assert_eq!(code, 6);
    let (code, _) = code_out(&tumbler(
        &cfg,
        &["sim", "run", img, "--broker", "http://x"],
        None,
    ));
    assert_eq!(code, 2);
}
