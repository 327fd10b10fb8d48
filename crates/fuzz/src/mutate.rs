//! Deterministic mutations of genuine inputs (bit flips, byte sets, truncation,
//! insertion, deletion, duplication, splices between two seeds, interesting values)
//! and pure random inputs, all drawn from one seeded RNG.

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

/// The RNG of one input: a function of (seed, target, index) only, so any input can be
/// rebuilt from the three numbers a panic report prints.
pub fn input_rng(seed: u64, target: u8, index: u64) -> ChaCha20Rng {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&seed.to_le_bytes());
    s[8] = target;
    s[16..24].copy_from_slice(&index.to_le_bytes());
    ChaCha20Rng::from_seed(s)
}

/// A number in `0..n` (`0` when `n == 0`).
pub fn below(rng: &mut ChaCha20Rng, n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (rng.next_u64() % n as u64) as usize
    }
}

/// One element of `xs`, uniformly (`None` if empty).
pub fn pick<'a, T>(rng: &mut ChaCha20Rng, xs: &'a [T]) -> Option<&'a T> {
    xs.get(below(rng, xs.len()))
}

/// Values that often sit on a boundary (varint edges, lengths, signs).
const INTERESTING: [u8; 12] = [
    0x00, 0x01, 0x7F, 0x80, 0x81, 0xFE, 0xFF, 0x3F, 0x40, 0x20, 0x10, 0x02,
];

/// How an input was made, for the outcome table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// A genuine input, mutated 1..=8 times.
    Mutated,
    /// Uniformly random bytes.
    Random,
}

/// Random bytes of a random length up to `max`.
pub fn random_bytes(rng: &mut ChaCha20Rng, max: usize) -> Vec<u8> {
    let n = below(rng, max + 1);
    let mut v = vec![0u8; n];
    rng.fill_bytes(&mut v);
    v
}

/// One input: mostly a genuine seed mutated a few times, sometimes pure random bytes.
/// `max` bounds the length of random inputs and of growth.
pub fn make(rng: &mut ChaCha20Rng, seeds: &[Vec<u8>], max: usize) -> (Vec<u8>, Origin) {
    let genuine = if below(rng, 8) == 0 {
        None
    } else {
        pick(rng, seeds)
    };
    let Some(seed) = genuine else {
        return (random_bytes(rng, max), Origin::Random);
    };
    let mut v = seed.clone();
    let rounds = 1 + below(rng, 8);
    for _ in 0..rounds {
        mutate_once(rng, &mut v, seeds, max);
    }
    (v, Origin::Mutated)
}

/// One mutation of `v` in place.
pub fn mutate_once(rng: &mut ChaCha20Rng, v: &mut Vec<u8>, seeds: &[Vec<u8>], max: usize) {
    let len = v.len();
    match below(rng, 10) {
        // Flip one bit.
        0 | 1 if len > 0 => {
            let i = below(rng, len);
            let bit = 1 << below(rng, 8);
            if let Some(b) = v.get_mut(i) {
                *b ^= bit;
            }
        }
        // Set one byte to a random or boundary value.
        2 if len > 0 => {
            let i = below(rng, len);
            let value = if rng.next_u32() & 1 == 0 {
                rng.next_u32() as u8
            } else {
                pick(rng, &INTERESTING).copied().unwrap_or(0)
            };
            if let Some(b) = v.get_mut(i) {
                *b = value;
            }
        }
        // Truncate.
        3 => v.truncate(below(rng, len + 1)),
        // Insert random bytes.
        4 if len < max => {
            let at = below(rng, len + 1);
            let n = 1 + below(rng, 16.min(max - len));
            let mut ins = vec![0u8; n];
            rng.fill_bytes(&mut ins);
            v.splice(at..at, ins);
        }
        // Delete a range.
        5 if len > 0 => {
            let at = below(rng, len);
            let n = 1 + below(rng, (len - at).min(32));
            v.drain(at..at + n);
        }
        // Duplicate a range.
        6 if len > 0 && len < max => {
            let at = below(rng, len);
            let n = 1 + below(rng, (len - at).min(32).min(max - len));
            let chunk = v.get(at..at + n).unwrap_or(&[]).to_vec();
            let to = below(rng, len + 1);
            v.splice(to..to, chunk);
        }
        // Splice: the head of this input, the tail of another seed.
        7 if !seeds.is_empty() => {
            let other = pick(rng, seeds).map(Vec::as_slice).unwrap_or(&[]);
            let cut = below(rng, len + 1);
            let from = below(rng, other.len() + 1);
            v.truncate(cut);
            v.extend_from_slice(other.get(from..).unwrap_or(&[]));
            v.truncate(max);
        }
        // Overwrite a 1/2/4/8-byte little-endian number with a boundary value.
        8 if len > 0 => {
            let w = 1usize << below(rng, 4);
            let at = below(rng, len);
            let val: u64 = match below(rng, 4) {
                0 => 0,
                1 => u64::MAX,
                2 => 1u64 << below(rng, 64),
                _ => rng.next_u64(),
            };
            for (k, b) in val.to_le_bytes().iter().take(w).enumerate() {
                if let Some(x) = v.get_mut(at + k) {
                    *x = *b;
                }
            }
        }
        // Replace with random bytes of the same length.
        _ => rng.fill_bytes(v),
    }
}
