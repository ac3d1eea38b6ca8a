//! Logging in without sending the password: chapter 十三's challenge-response, with a salted,
//! slow-derived key instead of a shared secret.
//!
//! The scheme is SCRAM's (RFC 5802), with Argon2id as the slow function:
//!
//! ```text
//! salted     = Argon2id(password, salt)          slow on purpose: guessing is expensive
//! client_key = HMAC(salted, "Client Key")
//! stored_key = SHA-256(client_key)               all the server keeps (with the salt)
//!
//! server -> client   salt, a fresh 32-byte random challenge
//! signature  = HMAC(stored_key, user ":" challenge)
//! proof      = client_key XOR signature          what the client sends
//! server:      client_key' = proof XOR signature;  SHA-256(client_key') == stored_key ?
//! ```
//!
//! The password never crosses the wire, a recorded proof is useless for another challenge, and
//! a stolen users file does not let anyone log in: it holds `stored_key`, and a proof needs
//! `client_key`, which SHA-256 does not give back. What this does *not* do is encrypt anything:
//! after login, file names and contents travel in clear (see the lesson).

use argon2::{Algorithm, Argon2, Params, Version};
use hmac::{Hmac, KeyInit, Mac};
use rand::TryRngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 32 bytes: keys, challenges, proofs.
pub type Key = [u8; 32];

/// Argon2id's cost parameters, kept with each user so they can be raised later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kdf {
    /// Memory, in KiB.
    pub m: u32,
    /// Passes over the memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for Kdf {
    /// OWASP's recommended minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
    fn default() -> Kdf {
        Kdf {
            m: 19 * 1024,
            t: 2,
            p: 1,
        }
    }
}

impl Kdf {
    /// The parameters a server accepts from its users file, and a client from a server: a
    /// hostile server must not make a client allocate gigabytes or spin for minutes.
    pub fn check(&self) -> Result<(), String> {
        if !(8..=256 * 1024).contains(&self.m) || !(1..=10).contains(&self.t) || self.p != 1 {
            return Err(format!("unacceptable key derivation parameters {self:?}"));
        }
        Ok(())
    }
}

/// Random bytes for salts, secrets and challenges, from the operating system's generator
/// (Python's `os.urandom(32)`, as chapter 十三 uses it).
pub fn random_key() -> Key {
    let mut key = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut key)
        .expect("the operating system's random number generator failed");
    key
}

/// The slow part: Argon2id of the password with the user's salt.
pub fn salted_password(password: &str, salt: &[u8], kdf: Kdf) -> Result<Key, String> {
    kdf.check()?;
    let params = Params::new(kdf.m, kdf.t, kdf.p, Some(32)).map_err(|e| e.to_string())?;
    let mut salted = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password.as_bytes(), salt, &mut salted)
        .map_err(|e| e.to_string())?;
    Ok(salted)
}

/// What the client derives from its password: `HMAC(salted, "Client Key")`.
pub fn client_key(salted: &Key) -> Key {
    hmac(salted, &[b"Client Key"])
}

/// What the server stores: `SHA-256(client_key)`.
pub fn stored_key(client_key: &Key) -> Key {
    Sha256::digest(client_key).into()
}

/// Binds a proof to this user and this challenge: `HMAC(stored_key, user ":" challenge)`.
fn signature(stored_key: &Key, user: &str, challenge: &Key) -> Key {
    hmac(stored_key, &[user.as_bytes(), b":", challenge])
}

/// The client's answer to a challenge.
pub fn proof(client_key: &Key, user: &str, challenge: &Key) -> Key {
    xor(
        client_key,
        &signature(&stored_key(client_key), user, challenge),
    )
}

/// The server's check of an answer. The comparison takes the same time wherever the first
/// difference is (`subtle`'s constant-time equality), so the time taken tells an attacker
/// nothing about how close a guess came.
pub fn verify(stored: &Key, user: &str, challenge: &Key, proof: &Key) -> bool {
    let claimed_client_key = xor(proof, &signature(stored, user, challenge));
    stored_key(&claimed_client_key).ct_eq(stored).into()
}

fn hmac(key: &Key, parts: &[&[u8]]) -> Key {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn xor(a: &Key, b: &Key) -> Key {
    std::array::from_fn(|i| a[i] ^ b[i])
}

/// A 32-byte value from its hex form, as it travels in the JSON.
pub fn from_hex(text: &str) -> Option<Key> {
    let bytes = hex::decode(text).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters: the tests check the scheme, not Argon2's cost.
    const FAST: Kdf = Kdf { m: 8, t: 1, p: 1 };

    fn keys(password: &str, salt: &[u8]) -> (Key, Key) {
        let client = client_key(&salted_password(password, salt, FAST).unwrap());
        (client, stored_key(&client))
    }

    #[test]
    fn the_right_password_proves_itself_and_a_wrong_one_does_not() {
        let salt = random_key();
        let (client, stored) = keys("correct horse", &salt);
        let challenge = random_key();
        assert!(verify(
            &stored,
            "alice",
            &challenge,
            &proof(&client, "alice", &challenge)
        ));

        let (wrong, _) = keys("wrong horse", &salt);
        assert!(!verify(
            &stored,
            "alice",
            &challenge,
            &proof(&wrong, "alice", &challenge)
        ));
    }

    #[test]
    fn a_proof_is_good_for_one_user_and_one_challenge_only() {
        let (client, stored) = keys("pw", b"some salt bytes!");
        let challenge = random_key();
        let recorded = proof(&client, "alice", &challenge);
        assert!(
            !verify(&stored, "alice", &random_key(), &recorded),
            "replayed"
        );
        assert!(
            !verify(&stored, "bob", &challenge, &recorded),
            "another user"
        );
    }

    #[test]
    fn the_stored_key_alone_does_not_log_in() {
        // Someone with the users file tries the stored key where the client key belongs.
        let (_, stored) = keys("pw", b"some salt bytes!");
        let challenge = random_key();
        assert!(!verify(
            &stored,
            "alice",
            &challenge,
            &proof(&stored, "alice", &challenge)
        ));
    }

    #[test]
    fn the_same_password_with_another_salt_gives_another_key() {
        assert_ne!(
            keys("pw", b"salt number one!").1,
            keys("pw", b"salt number two!").1
        );
    }

    #[test]
    fn hostile_parameters_are_refused() {
        let huge = Kdf {
            m: 4 << 20,
            t: 1,
            p: 1,
        };
        assert!(salted_password("pw", b"some salt bytes!", huge).is_err());
        assert!(
            Kdf {
                m: 8,
                t: 1000,
                p: 1
            }
            .check()
            .is_err()
        );
        assert!(Kdf::default().check().is_ok());
    }
}
