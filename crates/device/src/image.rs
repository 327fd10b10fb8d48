//! The lock's flash image file: provisioning a factory identity, and mounting it at boot.
//!
//! One image file per lock ([`tumbler_store::FileFlash`], [`Layout::standard`]). The factory
//! partition holds the postcard-encoded [`FactoryData`] (serial, identity key seed, setup code,
//! manufacturer key); no reset ever erases it.

use ed25519_dalek::SigningKey;
use rand_core::CryptoRng;
use std::path::{Path, PathBuf};
use tumbler_lock::config::SERIAL_LEN;
use tumbler_lock::FactoryData;
use tumbler_store::nor_flash::{ErrorType, NorFlash, ReadNorFlash};
use tumbler_store::sim_flash::{PAGE_SIZE, WORD_SIZE};
use tumbler_store::{
    FileFlash, FileFlashError, Layout, MountError, MountReport, Region, SimFlash, Store,
};

/// A lock's flash: an image file (`tumbler sim run`), or memory only (fleets of thousands, where
/// one open file per lock would exhaust file descriptors). Same NOR rules either way.
#[derive(Debug)]
#[non_exhaustive]
pub enum DeviceFlash {
    /// Backed by an image file.
    File(FileFlash),
    /// Kept in memory; lost when the process ends.
    Memory(SimFlash),
}

impl DeviceFlash {
    /// Arms a power cut after `units` more units (bytes written + pages erased): the
    /// battery falls out mid-write (tests and the console's `cut-power-after`).
    pub fn cut_power_after(&mut self, units: u64) {
        match self {
            Self::File(f) => f.cut_power_after(units),
            Self::Memory(m) => m.cut_power_after(units),
        }
    }

    /// Whether the armed power cut has happened.
    pub fn power_was_cut(&self) -> bool {
        match self {
            Self::File(f) => f.power_was_cut(),
            Self::Memory(m) => m.power_was_cut(),
        }
    }

    /// Cut points this flash has passed since it was opened (bytes written + pages erased).
    pub fn cut_units(&self) -> u64 {
        match self {
            Self::File(f) => f.stats().cut_units(),
            Self::Memory(m) => m.stats().cut_units(),
        }
    }
}

impl ErrorType for DeviceFlash {
    type Error = FileFlashError;
}

impl ReadNorFlash for DeviceFlash {
    const READ_SIZE: usize = WORD_SIZE;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        match self {
            Self::File(f) => f.read(offset, bytes).await,
            Self::Memory(m) => m
                .read_blocking(offset, bytes)
                .map_err(FileFlashError::Flash),
        }
    }

    fn capacity(&self) -> usize {
        match self {
            Self::File(f) => f.capacity(),
            Self::Memory(m) => m.size(),
        }
    }
}

impl NorFlash for DeviceFlash {
    const WRITE_SIZE: usize = WORD_SIZE;
    const ERASE_SIZE: usize = PAGE_SIZE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        match self {
            Self::File(f) => f.erase(from, to).await,
            Self::Memory(m) => m.erase_blocking(from, to).map_err(FileFlashError::Flash),
        }
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        match self {
            Self::File(f) => f.write(offset, bytes).await,
            Self::Memory(m) => m
                .write_blocking(offset, bytes)
                .map_err(FileFlashError::Flash),
        }
    }
}

/// The store over one lock's flash.
pub type ImageStore = Store<DeviceFlash>;

/// The simulation's manufacturer key seed. The simulated factory signs reset tokens with it; a
/// real manufacturer keeps its key in an HSM. Public so the hub's simulation can issue tokens.
pub const SIM_MANUFACTURER_SEED: [u8; 32] = *b"tumbler-sim-manufacturer-key-v1!";

/// The simulation manufacturer's signing key (see [`SIM_MANUFACTURER_SEED`]).
pub fn sim_manufacturer_key() -> SigningKey {
    SigningKey::from_bytes(&SIM_MANUFACTURER_SEED)
}

/// What is printed on a lock's label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Serial number.
    pub serial: String,
    /// Setup code (8 digits), the secret for claiming the lock.
    pub setup_code: String,
    /// QR-style setup string: `TUMBLER:1:<serial>:<setup code>`.
    pub setup_string: String,
    /// The factory identity public key (hex), which verifies reset records and self-checks.
    pub identity_public_key: String,
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "serial:       {}", self.serial)?;
        writeln!(f, "setup code:   {}", self.setup_code)?;
        writeln!(f, "setup string: {}", self.setup_string)?;
        write!(f, "identity key: {}", self.identity_public_key)
    }
}

