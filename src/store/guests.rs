//! The `guests` tree: the guest and prospect PINs residents asked for (`policy::guests`),
//! keyed `property \0 pass id`. Passes are kept when cancelled (`cancelled: true`), so the
//! listing shows them and the count of live passes stays honest.
//!
//! `add` checks the per-resident limits against the host's passes and inserts under one lock,
//! so two requests at once cannot both take the last slot. Adds and cancels are flushed.

use super::codec::{decode, encode, key2, prefix};
use super::{Inner, StoreError};
use crate::config::GuestPinRules;
use crate::model::Timestamp;
use crate::policy::guests::{check, GuestPass, LimitRefusal};
use rand::Rng;

const GUESTS: &str = "guests";

/// Why a pass was not added.
#[derive(Debug, thiserror::Error)]
pub enum AddPassError {
    /// A limit of the property refuses it.
    #[error(transparent)]
    Refused(LimitRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new pass id: `g` + 10 random lowercase letters and digits.
pub fn new_pass_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..10)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("g{tail}")
}

/// The `guests` tree.
pub struct GuestPasses<'a> {
    pub(crate) inner: &'a Inner,
}

impl GuestPasses<'_> {
    /// Checks `pass` against `rules` and the host's passes, gives it a fresh id and stores it
    /// (flushed), all under the tree's lock.
    pub fn add(
        &self,
        mut pass: GuestPass,
        rules: &GuestPinRules,
        now: Timestamp,
    ) -> Result<GuestPass, AddPassError> {
        let _held = self
            .inner
            .guests_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let host = self.for_host(&pass.property, &pass.host)?;
        check(&pass, &host, rules, now).map_err(AddPassError::Refused)?;
        let key = loop {
            pass.id = new_pass_id();
            let k = key2(GUESTS, &pass.property, &pass.id)?;
            if !self
                .inner
                .guests
                .contains_key(&k)
                .map_err(StoreError::from)?
            {
                break k;
            }
        };
        self.inner
            .guests
            .insert(key, encode(GUESTS, &pass)?)
            .map_err(StoreError::from)?;
        self.inner.db.flush().map_err(StoreError::from)?;
        Ok(pass)
    }

    /// One pass, cancelled or not.
    pub fn get(&self, property: &str, id: &str) -> Result<Option<GuestPass>, StoreError> {
        let k = key2(GUESTS, property, id)?;
        self.inner
            .guests
            .get(&k)?
            .map(|v| decode(GUESTS, &k, &v))
            .transpose()
    }

    /// Marks a pass cancelled (flushed). `None` when there is no such pass; otherwise the pass,
    /// cancelled, and whether this call cancelled it (`false`: it already was).
    pub fn cancel(
        &self,
        property: &str,
        id: &str,
    ) -> Result<Option<(GuestPass, bool)>, StoreError> {
        let _held = self
            .inner
            .guests_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(mut pass) = self.get(property, id)? else {
            return Ok(None);
        };
        if pass.cancelled {
            return Ok(Some((pass, false)));
        }
        pass.cancelled = true;
        let k = key2(GUESTS, property, id)?;
        self.inner.guests.insert(k, encode(GUESTS, &pass)?)?;
        self.inner.db.flush()?;
        Ok(Some((pass, true)))
    }

    /// Every pass of one property, cancelled ones too, sorted by id.
    pub fn for_property(&self, property: &str) -> Result<Vec<GuestPass>, StoreError> {
        let start = prefix(GUESTS, property)?;
        self.inner
            .guests
            .scan_prefix(start)
            .map(|item| {
                let (k, v) = item?;
                decode(GUESTS, &k, &v)
            })
            .collect()
    }

    /// Every pass one resident of a property asked for, cancelled ones too, sorted by id.
    pub fn for_host(&self, property: &str, host: &str) -> Result<Vec<GuestPass>, StoreError> {
        let mut all = self.for_property(property)?;
        all.retain(|p| p.host == host);
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PassLimit;
    use crate::policy::guests::PassKind;
    use crate::store::Store;
    use std::sync::Arc;

    fn rules() -> GuestPinRules {
        GuestPinRules {
            groups: vec!["Lobby".into()],
            temporary: Some(PassLimit {
                count: 2,
                max_duration: Some(std::time::Duration::from_secs(7 * 86_400)),
                days_per_week: None,
            }),
            ..GuestPinRules::default()
        }
    }

    fn request(host: &str) -> GuestPass {
        GuestPass {
            id: String::new(),
            property: "mc".into(),
            host: host.into(),
            guest_name: "Ana".into(),
            kind: PassKind::Temporary,
            from: 1_000,
            until: Some(5_000),
            days: Default::default(),
            created_by: "ops".into(),
            created_at: 1_000,
            cancelled: false,
        }
    }

    #[test]
    fn guest_passes_add_cancel_and_list_by_host() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let g = store.guest_passes();
        let a = g.add(request("r-1"), &rules(), 1_000).expect("added");
        assert!(a.id.starts_with('g') && a.id.len() == 11, "{}", a.id);
        assert!(a.id[1..]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        g.add(request("r-1"), &rules(), 1_000).expect("second");
        g.add(request("r-2"), &rules(), 1_000).expect("other host");
        let refused = g.add(request("r-1"), &rules(), 1_000).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "temporary guest PINs: at most 2 live per resident; r-1 already holds 2"
        );
        assert_eq!(g.for_host("mc", "r-1").expect("list").len(), 2);
        assert_eq!(g.for_property("mc").expect("list").len(), 3);
        let (cancelled, newly) = g.cancel("mc", &a.id).expect("cancel").expect("found");
        assert!(cancelled.cancelled && newly);
        assert!(!g.cancel("mc", &a.id).expect("again").expect("found").1);
        assert!(g.cancel("mc", "gnothere000").expect("cancel").is_none());
        g.add(request("r-1"), &rules(), 1_000)
            .expect("a slot is free again");
    }

    #[test]
    fn concurrent_adds_cannot_both_take_the_last_slot() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(dir.path()).expect("open"));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || {
                    store
                        .guest_passes()
                        .add(request("r-1"), &rules(), 1_000)
                        .is_ok()
                })
            })
            .collect();
        let added = threads
            .into_iter()
            .map(|t| t.join().expect("thread"))
            .filter(|ok| *ok)
            .count();
        assert_eq!(added, 2);
        assert_eq!(
            store
                .guest_passes()
                .for_host("mc", "r-1")
                .expect("list")
                .len(),
            2
        );
    }
}
