//! Attaching a console to a running lock: lines in, the lock's answers out, over the local link.

use crate::local::{LinkError, LocalClient};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

/// Why the console could not attach to or talk to a lock.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsoleError {
    /// `<lock>` is neither an address nor an image whose running lock left its link address.
    #[error(
        "no running lock `{lock}`: {} does not exist (start it with `tumbler sim run`)",
        looked_in.display()
    )]
    NotFound {
        /// What was given.
        lock: String,
        /// Where the link address was looked for.
        looked_in: PathBuf,
    },
    /// The link address file exists but does not hold an address.
    #[error("{} does not hold a link address", .0.display())]
    BadAddressFile(PathBuf),
    /// The lock did not answer (not running, or it stopped).
    #[error("cannot reach the lock: {0}")]
    Link(LinkError),
    /// Reading the person's input or writing the answers failed.
    #[error("console: {0}")]
    Io(std::io::Error),
}

impl From<LinkError> for ConsoleError {
    fn from(e: LinkError) -> Self {
        Self::Link(e)
    }
}

impl From<std::io::Error> for ConsoleError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// Where a running lock writes its local-link address: beside its flash image.
pub fn link_file(image: &Path) -> PathBuf {
    let mut p = image.as_os_str().to_owned();
    p.push(".link");
    PathBuf::from(p)
}

/// Where `tumbler sim` keeps lock images by default (relative to the working directory).
pub const DEFAULT_SIM_DIR: &str = ".tumbler/sim";

/// Where `tumbler up` keeps its simulated locks' images by default (its data
/// directory `.tumbler`, folder `locks`).
pub const UP_LOCKS_DIR: &str = ".tumbler/locks";

/// The image path of lock `serial` in `dir`: `<dir>/<serial>.img`.
pub fn image_path(dir: &Path, serial: &str) -> PathBuf {
    dir.join(format!("{serial}.img"))
}

/// Finds a running lock's local-link address from `lock`: a socket address (`127.0.0.1:4000`),
/// the path of its flash image (the lock wrote `<image>.link` when it started), or a serial
/// whose image is in [`DEFAULT_SIM_DIR`] or [`UP_LOCKS_DIR`].
pub fn resolve(lock: &str) -> Result<SocketAddr, ConsoleError> {
    resolve_in(
        lock,
        &[PathBuf::from(DEFAULT_SIM_DIR), PathBuf::from(UP_LOCKS_DIR)],
    )
}

/// [`resolve`], looking for a serial's image in `dirs`, in order.
pub fn resolve_in(lock: &str, dirs: &[PathBuf]) -> Result<SocketAddr, ConsoleError> {
    if let Ok(a) = lock.parse::<SocketAddr>() {
        return Ok(a);
    }
    let by_serial = dirs
        .iter()
        .map(|d| image_path(d, lock))
        .find(|img| link_file(img).exists());
    let image = match by_serial {
        Some(img) if !Path::new(lock).exists() => img,
        _ => PathBuf::from(lock),
    };
    let file = link_file(&image);
    let text = std::fs::read_to_string(&file).map_err(|_| ConsoleError::NotFound {
        lock: lock.to_string(),
        looked_in: file.clone(),
    })?;
    text.trim()
        .parse()
        .map_err(|_| ConsoleError::BadAddressFile(file))
}

/// Runs a console against the lock at `addr`: each line of `input` is sent, and the lock's answer
/// written to `output`, until the input ends or the person types `quit`/`exit`.
pub async fn console<I, O>(addr: SocketAddr, input: I, mut output: O) -> Result<(), ConsoleError>
where
    I: AsyncBufRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let mut client = LocalClient::connect(addr).await?;
    let mut lines = input.lines();
    output
        .write_all(b"connected; type `help` for the commands, `quit` to leave\n")
        .await?;
    while let Some(line) = lines.next_line().await? {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed == "quit" || trimmed == "exit" {
            break;
        }
        let answer = client.console_line(&card_path_from_here(trimmed)).await?;
        output.write_all(answer.as_bytes()).await?;
        if !answer.ends_with('\n') {
            output.write_all(b"\n").await?;
        }
        output.flush().await?;
    }
    Ok(())
}

/// `card @PATH` with a relative path names a file relative to where the person typed it, not
/// to where the lock runs: the line is sent with the path made absolute. Other lines as typed.
pub fn card_path_from_here(line: &str) -> String {
    match crate::console::parse(line) {
        Ok(crate::console::Command::CardImage(p)) if p.is_relative() => {
            match std::path::absolute(&p) {
                Ok(abs) => format!("card @{}", abs.display()),
                Err(_) => line.to_string(),
            }
        }
        _ => line.to_string(),
    }
}

/// `tumbler sim console <lock>`: resolves `lock` and relays the terminal's lines to it.
pub async fn console_stdio(lock: &str) -> Result<(), ConsoleError> {
    console_stdio_in(
        lock,
        &[PathBuf::from(DEFAULT_SIM_DIR), PathBuf::from(UP_LOCKS_DIR)],
    )
    .await
}

/// [`console_stdio`], looking for a serial's image in `dirs`.
pub async fn console_stdio_in(lock: &str, dirs: &[PathBuf]) -> Result<(), ConsoleError> {
    let addr = resolve_in(lock, dirs)?;
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    console(addr, stdin, tokio::io::stdout()).await
}