/// Parses a setup string `TUMBLER:1:<serial>:<setup code>` into (serial, setup code).
pub fn parse_setup_string(s: &str) -> Option<(String, String)> {
    let mut parts = s.trim().splitn(4, ':');
    let (tag, ver, serial, code) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (tag == "TUMBLER" && ver == "1" && valid_serial(serial).is_ok() && !code.is_empty())
        .then(|| (serial.to_string(), code.to_string()))
}

/// Why provisioning failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvisionError {
    /// The serial is empty, too long, or has characters other than `A-Z a-z 0-9 - _`.
    #[error("bad serial: {0}")]
    BadSerial(String),
    /// The image file already exists (provisioning never overwrites a lock's identity).
    #[error(
        "{} already exists; a lock's identity is never overwritten (remove the file to re-provision)",
        .0.display()
    )]
    Exists(PathBuf),
    /// The image file could not be created or written.
    #[error("cannot write the flash image: {0}")]
    Io(std::io::Error),
    /// The store refused to format the image (a bug: the standard layout fits).
    #[error("cannot format the flash image: {0}")]
    Format(String),
}

/// Checks that `serial` can be a serial (and an MQTT topic level).
pub fn valid_serial(serial: &str) -> Result<(), String> {
    if serial.is_empty() {
        return Err("it is empty".into());
    }
    if serial.len() > SERIAL_LEN {
        return Err(format!("`{serial}` is longer than {SERIAL_LEN} characters"));
    }
    if let Some(c) = serial
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "`{serial}` contains {c:?}; use only A-Z, a-z, 0-9, - and _"
        ));
    }
    Ok(())
}

/// Creates a new flash image at `path` holding the factory identity of lock `serial`: an Ed25519
/// identity key and an 8-digit setup code (`tumbler_proto::claim::SETUP_CODE_DIGITS`) drawn from `rng`. Returns the label to print.
pub fn provision<R: CryptoRng>(
    path: &Path,
    serial: &str,
    rng: &mut R,
) -> Result<Label, ProvisionError> {
    valid_serial(serial).map_err(ProvisionError::BadSerial)?;
    if path.exists() {
        return Err(ProvisionError::Exists(path.to_path_buf()));
    }
    let (factory, code) = new_factory(serial, rng);
    let flash =
        FileFlash::create(path, Layout::standard_size() as usize).map_err(ProvisionError::Io)?;
    format(DeviceFlash::File(flash), &factory)?;
    Ok(label_of(serial, &code, &factory))
}

/// Like [`provision`], but the flash lives in memory (for fleets); returns the formatted flash.
pub fn provision_memory<R: CryptoRng>(
    serial: &str,
    rng: &mut R,
) -> Result<(Label, DeviceFlash), ProvisionError> {
    valid_serial(serial).map_err(ProvisionError::BadSerial)?;
    let (factory, code) = new_factory(serial, rng);
    let flash = format(
        DeviceFlash::Memory(SimFlash::new(Layout::standard_size() as usize)),
        &factory,
    )?;
    Ok((label_of(serial, &code, &factory), flash))
}

fn new_factory<R: CryptoRng>(serial: &str, rng: &mut R) -> (FactoryData, String) {
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let code: String = (0..tumbler_proto::claim::SETUP_CODE_DIGITS)
        .map(|_| char::from(b'0' + (rng.next_u32() % 10) as u8))
        .collect();
    let factory = FactoryData::new(
        serial,
        seed,
        code.as_bytes(),
        sim_manufacturer_key().verifying_key().to_bytes(),
        0,
    );
    (factory, code)
}

fn format(flash: DeviceFlash, factory: &FactoryData) -> Result<DeviceFlash, ProvisionError> {
    let bytes = postcard::to_allocvec(factory)
        .map_err(|e| ProvisionError::Format(format!("factory data: {e}")))?;
    let store = Store::format(flash, Layout::standard(), &bytes)
        .map_err(|e| ProvisionError::Format(format!("{e:?}")))?;
    Ok(store.into_flash())
}

fn label_of(serial: &str, code: &str, factory: &FactoryData) -> Label {
    Label {
        serial: serial.to_string(),
        setup_string: format!("TUMBLER:1:{serial}:{code}"),
        setup_code: code.to_string(),
        identity_public_key: hex::encode(factory.identity_public()),
    }
}

