//! Offline codes on the wire: [`OfflineCodes`], what `Command::SetOfflineCodes` tells a
//! lock so it checks codes the hub mints without telling it (the code format is
//! `tumbler-offline`'s; the wire carries the secret and the epoch), and the code id
//! `Command::DenyOfflineCode` and `Actor::OfflineCode` name.

use serde::{Deserialize, Serialize};

/// The secret a lock derives offline codes from, and the epoch they are valid in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineCodes {
    /// 32 random bytes from the hub (inside the end-to-end encrypted envelope only).
    pub secret: [u8; 32],
    /// The epoch; a lock told a new one refuses every code of the old.
    pub epoch: u32,
}

impl core::fmt::Debug for OfflineCodes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OfflineCodes")
            .field("secret", &"<redacted>")
            .field("epoch", &self.epoch)
            .finish()
    }
}
