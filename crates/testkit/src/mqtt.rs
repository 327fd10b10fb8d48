//! MQTT helpers: an observer client that records what arrives on its
//! topics, and waiting for a lock's retained availability to say `online`.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;
use tumbler_device::mqtt::{status_topic, BrokerAddr};

use crate::util::unique;

/// Options for a test's own MQTT client (observer, forger) on `broker`, named
/// `name` plus a unique suffix, with the broker's transport. On a broker whose
/// locks are provisioned from the hub's secret (the hub's built-in broker) it
/// logs in as the hub (`tumbler-hub-…`), which the built-in broker admits; with
/// a fixed login it uses that.
pub fn client_options(broker: &BrokerAddr, name: &str) -> MqttOptions {
    use tumbler_device::mqtt::BrokerLogin;
    let (id, login) = match &broker.login {
        Some(BrokerLogin::Provisioned(secret)) => {
            let secret = tumbler_hub::secrets::BrokerSecret::new(*secret);
            (
                unique(&format!("tumbler-hub-{name}")),
                Some((
                    tumbler_hub::control::proto::broker_login::HUB_USERNAME.to_owned(),
                    secret.hub_password(),
                )),
            )
        }
        Some(other) => (unique(name), Some(other.credentials(""))),
        None => (unique(name), None),
    };
    let mut opts = MqttOptions::new(id, broker.host.clone(), broker.port);
    if let Some((u, p)) = login {
        opts.set_credentials(u, p);
    }
    if let Some(tls) = &broker.tls {
        let ca = tls
            .ca_file
            .as_ref()
            .map(|f| std::fs::read(f).expect("broker CA file"))
            .unwrap_or_default();
        opts.set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Simple {
                ca,
                alpn: None,
                client_auth: None,
            },
        ));
    }
    opts
}

/// An MQTT client that records what arrives on the topics it subscribes to.
pub struct Observer {
    /// The client (to publish commands).
    pub client: AsyncClient,
    rx: mpsc::UnboundedReceiver<(String, Vec<u8>, bool)>,
}

impl Observer {
    /// Connects to `broker` and subscribes to `topics`; returns once subscribed.
    pub async fn start(broker: &BrokerAddr, topics: &[String]) -> Observer {
        let mut opts = client_options(broker, "observer");
        opts.set_keep_alive(Duration::from_secs(30));
        opts.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut el) = AsyncClient::new(opts, 100);
        let (tx, rx) = mpsc::unbounded_channel();
        let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
        let want = topics.len();
        for t in topics {
            client.subscribe(t.clone(), QoS::AtLeastOnce).await.unwrap();
        }
        tokio::spawn(async move {
            let mut acks = 0;
            loop {
                match el.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let _ = tx.send((p.topic.clone(), p.payload.to_vec(), p.retain));
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        acks += 1;
                        if acks == want {
                            let _ = ready_tx.send(());
                        }
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(10), ready_rx.recv())
            .await
            .expect("observer subscribed");
        Observer { client, rx }
    }

    /// The next message (topic, payload, retained), waiting at most `secs`.
    pub async fn next(&mut self, secs: u64) -> Option<(String, Vec<u8>, bool)> {
        tokio::time::timeout(Duration::from_secs(secs), self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// Waits (at most `secs`) for a message on `topic` whose payload satisfies `pred`.
    pub async fn wait_for(
        &mut self,
        topic: &str,
        secs: u64,
        mut pred: impl FnMut(&[u8]) -> bool,
    ) -> Option<Vec<u8>> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let (t, p, _) = tokio::time::timeout(left, self.rx.recv()).await.ok()??;
            if t == topic && pred(&p) {
                return Some(p);
            }
        }
    }
}

/// Waits until the lock's retained availability says `online`.
pub async fn wait_online(broker: &BrokerAddr, serial: &str) {
    let (c, mut ev) = AsyncClient::new(client_options(broker, "watch"), 16);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        loop {
            match ev.poll().await {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let _ = tx.send(p.payload.to_vec());
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    c.subscribe(status_topic(serial), QoS::AtMostOnce)
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(m) = rx.recv().await {
            if m == b"online" {
                return;
            }
        }
    })
    .await
    .expect("the simulated lock never came online");
    task.abort();
}
