//! The local link: TCP on loopback standing in for Bluetooth, and the console's control channel.
//!
//! One connection carries frames `[kind: u8][len: u32 big-endian][payload]`. A client sends a
//! request frame and gets exactly one reply frame back, in order:
//!
//! | kind | direction | payload |
//! |---|---|---|
//! | [`FrameKind::Console`] | client → lock | one console line (UTF-8) |
//! | [`FrameKind::ConsoleReply`] | lock → client | what the lock signalled / answered (UTF-8, lines) |
//! | [`FrameKind::Proto`] | both | one tumbler-proto message (as over BLE) |
//! | [`FrameKind::Error`] | lock → client | why a request was refused (UTF-8) |
//!
//! The server side hands each request to the lock's driver through a channel, so the driver
//! stays the single owner of the lock state.

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};

/// The largest frame payload accepted (a console reply with a long log fits).
pub const MAX_FRAME: u32 = 256 * 1024;

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameKind {
    /// A console line from a person (client → lock).
    Console,
    /// The lock's answer to a console line.
    ConsoleReply,
    /// A tumbler-proto message, as it would travel over BLE.
    Proto,
    /// A refusal: the request could not be handled (bad frame, lock powered off, …).
    Error,
}

impl FrameKind {
    fn to_byte(self) -> u8 {
        match self {
            Self::Console => 1,
            Self::ConsoleReply => 2,
            Self::Proto => 3,
            Self::Error => 4,
        }
    }

    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(Self::Console),
            2 => Some(Self::ConsoleReply),
            3 => Some(Self::Proto),
            4 => Some(Self::Error),
            _ => None,
        }
    }
}

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The socket failed or closed mid-frame.
    #[error("local link: {0}")]
    Io(std::io::Error),
    /// The frame's kind byte is not one we know.
    #[error("local link: unknown frame kind {0}")]
    UnknownKind(u8),
    /// The frame is larger than [`MAX_FRAME`].
    #[error("local link: frame of {0} bytes exceeds {max}", max = MAX_FRAME)]
    TooLarge(u32),
    /// The peer closed the connection cleanly between frames.
    #[error("local link: connection closed")]
    Closed,
    /// The lock's driver is gone (the lock stopped).
    #[error("local link: the lock has stopped")]
    LockGone,
}

impl From<std::io::Error> for LinkError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// Writes one frame.
pub async fn write_frame<W: AsyncWriteExt + Unpin>(
    w: &mut W,
    kind: FrameKind,
    payload: &[u8],
) -> Result<(), LinkError> {
    let len = u32::try_from(payload.len()).map_err(|_| LinkError::TooLarge(u32::MAX))?;
    if len > MAX_FRAME {
        return Err(LinkError::TooLarge(len));
    }
    let mut head = [0u8; 5];
    let [k, l0, l1, l2, l3] = &mut head;
    *k = kind.to_byte();
    [*l0, *l1, *l2, *l3] = len.to_be_bytes();
    w.write_all(&head).await?;
    w.write_all(payload).await?;
    w.flush().await?;
    Ok(())
}

/// Reads one frame; [`LinkError::Closed`] if the peer closed between frames.
pub async fn read_frame<R: AsyncReadExt + Unpin>(
    r: &mut R,
) -> Result<(FrameKind, Vec<u8>), LinkError> {
    let mut head = [0u8; 5];
    match r.read_exact(&mut head).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(LinkError::Closed),
        Err(e) => return Err(LinkError::Io(e)),
    }
    let [k, l0, l1, l2, l3] = head;
    let kind = FrameKind::from_byte(k).ok_or(LinkError::UnknownKind(k))?;
    let len = u32::from_be_bytes([l0, l1, l2, l3]);
    if len > MAX_FRAME {
        return Err(LinkError::TooLarge(len));
    }
    let mut payload = vec![0u8; len as usize];
    r.read_exact(&mut payload).await?;
    Ok((kind, payload))
}

/// One request from a local-link client, handed to the lock's driver.
#[derive(Debug)]
pub struct LocalRequest {
    /// What kind of request ([`FrameKind::Console`] or [`FrameKind::Proto`]).
    pub kind: FrameKind,
    /// The request's payload.
    pub payload: Vec<u8>,
    /// Where the driver sends the reply frame.
    pub reply: oneshot::Sender<(FrameKind, Vec<u8>)>,
}

