//! Signed checkpoints: what anchors the audit chain outside the store (DESIGN §7).
//!
//! A checkpoint names the newest entry (`seq`) and its chain hash (`head`) at a moment (`time`) for
//! one portfolio, signed with Ed25519. Because every entry's hash covers its predecessor's, the
//! head hash at `seq` commits to entries `1..=seq` exactly: a log wiped, cut, re-ordered or
//! re-hashed after the checkpoint no longer matches it, and a matching checkpoint for the forged
//! log cannot be made without the signing key. The key is a 32-byte seed kept outside `data_dir`
//! (a systemd credential); verifiers need only the public key, so a regulator can check an export
//! without being able to sign one. This follows CloudTrail's signed digest files and Certificate
//! Transparency's signed tree heads.
//!
//! The signed message is `lockstep audit checkpoint v1\n` followed by the compact JSON of
//! `{"v","portfolio","seq","head","time","key"}` in that order (the checkpoint without its
//! signature).

use crate::model::Timestamp;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The checkpoint format written by this build.
pub const CHECKPOINT_VERSION: u32 = 1;
const DOMAIN: &[u8] = b"lockstep audit checkpoint v1\n";

/// Why a key could not be read. Never holds any part of the key's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "must be 64 hex characters (a 32-byte Ed25519 seed; make one with \
         `openssl rand -hex 32`), found {found} characters{}",
        if *.not_hex { " that are not all hex digits" } else { "" }
    )]
    Seed { found: usize, not_hex: bool },
    #[error("a public key must be 64 hex characters (32 bytes)")]
    Public,
}

/// The signing key: the private half stays in this process, never printed.
pub struct AuditKey {
    pair: Ed25519KeyPair,
    public: PublicKey,
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuditKey(public {})", self.public)
    }
}

impl AuditKey {
    /// Reads a seed written as 64 hex characters (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<AuditKey, KeyError> {
        let text = text.trim();
        let seed = hex::decode(text)
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or(KeyError::Seed {
                found: text.chars().count(),
                not_hex: !text.chars().all(|c| c.is_ascii_hexdigit()),
            })?;
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|_| KeyError::Seed {
            found: text.len(),
            not_hex: false,
        })?;
        let mut public = [0u8; 32];
        public.copy_from_slice(pair.public_key().as_ref());
        Ok(AuditKey {
            pair,
            public: PublicKey(public),
        })
    }

    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Signs the state `(portfolio, seq, head)` at `time`.
    pub fn sign(&self, portfolio: &str, seq: u64, head: &str, time: Timestamp) -> Checkpoint {
        let mut cp = Checkpoint {
            v: CHECKPOINT_VERSION,
            portfolio: portfolio.to_string(),
            seq,
            head: head.to_string(),
            time,
            key: self.public.to_string(),
            signature: String::new(),
        };
        cp.signature = hex::encode(self.pair.sign(&cp.message()).as_ref());
        cp
    }
}

/// An Ed25519 public key; shown as 64 hex characters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    pub fn from_hex(text: &str) -> Result<PublicKey, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::Public)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Public)?;
        Ok(PublicKey(bytes))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

/// One signed checkpoint, as written (one JSON object per line) and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub v: u32,
    pub portfolio: String,
    /// The newest entry covered; 0 for an empty log.
    pub seq: u64,
    /// The hash of entry `seq` ([`super::GENESIS`] when `seq` is 0).
    pub head: String,
    /// Unix seconds when it was signed.
    pub time: Timestamp,
    /// The public key that signed it (hex): which key, not a reason to trust it.
    pub key: String,
    /// Ed25519 signature (hex) over the message described in the module docs.
    pub signature: String,
}

#[derive(Serialize)]
struct Signed<'a> {
    v: u32,
    portfolio: &'a str,
    seq: u64,
    head: &'a str,
    time: Timestamp,
    key: &'a str,
}

