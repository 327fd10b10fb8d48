//! `FileFlash`: the image file keeps everything acknowledged across handles.

use tumbler_store::{FileFlash, ItemOp, Layout, MountOutcome, Store};

#[test]
fn file_image_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lock-0001.img");
    let layout = Layout::standard();
    let size = Layout::standard_size() as usize;
    {
        let flash = FileFlash::create(&path, size).unwrap();
        let mut store = Store::format(flash, layout.clone(), b"serial=1").unwrap();
        store
            .commit(&[ItemOp::Put(1, b"a"), ItemOp::Put(2, b"b")])
            .unwrap();
        store.log_append(b"unlock").unwrap();
        // Dropped without any shutdown step, like a killed process.
    }
    {
        let flash = FileFlash::open(&path, size).unwrap();
        let (mut store, report) = Store::mount(flash, layout.clone()).unwrap();
        assert_eq!(report.outcome, MountOutcome::Restored);
        assert_eq!(store.get(2).unwrap(), Some(&b"b"[..]));
        assert_eq!(store.factory(), b"serial=1");
        store.factory_reset(b"reset").unwrap();
    }
    let flash = FileFlash::open_or_create(&path, size).unwrap();
    let (_, report) = Store::mount(flash, layout).unwrap();
    assert_eq!(report.outcome, MountOutcome::Fresh);
    assert_eq!(report.reset_counter, 1);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size as u64);
}

#[test]
fn wrong_size_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.img");
    FileFlash::create(&path, 8192).unwrap();
    assert!(FileFlash::open(&path, 4096).is_err());
    assert!(FileFlash::create(&path, 1000).is_err());
}

#[test]
fn file_flash_enforces_the_flash_contract() {
    use tumbler_store::nor_flash::NorFlash;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.img");
    let mut f = FileFlash::create(&path, 8192).unwrap();
    embassy_block_on(f.write(0, &[0x0F, 0xFF, 0xFF, 0xFF])).unwrap();
    assert!(embassy_block_on(f.write(0, &[0x00; 4])).is_err());
    assert!(embassy_block_on(f.write(2, &[0x00; 4])).is_err());
    embassy_block_on(f.erase(0, 4096)).unwrap();
    embassy_block_on(f.write(0, &[0x00; 4])).unwrap();
    drop(f);
    let img = std::fs::read(&path).unwrap();
    assert_eq!(&img[..5], &[0, 0, 0, 0, 0xFF]);
}

/// Polls a future that never waits (the flash back ends are synchronous).
fn embassy_block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("flash future pending"),
    }
}

/// Environment variable naming the image the child process writes to.
const CHILD_IMAGE: &str = "TUMBLER_STORE_CHILD_IMAGE";

/// Child half of `killed_process_loses_nothing_acknowledged`: commits, then
/// aborts (no destructors, no flush — like `kill -9`). Does nothing when run
/// on its own.
#[test]
fn child_commits_then_aborts() {
    let Ok(path) = std::env::var(CHILD_IMAGE) else {
        return;
    };
    let flash = FileFlash::open(&path, Layout::standard_size() as usize).unwrap();
    let (mut store, _) = Store::mount(flash, Layout::standard()).unwrap();
    store
        .commit(&[ItemOp::Put(1, b"acknowledged"), ItemOp::Put(2, b"too")])
        .unwrap();
    store.log_append(b"acknowledged record").unwrap();
    std::process::abort();
}

#[test]
fn killed_process_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("killed.img");
    let flash = FileFlash::create(&path, Layout::standard_size() as usize).unwrap();
    drop(Store::format(flash, Layout::standard(), b"serial=k").unwrap());
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "file_flash::child_commits_then_aborts",
            "--test-threads=1",
        ])
        .env(CHILD_IMAGE, &path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the child must have been killed");
    let flash = FileFlash::open(&path, Layout::standard_size() as usize).unwrap();
    let (mut store, report) = Store::mount(flash, Layout::standard()).unwrap();
    assert_eq!(report.items, 2);
    assert_eq!(store.get(1).unwrap(), Some(&b"acknowledged"[..]));
    let mut log = Vec::new();
    store
        .for_each_log_record(0, |_, r| log.push(r.to_vec()))
        .unwrap();
    assert_eq!(log, vec![b"acknowledged record".to_vec()]);
}

/// The image holds the lock's secrets: created owner-only (0600) whatever the umask, and an
/// image left readable by everyone is tightened when it is opened (issue 13).
#[cfg(unix)]
#[test]
fn image_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.img");
    let size = Layout::standard_size() as usize;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    drop(FileFlash::create(&path, size).unwrap());
    assert_eq!(mode(&path), 0o600);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(FileFlash::open(&path, size).unwrap());
    assert_eq!(mode(&path), 0o600);
    // Created over an existing world-readable file (provisioning again).
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    drop(FileFlash::create(&path, size).unwrap());
    assert_eq!(mode(&path), 0o600);
}
