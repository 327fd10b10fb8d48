//! What a factory reset erases and keeps, for the hub's and the CLI's confirmation
//! prompt.

/// What a factory reset erases (for the confirmation prompt).
pub const FACTORY_RESET_ERASES: &[&str] = &[
    "users",
    "credentials (PINs, cards, fingerprints, app keys)",
    "schedules (week-day, year-day, holiday)",
    "paired controllers (this hub and every phone) and the operational keys",
    "settings",
    "hotel door configuration and memory (property key, room, newest stay, deny list)",
    "audit log (sealed first into a signed reset record)",
];

/// What a factory reset keeps.
pub const FACTORY_RESET_KEEPS: &[&str] = &[
    "factory identity (serial, factory key, setup code, manufacturer key)",
    "reset counter (incremented)",
    "the signed reset record",
];

/// One sentence for the hub's and CLI's confirmation prompt.
pub fn factory_reset_summary() -> String {
    format!(
        "A factory reset erases {}; it keeps {}. The hub's binding becomes stale: the \
         lock must be claimed again with its setup code.",
        FACTORY_RESET_ERASES.join(", "),
        FACTORY_RESET_KEEPS.join(", ")
    )
}
