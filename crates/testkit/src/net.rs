//! A TCP proxy in front of a broker that a test can cut and restore (a
//! network outage for whoever dials through it).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tumbler_device::mqtt::BrokerAddr;

/// A TCP proxy in front of a broker that a test can cut (close every connection and refuse new
/// ones) and restore, to simulate network outages.
pub struct Proxy {
    /// Where clients connect.
    pub addr: BrokerAddr,
    up: Arc<AtomicBool>,
    epoch: Arc<AtomicU64>,
}

impl Proxy {
    /// Starts a proxy to `upstream`.
    pub async fn start(upstream: BrokerAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        // The same login and transport as upstream, through this port.
        let addr = BrokerAddr {
            host: "127.0.0.1".into(),
            port,
            ..upstream.clone()
        };
        let up = Arc::new(AtomicBool::new(true));
        let epoch = Arc::new(AtomicU64::new(0));
        let (u, e) = (up.clone(), epoch.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !u.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let my_epoch = e.load(Ordering::SeqCst);
                let (u2, e2) = (u.clone(), e.clone());
                let target = format!("{}:{}", upstream.host, upstream.port);
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut client, &mut server);
                    let watch = async {
                        loop {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            if !u2.load(Ordering::SeqCst) || e2.load(Ordering::SeqCst) != my_epoch {
                                return;
                            }
                        }
                    };
                    tokio::select! { _ = copy => {}, _ = watch => {} }
                });
            }
        });
        Proxy { addr, up, epoch }
    }

    /// Cuts every connection and refuses new ones.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}
