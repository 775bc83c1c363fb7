//! Invitations owed: people whose user lockstep created in a system that notifies, under the
//! `default` notify policy, whose first grant has not yet reached the system. The first grant
//! that succeeds asks the system to notify them and settles the debt, even when it comes in a
//! later cycle than the creation (every grant of the creating cycle may have failed).
//!
//! Keyed `property \0 system \0 external id` → when the user was created. Written with the
//! cycle's other records (not flushed on its own): a crash in between loses at most the
//! invitation of the users created in that chunk, never a grant.

use super::codec::{encode, key3, prefix2, rest};
use super::{Inner, StoreError};
use crate::model::Timestamp;
use std::collections::BTreeSet;

const TREE: &str = "invites";

/// The `invites` tree of a [`super::Store`].
pub struct Invites<'a> {
    pub(crate) inner: &'a Inner,
}

impl Invites<'_> {
    /// Records that `external_id`'s first grant in `system` should notify them.
    pub fn owe(
        &self,
        property: &str,
        system: &str,
        external_id: &str,
        created_at: Timestamp,
    ) -> Result<(), StoreError> {
        let k = key3(TREE, property, system, external_id)?;
        self.inner.invites.insert(k, encode(TREE, &created_at)?)?;
        Ok(())
    }

    /// The first grant notified them: nothing is owed any more.
    pub fn settle(
        &self,
        property: &str,
        system: &str,
        external_id: &str,
    ) -> Result<(), StoreError> {
        let k = key3(TREE, property, system, external_id)?;
        self.inner.invites.remove(k)?;
        Ok(())
    }

    /// The external ids still owed an invitation at `property` in `system`.
    pub fn owed(&self, property: &str, system: &str) -> Result<BTreeSet<String>, StoreError> {
        let start = prefix2(TREE, property, system)?;
        let mut out = BTreeSet::new();
        for item in self.inner.invites.scan_prefix(&start) {
            let (k, _) = item?;
            out.insert(rest(&k, &start));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn owed_until_settled_per_property_and_system() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let invites = store.invites();
        invites.owe("p1", "kisi", "lockstep:y:1", 10).expect("owe");
        invites.owe("p1", "kisi", "lockstep:y:2", 11).expect("owe");
        invites.owe("p1", "door", "lockstep:y:1", 12).expect("owe");
        invites.owe("p10", "kisi", "lockstep:y:3", 13).expect("owe");
        let owed = invites.owed("p1", "kisi").expect("owed");
        assert_eq!(
            owed.into_iter().collect::<Vec<_>>(),
            ["lockstep:y:1", "lockstep:y:2"]
        );
        invites
            .settle("p1", "kisi", "lockstep:y:1")
            .expect("settle");
        invites
            .settle("p1", "kisi", "lockstep:y:9")
            .expect("settling nothing is fine");
        assert_eq!(invites.owed("p1", "kisi").expect("owed").len(), 1);
        assert_eq!(invites.owed("p1", "door").expect("owed").len(), 1);
        drop(store);
        let store = Store::open(dir.path()).expect("reopen");
        assert_eq!(
            store.invites().owed("p1", "kisi").expect("owed").len(),
            1,
            "kept"
        );
    }
}