/// Serves the local link on `listener` until `shutdown` turns `true`: every request frame goes to
/// `to_driver`, and the driver's reply goes back on the same connection.
pub async fn serve(
    listener: TcpListener,
    to_driver: mpsc::Sender<LocalRequest>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            // A dropped sender means nobody can stop us any more: stop now.
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() { return; }
            }
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let to_driver = to_driver.clone();
                let sd = shutdown.clone();
                tokio::spawn(serve_connection(stream, to_driver, sd));
            }
        }
    }
}

async fn serve_connection(
    mut stream: TcpStream,
    to_driver: mpsc::Sender<LocalRequest>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let frame = tokio::select! {
            _ = shutdown.changed() => return,
            f = read_frame(&mut stream) => f,
        };
        let (kind, payload) = match frame {
            Ok(f) => f,
            Err(LinkError::Closed) => return,
            Err(e) => {
                let _ = write_frame(&mut stream, FrameKind::Error, e.to_string().as_bytes()).await;
                return;
            }
        };
        let reply = match kind {
            FrameKind::Console | FrameKind::Proto => {
                let (tx, rx) = oneshot::channel();
                let req = LocalRequest {
                    kind,
                    payload,
                    reply: tx,
                };
                if to_driver.send(req).await.is_err() {
                    (
                        FrameKind::Error,
                        LinkError::LockGone.to_string().into_bytes(),
                    )
                } else {
                    rx.await.unwrap_or_else(|_| {
                        (
                            FrameKind::Error,
                            LinkError::LockGone.to_string().into_bytes(),
                        )
                    })
                }
            }
            FrameKind::ConsoleReply | FrameKind::Error => (
                FrameKind::Error,
                b"local link: clients send console lines or proto messages".to_vec(),
            ),
        };
        if write_frame(&mut stream, reply.0, &reply.1).await.is_err() {
            return;
        }
    }
}

/// A client of the local link (the console, or a phone standing in for BLE).
#[derive(Debug)]
pub struct LocalClient {
    /// The connection to the lock.
    stream: TcpStream,
}

impl LocalClient {
    /// Connects to the lock's local link at `addr`.
    pub async fn connect(addr: SocketAddr) -> Result<Self, LinkError> {
        let stream = TcpStream::connect(addr).await?;
        let _ = stream.set_nodelay(true);
        Ok(Self { stream })
    }

    /// Sends one request and waits for its reply.
    pub async fn request(
        &mut self,
        kind: FrameKind,
        payload: &[u8],
    ) -> Result<(FrameKind, Vec<u8>), LinkError> {
        write_frame(&mut self.stream, kind, payload).await?;
        read_frame(&mut self.stream).await
    }

    /// Sends one console line and returns the lock's answer as text (a refusal is an error text
    /// too, prefixed with `error: `).
    pub async fn console_line(&mut self, line: &str) -> Result<String, LinkError> {
        let (kind, payload) = self.request(FrameKind::Console, line.as_bytes()).await?;
        let text = String::from_utf8_lossy(&payload).into_owned();
        Ok(match kind {
            FrameKind::Error => format!("error: {text}"),
            _ => text,
        })
    }
}

/// Packs several proto frames into one reply payload: `[count: u16 BE]` then, per frame,
/// `[len: u32 BE][frame]`. A lock may answer one request with several frames (ack + applied).
pub fn pack_frames(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    let count = u16::try_from(frames.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&count.to_be_bytes());
    for f in frames.iter().take(usize::from(count)) {
        let len = u32::try_from(f.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// Unpacks [`pack_frames`]; `None` if the payload is malformed.
pub fn unpack_frames(payload: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (count, mut rest) = payload.split_first_chunk::<2>()?;
    let count = u16::from_be_bytes(*count);
    let mut frames = Vec::new();
    for _ in 0..count {
        let (len, r) = rest.split_first_chunk::<4>()?;
        let len = u32::from_be_bytes(*len) as usize;
        let frame = r.get(..len)?;
        frames.push(frame.to_vec());
        rest = r.get(len..)?;
    }
    rest.is_empty().then_some(frames)
}
