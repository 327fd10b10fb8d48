//! The floor under a remote unlock, measured in the same run: one fsync in
//! the hub's data directory and one loopback HTTP exchange (the raw broker
//! round trip is the `raw` scenario). A remote unlock cannot be faster than
//! their sum: it crosses the broker twice, commits at least once, and is one
//! HTTP request.

// A benchmark's job is to read the clock.
#![allow(clippy::disallowed_methods)]

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;

use crate::summary;

/// `samples` times: write 4 KiB to a file in `dir` and `fdatasync` it.
pub async fn fsync(dir: &Path, samples: usize) -> anyhow::Result<Value> {
    let path = dir.join("load-fsync.bin");
    let ms = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<f64>> {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        let block = [0x5au8; 4096];
        let mut ms = Vec::with_capacity(samples);
        for _ in 0..samples {
            let t = Instant::now();
            f.write_all(&block)?;
            f.sync_data()?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        drop(f);
        let _ = std::fs::remove_file(&path);
        Ok(ms)
    })
    .await??;
    Ok(summary(ms))
}

/// `samples` sequential GETs with one reqwest client to a trivial axum
/// server on 127.0.0.1:0 in this process.
pub async fn http(samples: usize) -> anyhow::Result<Value> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/");
    // One warm-up: the connection is opened once, as for the API client.
    client.get(&url).send().await?.bytes().await?;
    let mut ms = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        let body = tokio::time::timeout(Duration::from_secs(10), async {
            client.get(&url).send().await?.bytes().await
        })
        .await
        .context("a loopback GET never came back")??;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if body.as_ref() != b"ok" {
            anyhow::bail!("loopback GET: unexpected body");
        }
    }
    server.abort();
    Ok(summary(ms))
}
