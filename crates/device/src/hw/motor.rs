//! The bolt motor, with jam injection.

/// Where the bolt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Bolt {
    /// Thrown: the door is locked.
    Locked,
    /// Retracted: the door can be opened.
    Unlocked,
}

impl std::fmt::Display for Bolt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Locked => write!(f, "locked"),
            Self::Unlocked => write!(f, "unlocked"),
        }
    }
}

/// The motor could not move the bolt; it stays where it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the motor jammed; the bolt stayed {bolt}")]
pub struct Jammed {
    /// Where the bolt stayed.
    pub bolt: Bolt,
}

/// The motor model.
#[derive(Debug, Clone)]
pub struct Motor {
    /// Where the bolt is now.
    bolt: Bolt,
    /// A jam is armed: the next drive fails.
    jam_next: bool,
    /// Drives attempted since power-up (each costs battery).
    operations: u32,
}

impl Motor {
    /// A motor with the bolt at `bolt`.
    pub fn new(bolt: Bolt) -> Self {
        Self {
            bolt,
            jam_next: false,
            operations: 0,
        }
    }

    /// Where the bolt is.
    pub fn bolt(&self) -> Bolt {
        self.bolt
    }

    /// Arms a jam: the next drive fails and the bolt stays put.
    pub fn jam(&mut self) {
        self.jam_next = true;
    }

    /// Whether a jam is armed.
    pub fn jam_armed(&self) -> bool {
        self.jam_next
    }

    /// Drives the bolt to `to`.
    pub fn drive(&mut self, to: Bolt) -> Result<Bolt, Jammed> {
        self.operations = self.operations.saturating_add(1);
        if self.jam_next {
            self.jam_next = false;
            return Err(Jammed { bolt: self.bolt });
        }
        self.bolt = to;
        Ok(to)
    }

    /// Drives attempted since power-up.
    pub fn operations(&self) -> u32 {
        self.operations
    }
}