/// Reads the label of an existing image (serial, setup code, setup string, identity key), e.g.
/// to print it again or to claim a demo lock.
pub fn read_label(path: &Path) -> Result<Label, BootError> {
    let (_store, _mounted, factory) = mount(path)?;
    let code = String::from_utf8_lossy(&factory.setup_code).into_owned();
    Ok(label_of(factory.serial.as_str(), &code, &factory))
}

/// Why a lock could not boot from its image.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BootError {
    /// The image file could not be opened (missing, unreadable, wrong size).
    #[error("cannot open flash image {}: {error}", path.display())]
    Open {
        /// The image.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// The image was never provisioned.
    #[error(
        "{} is not a provisioned lock image (run `tumbler sim provision` first)",
        .0.display()
    )]
    NotProvisioned(PathBuf),
    /// The factory partition is damaged: the lock's identity is gone and it needs the factory.
    #[error(
        "{}: the factory partition is corrupted; the lock's identity is lost and it must go back to the factory (re-provision)",
        .0.display()
    )]
    FactoryCorrupt(PathBuf),
    /// The image was written by an unknown format version.
    #[error("the image uses flash format version {0}, which this simulator does not know")]
    UnsupportedVersion(u16),
    /// The factory data does not decode.
    #[error("the factory partition does not hold valid factory data")]
    BadFactoryData,
    /// The store or flash failed in another way.
    #[error("flash store error: {0}")]
    Store(String),
    /// The OS gave no entropy for the lock's RNG (its keys would be guessable).
    #[error("the OS has no entropy for the lock's keys; refusing to boot")]
    NoEntropy,
}

/// What mounting found, in words for the console/log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mounted {
    /// The store's report.
    pub report: MountReport,
    /// Set when the operational state was unreadable and was wiped: the region, in words.
    pub recovered_from: Option<String>,
}

fn region_name(r: Region) -> String {
    format!("{r:?}").to_lowercase()
}

fn open_flash(path: &Path) -> Result<DeviceFlash, BootError> {
    FileFlash::open(path, Layout::standard_size() as usize)
        .map(DeviceFlash::File)
        .map_err(|error| BootError::Open {
            path: path.to_path_buf(),
            error,
        })
}

/// Opens and mounts the image at `path`, decoding its factory data. An image whose operational
/// state is unreadable (but whose factory partition is intact) is recovered: the state is wiped
/// and the lock comes up in setup mode, as a real lock would after a corrupted update.
pub fn mount(path: &Path) -> Result<(ImageStore, Mounted, FactoryData), BootError> {
    mount_with(path, || open_flash(path))
}

/// Mounts an in-memory flash (see [`mount`]); `name` is used in messages.
pub fn mount_memory(
    name: &Path,
    flash: SimFlash,
) -> Result<(ImageStore, Mounted, FactoryData), BootError> {
    let image = flash.image();
    let mut first = Some(flash);
    mount_with(name, move || {
        Ok(DeviceFlash::Memory(
            first.take().unwrap_or_else(|| SimFlash::from_image(&image)),
        ))
    })
}

fn mount_with(
    path: &Path,
    mut open: impl FnMut() -> Result<DeviceFlash, BootError>,
) -> Result<(ImageStore, Mounted, FactoryData), BootError> {
    let flash = open()?;
    let (store, mounted) = match Store::mount(flash, Layout::standard()) {
        Ok((store, report)) => (
            store,
            Mounted {
                report,
                recovered_from: None,
            },
        ),
        Err(MountError::StateLost { region }) => {
            let flash = open()?;
            let note = format!("recovered: {} region unreadable", region_name(region));
            let (store, report) = Store::recover(flash, Layout::standard(), note.as_bytes())
                .map_err(|e| mount_error(path, e))?;
            (
                store,
                Mounted {
                    report,
                    recovered_from: Some(region_name(region)),
                },
            )
        }
        Err(e) => return Err(mount_error(path, e)),
    };
    let mut factory: FactoryData =
        postcard::from_bytes(store.factory()).map_err(|_| BootError::BadFactoryData)?;
    // The store keeps the authoritative reset counter (it survives resets with the partition).
    factory.reset_counter = store.reset_counter();
    Ok((store, mounted, factory))
}

fn mount_error<E: std::fmt::Debug>(path: &Path, e: MountError<E>) -> BootError {
    match e {
        MountError::NotFormatted => BootError::NotProvisioned(path.to_path_buf()),
        MountError::FactoryCorrupt => BootError::FactoryCorrupt(path.to_path_buf()),
        MountError::UnsupportedVersion { found } => BootError::UnsupportedVersion(found),
        other => BootError::Store(format!("{other:?}")),
    }
}
