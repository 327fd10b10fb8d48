//! `tumbler-fuzz`: run the fuzz targets for a seed and a count each; print a table of
//! counts, inputs per second and distinct outcomes; on a panic print the target, seed,
//! index and input (hex) and exit 1.
//!
//! ```text
//! tumbler-fuzz [--seed N] [--count N] [--index N] [--targets wire,envelope,image,keypad]
//!              [--outcomes] [--markdown] [--show LABEL]
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: stdout is its output

use std::process::ExitCode;
use tumbler_fuzz::{run_showing, target, Report, TARGETS};

struct Args {
    seed: u64,
    count: u64,
    first: u64,
    targets: Vec<String>,
    outcomes: bool,
    markdown: bool,
    show: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        seed: 1,
        count: 10_000,
        first: 0,
        targets: TARGETS.iter().map(|s| s.to_string()).collect(),
        outcomes: false,
        markdown: false,
        show: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let num = |s: String, name: &str| {
            s.replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("{name}: `{s}` is not a number"))
        };
        match flag.as_str() {
            "--seed" => a.seed = num(value("--seed")?, "--seed")?,
            "--count" => a.count = num(value("--count")?, "--count")?,
            // Replay one input: `--index N` runs input N only (with its seed).
            "--index" => {
                a.first = num(value("--index")?, "--index")?;
                a.count = 1;
            }
            "--targets" => a.targets = value("--targets")?.split(',').map(str::to_string).collect(),
            // Start at input N (the count still applies).
            "--first" => a.first = num(value("--first")?, "--first")?,
            "--outcomes" => a.outcomes = true,
            // Print the first inputs whose outcome label contains this text.
            "--show" => a.show = Some(value("--show")?),
            "--markdown" => a.markdown = true,
            "-h" | "--help" => {
                return Err("usage: tumbler-fuzz [--seed N] [--count N] [--index N] \
                     [--targets wire,envelope,image,keypad] [--outcomes] [--markdown] [--show LABEL]"
                    .into())
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut reports: Vec<Report> = Vec::new();
    for name in &args.targets {
        let Some(t) = target(name) else {
            eprintln!("unknown target `{name}` (targets: {})", TARGETS.join(", "));
            return ExitCode::from(2);
        };
        eprintln!("{name}: {} inputs from seed {}…", args.count, args.seed);
        let r = run_showing(
            t.as_ref(),
            args.seed,
            args.first,
            args.count,
            args.show.as_deref(),
        );
        for (index, label, input) in &r.shown {
            eprintln!("{name} index {index}: {label}: {}", hex::encode(input));
        }
        eprintln!(
            "{name}: {} inputs in {:.1} s ({:.0}/s), {} distinct outcomes",
            r.count,
            r.elapsed.as_secs_f64(),
            r.rate(),
            r.outcomes.len()
        );
        reports.push(r);
    }
    if args.markdown {
        println!("| target | inputs | mutated | random | seconds | inputs/s | distinct outcomes | panics |");
        println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    } else {
        println!(
            "{:<10} {:>10} {:>10} {:>9} {:>9} {:>10} {:>9} {:>7}",
            "target", "inputs", "mutated", "random", "seconds", "inputs/s", "outcomes", "panics"
        );
    }
    for r in &reports {
        let panics = u8::from(r.panic.is_some());
        if args.markdown {
            println!(
                "| {} | {} | {} | {} | {:.1} | {:.0} | {} | {} |",
                r.target,
                r.count,
                r.mutated,
                r.random,
                r.elapsed.as_secs_f64(),
                r.rate(),
                r.outcomes.len(),
                panics
            );
        } else {
            println!(
                "{:<10} {:>10} {:>10} {:>9} {:>9.1} {:>10.0} {:>9} {:>7}",
                r.target,
                r.count,
                r.mutated,
                r.random,
                r.elapsed.as_secs_f64(),
                r.rate(),
                r.outcomes.len(),
                panics
            );
        }
    }
    if args.outcomes {
        for r in &reports {
            println!();
            println!("{} outcomes (inputs per outcome):", r.target);
            for (label, n) in &r.outcomes {
                println!("  {n:>10}  {label}");
            }
        }
    }
    let mut failed = false;
    for r in &reports {
        if let Some(p) = &r.panic {
            failed = true;
            eprintln!(
                "PANIC in target `{}` (seed {}, index {}; replay: tumbler-fuzz --targets {} --seed {} --index {}): {}",
                r.target, r.seed, p.index, r.target, r.seed, p.index, p.message
            );
            eprintln!(
                "input ({} bytes, hex): {}",
                p.input.len(),
                hex::encode(&p.input)
            );
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
