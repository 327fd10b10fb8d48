//! Secrets: random bearer tokens, their stored hashes, and argon2 password
//! hashing. Nothing here logs or formats a secret.

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use zeroize::Zeroizing;

/// Failures of the secret helpers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The operating system's random source failed.
    #[error("random source unavailable")]
    Random,
    /// The argon2 parameters or a stored hash are invalid.
    #[error("password hashing failed")]
    Hash,
}

/// Fills `buf` from the operating system's random source.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), SecretError> {
    getrandom::fill(buf).map_err(|_| SecretError::Random)
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// A new random token with a kind prefix, e.g. `tum_s_…` (256 bits).
pub fn new_token(prefix: &str) -> Result<String, SecretError> {
    let mut buf = [0u8; 32];
    random_bytes(&mut buf)?;
    Ok(format!("{prefix}{}", hex(&buf)))
}

/// A new random password for generated logins (letters and digits, 20 chars).
pub fn new_password() -> Result<String, SecretError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 20];
    random_bytes(&mut buf)?;
    Ok(buf
        .iter()
        .filter_map(|b| ALPHABET.get(usize::from(*b) % ALPHABET.len()))
        .map(|c| char::from(*c))
        .collect())
}

/// The stored form of a bearer token: hex SHA-256. Tokens carry 256 random
/// bits, so a fast hash is enough (no dictionary to protect against).
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn argon(params: PasswordParams) -> Result<Argon2<'static>, SecretError> {
    let p = Params::new(params.m_cost, params.t_cost, params.p_cost, None)
        .map_err(|_| SecretError::Hash)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, p))
}

/// Hashes a password (PHC string). CPU-heavy: call from a blocking task.
pub fn hash_password(password: &str, params: PasswordParams) -> Result<String, SecretError> {
    let mut salt = [0u8; 16];
    random_bytes(&mut salt)?;
    argon(params)?
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| SecretError::Hash)
}

/// Checks a password against a stored PHC string (parameters come from the
/// string, so hashes made with other costs still verify). Constant-time
/// comparison is done by the argon2 crate.
pub fn verify_password(password: &str, stored: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

/// The most argon2 memory one hash may ask for (256 MiB), whatever a stored
/// PHC string says: a damaged row must not make a worker allocate gigabytes.
const MAX_BLOCKS: usize = 256 * 1024;

/// Grows `memory` to at least `blocks` argon2 blocks and returns exactly
/// that many. Memory is kept between calls (the point: one allocation per
/// hashing worker, not one per hash).
fn scratch(memory: &mut Vec<Block>, blocks: usize) -> Result<&mut [Block], SecretError> {
    if blocks > MAX_BLOCKS {
        return Err(SecretError::Hash);
    }
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    memory.get_mut(..blocks).ok_or(SecretError::Hash)
}

/// [`hash_password`] in caller-owned memory: `memory` is reused across
/// calls, so a long-lived worker allocates its argon2 blocks once.
pub fn hash_password_in(
    password: &str,
    params: PasswordParams,
    memory: &mut Vec<Block>,
) -> Result<String, SecretError> {
    let mut salt = [0u8; 16];
    random_bytes(&mut salt)?;
    let p = Params::new(params.m_cost, params.t_cost, params.p_cost, None)
        .map_err(|_| SecretError::Hash)?;
    let blocks = scratch(memory, p.block_count())?;
    let mut out = Zeroizing::new([0u8; Params::DEFAULT_OUTPUT_LEN]);
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p.clone());
    argon
        .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out[..], blocks)
        .map_err(|_| SecretError::Hash)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&p).map_err(|_| SecretError::Hash)?,
        salt: Some(Salt::new(&salt).map_err(|_| SecretError::Hash)?),
        hash: Some(Output::new(&out[..]).map_err(|_| SecretError::Hash)?),
    };
    Ok(phc.to_string())
}

