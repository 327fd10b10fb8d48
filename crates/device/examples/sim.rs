//! The `tumbler sim` commands as a stand-alone example, showing how the CLI calls this crate:
//!
//! ```text
//! cargo run -p tumbler-device --example sim -- provision <serial> [image]
//! cargo run -p tumbler-device --example sim -- run <image> [mqtt://127.0.0.1:1883]
//! cargo run -p tumbler-device --example sim -- console <image | serial | 127.0.0.1:port>
//! cargo run -p tumbler-device --example sim -- fleet <count> [mqtt://127.0.0.1:1883]
//! ```

// A command-line example reports on stdout by design.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use tumbler_device::console::client::{console_stdio, image_path, DEFAULT_SIM_DIR};
use tumbler_device::fleet::{fleet, FleetConfig};
use tumbler_device::image::provision;
use tumbler_device::mqtt::BrokerAddr;
use tumbler_device::run::{run_lock, RunConfig};

type Res = Result<(), Box<dyn std::error::Error>>;

async fn ctrl_c() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = tx.send(true);
    });
    rx
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    match arg(0) {
        Some("provision") => {
            let serial = arg(1).ok_or("provision <serial> [image]")?;
            let image = arg(2)
                .map(PathBuf::from)
                .unwrap_or_else(|| image_path(Path::new(DEFAULT_SIM_DIR), serial));
            if let Some(dir) = image.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_seed({
                let mut s = [0u8; 32];
                getrandom::fill(&mut s).map_err(|e| e.to_string())?;
                s
            });
            let label = provision(&image, serial, &mut rng)?;
            println!("{label}\nimage:        {}", image.display());
        }
        Some("run") => {
            let image = arg(1).ok_or("run <image> [broker]")?;
            let mut cfg = RunConfig::new(image);
            cfg.broker = arg(2).map(BrokerAddr::parse).transpose()?;
            println!("running {image}; console: `sim console {image}`; Ctrl-C stops");
            run_lock(cfg, ctrl_c().await).await?;
        }
        Some("console") => console_stdio(arg(1).ok_or("console <lock>")?).await?,
        Some("fleet") => {
            let count = arg(1).ok_or("fleet <count> [broker]")?.parse()?;
            let broker = BrokerAddr::parse(arg(2).unwrap_or("mqtt://127.0.0.1:1883"))?;
            let (report, done) = fleet(FleetConfig::new(count, broker), ctrl_c().await).await?;
            println!("{report}\nCtrl-C stops the fleet");
            done.await?;
        }
        _ => println!("usage: sim provision|run|console|fleet …"),
    }
    Ok(())
}
