//! Benchmark: what checking a typed offline code costs on the host, for the
//! worst form (a 31-day code: 31 HMAC-SHA256), a one-hour code (1 HMAC) and
//! a malformed entry (none). Firmware cost = HMACs x one HMAC-SHA256 of a
//! 33-byte message on the target.
//!
//! Run: `cargo bench -p tumbler-offline`

// A bench reports figures on stdout and may panic on a broken setup.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use tumbler_offline::{check, issue, At, Secret, Shape, Window};

fn bench(c: &mut Criterion) {
    let secret = Secret([9; 32]);
    let at = At::new(1_800_000_000, 60);
    let h = (1_800_000_000 / 3600) as u32;
    let mut g = c.benchmark_group("offline_check");
    for (name, w) in [
        (
            "days_31_worst",
            Window {
                shape: Shape::Days { days: 31, at_h: 0 },
                start: h / 24 - 30,
            },
        ),
        (
            "hours_1",
            Window {
                shape: Shape::Hours { hours: 1 },
                start: h,
            },
        ),
    ] {
        let code = issue(&secret, 1, &w).unwrap();
        let got = check(&secret, 1, &code.0, at);
        assert_eq!(got.window, Some(w));
        println!("{name}: {} HMAC-SHA256 per check", got.hmacs);
        g.bench_function(name, |b| {
            b.iter(|| black_box(check(&secret, 1, black_box(&code.0), at)))
        });
    }
    g.bench_function("malformed", |b| {
        b.iter(|| black_box(check(&secret, 1, black_box(b"9999000000"), at)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