impl Checkpoint {
    fn message(&self) -> Vec<u8> {
        let signed = Signed {
            v: self.v,
            portfolio: &self.portfolio,
            seq: self.seq,
            head: &self.head,
            time: self.time,
            key: &self.key,
        };
        let mut out = DOMAIN.to_vec();
        // Serialising plain strings and integers cannot fail.
        out.extend(serde_json::to_vec(&signed).unwrap_or_default());
        out
    }

    /// Checks the version, that `trusted` signed it, and the signature. The error says which.
    pub fn verify(&self, trusted: &PublicKey) -> Result<(), String> {
        if self.v != CHECKPOINT_VERSION {
            return Err(format!(
                "checkpoint version {} is not supported (this build reads {CHECKPOINT_VERSION})",
                self.v
            ));
        }
        let trusted_hex = trusted.to_string();
        if !self.key.eq_ignore_ascii_case(&trusted_hex) {
            return Err(format!(
                "signed by key {}, not the trusted key {trusted_hex}",
                self.key
            ));
        }
        let signature = hex::decode(&self.signature).unwrap_or_default();
        UnparsedPublicKey::new(&ED25519, trusted.0)
            .verify(&self.message(), &signature)
            .map_err(|_| "signature does not verify (checkpoint altered or forged)".to_string())
    }

    /// `seq 42 signed at 2026-11-23T06:00:00Z`.
    pub fn describe(&self) -> String {
        format!(
            "checkpoint seq {} signed at {}",
            self.seq,
            super::rfc3339(self.time)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

    #[test]
    fn signs_and_verifies_with_the_rfc_8032_test_key() {
        let key = AuditKey::from_hex(&format!(" {SEED}\n")).expect("key");
        // RFC 8032 §7.1, test 1: the public key of this seed.
        assert_eq!(
            key.public().to_string(),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let cp = key.sign("acme", 3, &"ab".repeat(32), 1_700_000_000);
        assert_eq!(cp.verify(key.public()), Ok(()));
        let round: Checkpoint =
            serde_json::from_str(&serde_json::to_string(&cp).expect("json")).expect("parse");
        assert_eq!(round.verify(key.public()), Ok(()));
    }

    #[test]
    fn any_changed_field_breaks_the_signature() {
        let key = AuditKey::from_hex(SEED).expect("key");
        let cp = key.sign("acme", 3, &"ab".repeat(32), 1_700_000_000);
        let edits: [fn(&mut Checkpoint); 5] = [
            |c| c.seq = 4,
            |c| c.head = "cd".repeat(32),
            |c| c.time += 1,
            |c| c.portfolio = "other".into(),
            |c| c.signature = "00".repeat(64),
        ];
        for edit in edits {
            let mut bad = cp.clone();
            edit(&mut bad);
            let err = bad.verify(key.public()).expect_err("tampered");
            assert!(err.contains("signature does not verify"), "{err}");
        }
    }

    #[test]
    fn another_key_is_named_not_trusted() {
        let key = AuditKey::from_hex(SEED).expect("key");
        let other = AuditKey::from_hex(&"11".repeat(32)).expect("key");
        let forged = other.sign("acme", 3, &"ab".repeat(32), 1);
        let err = forged.verify(key.public()).expect_err("other key");
        assert!(err.contains("not the trusted key"), "{err}");
        let mut relabelled = forged;
        relabelled.key = key.public().to_string();
        let err = relabelled.verify(key.public()).expect_err("relabelled");
        assert!(err.contains("signature does not verify"), "{err}");
    }

    #[test]
    fn bad_seeds_are_described_without_their_value() {
        for bad in ["", "abc", &"zz".repeat(32), &"ab".repeat(33)] {
            let err = AuditKey::from_hex(bad).expect_err("bad seed").to_string();
            assert!(err.contains("64 hex characters"), "{err}");
            assert!(bad.len() < 4 || !err.contains(bad), "{err}");
        }
        let err = AuditKey::from_hex(&"zz".repeat(32)).expect_err("not hex");
        assert!(err.to_string().contains("not all hex"), "{err}");
        assert!(format!("{:?}", AuditKey::from_hex(SEED).expect("key")).contains("public"));
        assert!(!format!("{:?}", AuditKey::from_hex(SEED).expect("key")).contains(SEED));
    }
}
