//! How records and keys are laid out on disk: a versioned JSON envelope and NUL-separated keys.
//!
//! Every value is `{"v":1,"data":{...}}`. A record of another version, or one that does not parse,
//! is a [`StoreError::Decode`] naming the tree and key: never a panic, never a silent default.
//! Compound keys are `a \0 b [\0 c]`; every part but the last must be free of NUL so that a key
//! splits one way only and a prefix scan for `a \0` never picks up a longer `a…`.

use super::StoreError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The record format version written by this build.
pub const RECORD_VERSION: u32 = 1;

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    v: u32,
    data: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeIn {
    v: u32,
    data: serde_json::Value,
}

pub(crate) fn encode<T: Serialize>(tree: &'static str, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(&EnvelopeOut {
        v: RECORD_VERSION,
        data: value,
    })
    .map_err(|e| StoreError::Encode {
        tree,
        detail: e.to_string(),
    })
}

/// Decodes a record, naming its key the generic way (NUL shown as `/`).
pub(crate) fn decode<T: DeserializeOwned>(
    tree: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    decode_named(tree, || show_key(key), bytes)
}

/// Decodes a record whose key the caller knows how to name (e.g. `entry 42` in the audit log).
pub(crate) fn decode_named<T: DeserializeOwned>(
    tree: &'static str,
    key: impl FnOnce() -> String,
    bytes: &[u8],
) -> Result<T, StoreError> {
    let result = serde_json::from_slice::<EnvelopeIn>(bytes)
        .map_err(|e| e.to_string())
        .and_then(|envelope| {
            if envelope.v != RECORD_VERSION {
                return Err(format!(
                    "record version {} is not supported by this build (it reads version \
                     {RECORD_VERSION})",
                    envelope.v
                ));
            }
            serde_json::from_value(envelope.data).map_err(|e| e.to_string())
        });
    result.map_err(|detail| StoreError::Decode {
        tree,
        key: key(),
        detail,
    })
}

pub(crate) fn show_key(key: &[u8]) -> String {
    String::from_utf8_lossy(key).replace('\0', "/")
}

fn check_part(tree: &'static str, part: &str) -> Result<(), StoreError> {
    if part.contains('\0') {
        return Err(StoreError::Encode {
            tree,
            detail: format!("key part {:?} contains a NUL character", part),
        });
    }
    Ok(())
}

/// `a \0`: the prefix of every key whose first part is `a`.
pub(crate) fn prefix(tree: &'static str, a: &str) -> Result<Vec<u8>, StoreError> {
    check_part(tree, a)?;
    let mut k = Vec::with_capacity(a.len() + 1);
    k.extend_from_slice(a.as_bytes());
    k.push(0);
    Ok(k)
}

/// `a \0 b`.
pub(crate) fn key2(tree: &'static str, a: &str, b: &str) -> Result<Vec<u8>, StoreError> {
    let mut k = prefix(tree, a)?;
    k.extend_from_slice(b.as_bytes());
    Ok(k)
}

/// `a \0 b \0`: the prefix of every key `a \0 b \0 c`.
pub(crate) fn prefix2(tree: &'static str, a: &str, b: &str) -> Result<Vec<u8>, StoreError> {
    check_part(tree, b)?;
    let mut k = key2(tree, a, b)?;
    k.push(0);
    Ok(k)
}

/// `a \0 b \0 c`.
pub(crate) fn key3(tree: &'static str, a: &str, b: &str, c: &str) -> Result<Vec<u8>, StoreError> {
    let mut k = prefix2(tree, a, b)?;
    k.extend_from_slice(c.as_bytes());
    Ok(k)
}

/// The part of `key` after `prefix`, as text (keys are built from `&str`, so this is lossless).
pub(crate) fn rest(key: &[u8], prefix: &[u8]) -> String {
    String::from_utf8_lossy(key.get(prefix.len()..).unwrap_or_default()).into_owned()
}

/// Every record of `tree` under `start`, keyed by the rest of its key after `start`.
pub(crate) fn scan_map<T: DeserializeOwned>(
    name: &'static str,
    tree: &sled::Tree,
    start: &[u8],
) -> Result<std::collections::BTreeMap<String, T>, StoreError> {
    let mut out = std::collections::BTreeMap::new();
    for item in tree.scan_prefix(start) {
        let (k, v) = item?;
        out.insert(rest(&k, start), decode(name, &k, &v)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_versions_and_garbage_are_decode_errors() {
        let err = decode::<u32>("meta", b"k", br#"{"v":99,"data":1}"#).expect_err("version");
        assert!(err.to_string().contains("version 99"), "{err}");
        assert_eq!(err.kind(), "decode");
        for bad in [
            &b"not json"[..],
            b"",
            b"{}",
            br#"{"v":1}"#,
            br#"{"v":1,"data":"x"}"#,
        ] {
            let err = decode::<u32>("meta", b"a\0b", bad).expect_err("garbage");
            match err {
                StoreError::Decode { tree, key, .. } => {
                    assert_eq!((tree, key.as_str()), ("meta", "a/b"))
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        let bytes = encode("meta", &7u32).expect("encode");
        assert_eq!(bytes, br#"{"v":1,"data":7}"#);
        assert_eq!(decode::<u32>("meta", b"k", &bytes).expect("decode"), 7);
    }

    #[test]
    fn keys_cannot_collide_and_reject_nul() {
        assert_eq!(key2("t", "p1", "a").expect("key"), b"p1\0a");
        assert!(!key2("t", "p10", "a")
            .expect("key")
            .starts_with(&prefix("t", "p1").expect("prefix")));
        assert!(key2("t", "p\0", "a").is_err());
        assert!(key3("t", "p", "a\0b", "c").is_err());
        assert!(
            key2("t", "p", "a\0b").is_ok(),
            "the last part may hold anything"
        );
        let k = key3("t", "p", "r1", "fob").expect("key");
        assert_eq!(rest(&k, &prefix2("t", "p", "r1").expect("prefix")), "fob");
    }
}