/// [`verify_password`] in caller-owned memory (see [`hash_password_in`]).
/// The comparison is constant-time.
pub fn verify_password_in(password: &str, stored: &str, memory: &mut Vec<Block>) -> bool {
    let mut check = || -> Result<bool, SecretError> {
        let phc = PasswordHash::new(stored).map_err(|_| SecretError::Hash)?;
        let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
            return Ok(false);
        };
        let algorithm =
            Algorithm::try_from(phc.algorithm.as_str()).map_err(|_| SecretError::Hash)?;
        let version = match phc.version {
            Some(v) => Version::try_from(v).map_err(|_| SecretError::Hash)?,
            None => Version::default(),
        };
        let params = Params::try_from(&phc).map_err(|_| SecretError::Hash)?;
        let blocks = scratch(memory, params.block_count())?;
        let mut out = Zeroizing::new(vec![0u8; expected.len()]);
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut out[..], blocks)
            .map_err(|_| SecretError::Hash)?;
        Ok(bool::from(out.as_slice().ct_eq(expected.as_bytes())))
    };
    check().unwrap_or(false)
}

/// A PHC hash of a random password nobody knows, to spend the same time on
/// unknown accounts as on known ones during login.
pub fn dummy_hash(params: PasswordParams) -> Result<String, SecretError> {
    hash_password(&new_password()?, params)
}

/// Cost of argon2 password hashing. Production uses the argon2 crate's
/// defaults; tests use [`PasswordParams::fast_for_tests`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory in KiB.
    pub m_cost: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Parallelism.
    pub p_cost: u32,
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self {
            m_cost: argon2::Params::DEFAULT_M_COST,
            t_cost: argon2::Params::DEFAULT_T_COST,
            p_cost: argon2::Params::DEFAULT_P_COST,
        }
    }
}

impl PasswordParams {
    /// Cheap parameters: never use outside tests.
    pub fn fast_for_tests() -> Self {
        Self {
            m_cost: 64,
            t_cost: 1,
            p_cost: 1,
        }
    }
}

/// The key that encrypts bindings at rest (ChaCha20-Poly1305, random
/// nonce per write, the lock id as associated data so a row cannot be
/// swapped onto another lock). Kept in the data directory; every hub process
/// on one database needs the same key. `Debug` is redacted.
#[derive(Clone)]
pub struct BindingKey(Zeroizing<[u8; 32]>);

impl BindingKey {
    /// From 32 secret bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret bytes (for the store's sealing only).
    pub(crate) fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for BindingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BindingKey(<redacted>)")
    }
}

/// The secret every broker login is derived from
/// ([`tumbler_control::proto::broker_login`]): the hub's own and each lock's (username
/// = serial). Derived from the [`BindingKey`] (HMAC with its own label), so
/// it needs no file of its own and every hub on one database agrees; with no
/// binding key, a random one per process. `Debug` is redacted.
#[derive(Clone)]
pub struct BrokerSecret(Zeroizing<[u8; 32]>);

impl BrokerSecret {
    /// From 32 secret bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The broker secret of hubs holding `key`: HMAC-SHA256(key, label).
    pub fn from_binding_key(key: &BindingKey) -> Self {
        use hmac::{Hmac, Mac};
        let mut out = [0u8; 32];
        if let Ok(mut m) = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key.expose()) {
            m.update(b"tumbler broker secret v1");
            out = m.finalize().into_bytes().into();
        }
        Self::new(out)
    }

    /// A random one (a hub without a binding key; logins then last as long
    /// as the process).
    pub fn random() -> Result<Self, SecretError> {
        let mut b = [0u8; 32];
        random_bytes(&mut b)?;
        Ok(Self::new(b))
    }

    /// The secret bytes, for whoever provisions locks (the `tumbler up`
    /// demo, the test kit) and for `tumbler broker-login`.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// The hub's own broker password.
    pub fn hub_password(&self) -> String {
        String::from_utf8_lossy(&tumbler_control::proto::broker_login::hub_password(&self.0))
            .into_owned()
    }

    /// The broker password of the lock with `serial`.
    pub fn lock_password(&self, serial: &str) -> String {
        String::from_utf8_lossy(&tumbler_control::proto::broker_login::lock_password(
            &self.0, serial,
        ))
        .into_owned()
    }
}

impl std::fmt::Debug for BrokerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BrokerSecret(<redacted>)")
    }
}
