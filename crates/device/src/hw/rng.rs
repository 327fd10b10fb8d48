//! A small seeded generator (SplitMix64) for the sensor models' randomness.
//!
//! Not for cryptography: the lock's keys come from the RNG the driver passes to the lock. This one
//! only decides things like "did the fingerprint sensor falsely reject this touch", reproducibly
//! from a seed so a failing test can be replayed.

/// SplitMix64: tiny, fast, and good enough for simulation noise.
#[derive(Debug, Clone)]
pub struct SimRng {
    /// The generator's whole state.
    state: u64,
}

impl SimRng {
    /// A generator from `seed`; the same seed gives the same sequence.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `true` with probability `p` (clamped to 0..=1).
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        // 53 random bits -> uniform in [0, 1).
        let x = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        x < p
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
}
