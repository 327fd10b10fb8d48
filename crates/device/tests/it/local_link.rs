//! The local link: framed requests reach the driver and replies come back in order.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tumbler_device::console::client::console;
use tumbler_device::local::{serve, FrameKind, LocalClient, LocalRequest};

async fn echo_lock() -> (std::net::SocketAddr, watch::Sender<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, mut rx) = mpsc::channel::<LocalRequest>(8);
    let (sd_tx, sd_rx) = watch::channel(false);
    tokio::spawn(serve(listener, tx, sd_rx));
    tokio::spawn(async move {
        while let Some(req) = rx.recv().await {
            let reply = match req.kind {
                FrameKind::Console => (
                    FrameKind::ConsoleReply,
                    format!("you said {}", String::from_utf8_lossy(&req.payload)).into_bytes(),
                ),
                _ => (
                    FrameKind::Proto,
                    req.payload.iter().rev().copied().collect(),
                ),
            };
            let _ = req.reply.send(reply);
        }
    });
    (addr, sd_tx)
}

#[tokio::test]
async fn console_lines_round_trip() {
    let (addr, _sd) = echo_lock().await;
    let input: &[u8] = b"status\n\n1234#\nquit\nlog\n";
    let mut out = Vec::new();
    console(addr, input, &mut out).await.unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("you said status\n"));
    assert!(out.contains("you said 1234#\n"));
    assert!(!out.contains("you said log"), "quit ends the session");
}

#[tokio::test]
async fn proto_frames_and_bad_frames() {
    let (addr, _sd) = echo_lock().await;
    let mut c = LocalClient::connect(addr).await.unwrap();
    let (k, p) = c.request(FrameKind::Proto, &[1, 2, 3]).await.unwrap();
    assert_eq!((k, p), (FrameKind::Proto, vec![3, 2, 1]));
    // A client may not send a reply frame.
    let (k, p) = c.request(FrameKind::ConsoleReply, b"x").await.unwrap();
    assert_eq!(k, FrameKind::Error);
    assert!(String::from_utf8_lossy(&p).contains("clients send"));
    // An unknown kind byte gets an error frame and the connection closes.
    let mut raw = tokio::net::TcpStream::connect(addr).await.unwrap();
    raw.write_all(&[99, 0, 0, 0, 0]).await.unwrap();
    let mut buf = Vec::new();
    raw.read_to_end(&mut buf).await.unwrap();
    assert_eq!(buf[0], 4);
    assert!(String::from_utf8_lossy(&buf[5..]).contains("unknown frame kind 99"));
}

#[tokio::test]
async fn console_to_nothing_is_a_clear_error() {
    let err = tumbler_device::console::client::resolve("/nonexistent/lock.img").unwrap_err();
    assert!(err.to_string().contains("no running lock"), "{err}");
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let err = console(addr, &b""[..], Vec::new()).await.unwrap_err();
    assert!(err.to_string().contains("cannot reach the lock"), "{err}");
}
