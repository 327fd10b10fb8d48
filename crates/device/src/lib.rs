//! The simulated Tumbler lock: hardware models, flash image, MQTT and local links.
//!
//! A [`sim::SimLock`] is the pure `tumbler-lock` state machine plus its flash image
//! (`tumbler-store`), the hardware a person touches, and the link endpoints (`tumbler-proto`).
//! [`run`] puts one on the network, [`fleet`](mod@fleet) runs thousands in one process, and the
//! [`console`](mod@console) lets a person stand in front of a running lock.
//!
//! # Layout
//! - [`clock`]: the real clock (the one place that reads it) and a virtual clock for tests.
//! - [`hw`]: hardware models — keypad, buttons, RFID, fingerprint, motor, door, battery,
//!   buzzer/LED — plain deterministic structs with the time passed in.
//! - [`image`]: provisioning a factory identity into a flash image, the label, mounting at boot
//!   (with recovery of an unreadable state), in-memory flash for fleets.
//! - [`sim`]: [`sim::SimLock`], the driver: commit to flash before any effect, proto ↔ lock,
//!   claim (PAKE), sealed uplink, console commands.
//! - [`bridge`]: pure translation between proto's wire types and the lock's types.
//! - [`run`]: the async edge of one lock (timers, MQTT link, local link) — `tumbler sim run`.
//! - [`fleet`](mod@fleet): N locks in one runtime — `tumbler sim fleet`.
//! - [`console`](mod@console): the console command language (`1234#`, `hold-reset 12s`, …) and the client
//!   that attaches to a running lock — `tumbler sim console`.
//! - [`local`]: the local link (TCP on loopback, standing in for Bluetooth), which also carries
//!   the console.
//! - [`mqtt`]: the MQTT link to the hub (availability, reconnect with backoff, outbox).
//! - [`persist`]: the lock ↔ store glue (commit a step before its effects; boot from flash),
//!   generic over the flash so the power-cut sweep runs the same code.
//! - [`outbox`]: in-order, at-least-once uplink bookkeeping across outages (pure).
//! - [`backoff`]: reconnect delays with jitter.

pub mod backoff;
pub mod bridge;
pub mod clock;
pub mod console;
pub mod fleet;
pub mod hw;
pub mod image;
pub mod local;
pub mod mqtt;
pub mod outbox;
pub mod persist;
pub mod run;
pub mod sim;

pub use console::client::{console, console_stdio, resolve};
pub use fleet::{fleet, FleetConfig, FleetReport};
pub use image::{provision, Label};
pub use run::{run_lock, start_lock, RunConfig, RunningLock};
pub use sim::{SimLock, SimOptions};

#[cfg(test)]
mod error_messages;
