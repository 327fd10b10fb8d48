//! Load script: start N simulated locks against a broker, measure boot time, connect time and
//! resident memory, append the figures to a file, then stop.
//!
//! `cargo run --release -p tumbler-device --example fleet_load -- <count> [mqtt://127.0.0.1:1883 | embedded] [figures-file] [locks-per-second]`
//!
//! `embedded` starts rumqttd (the broker the hub embeds) in this process on a free port;
//! `fleet_load broker` runs only that broker, for a fleet in another process.

// A load script reports on stdout by design.
#![allow(clippy::print_stdout)]

use std::io::Write;
use tumbler_device::fleet::{fleet, FleetConfig};
use tumbler_device::mqtt::BrokerAddr;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("broker") {
        // `fleet_load broker`: only run rumqttd (prints its address), so a fleet in another
        // process can be measured against it without sharing one file-descriptor limit.
        let addr = embedded_rumqttd()?;
        println!("rumqttd listening on {addr}");
        std::future::pending::<()>().await;
    }
    let count: usize = args.next().as_deref().unwrap_or("1000").parse()?;
    let url = args
        .next()
        .unwrap_or_else(|| "mqtt://127.0.0.1:1883".into());
    let (broker, label) = if url == "embedded" {
        (embedded_rumqttd()?, "embedded rumqttd".to_string())
    } else {
        (BrokerAddr::parse(&url)?, url.clone())
    };
    let out = args
        .next()
        .unwrap_or_else(|| "target/fleet-figures.txt".into());
    // Optional connect rate (locks started per second); default: as fast as batches allow.
    let rate: Option<usize> = args.next().map(|r| r.parse()).transpose()?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut cfg = FleetConfig::new(count, broker.clone());
    cfg.prefix = format!("LOAD{}", std::process::id());
    if let Some(rate) = rate {
        cfg.batch = (rate / 10).max(1);
        cfg.batch_pause = std::time::Duration::from_millis(100);
    }
    cfg.online_timeout = std::time::Duration::from_secs(180);
    let (report, done) = fleet(cfg, rx).await?;
    let rate = rate.map_or("unpaced".to_string(), |r| format!("{r}/s"));
    let line = format!("{label} ({broker}), connect rate {rate}: {report}");
    println!("{line}");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&out)?;
    writeln!(f, "{line}")?;
    let _ = tx.send(true);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(30), done).await;
    Ok(())
}

fn embedded_rumqttd() -> Result<BrokerAddr, Box<dyn std::error::Error>> {
    // Sized for the largest fleet, accepting as fast as it can.
    Ok(tumbler_testkit::broker::start_rumqttd(20_000, 0))
}
