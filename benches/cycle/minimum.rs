//! The fewest requests each vendor's API allows for one cycle, computed from the simulator's
//! state (not from lockstep's plan), and a snapshot of that state so the writes a cycle really
//! needed can be counted afterwards as the difference between two snapshots.
//!
//! Listing (reads), for the state as it was *before* the cycle:
//! - Kisi (OpenAPI `limit` maxima: users 100; groups and role assignments 250; `offset` at most
//!   20000, so a listing is reachable only if its last page starts at offset ≤ 20000): the
//!   group role assignments in one listing when reachable, otherwise one listing per managed
//!   group (`applies_to_id`), whichever is fewer; the group directory in one listing when
//!   reachable, otherwise one name lookup per managed group; users in one listing when
//!   reachable, otherwise by `ids`, 100 at a time, for the users the memberships name.
//! - Brivo (`pageSize` at most 100, no offset cap documented): users, groups, then the members
//!   of each managed group. OAuth token requests are counted apart, never in the minimum.
//! - Every listing costs at least one request, even when empty.
//!
//! `lists_shared` observes each account once per round, whatever number of properties share it
//! (the least the API allows); `lists_per_property` lets each property observe the account on
//! its own, as lockstep does today, so the gap between the two is the cost of that design.
//!
//! Writes, from the difference between the snapshots before and after the cycle: one request
//! per user created, deleted or changed and per membership added or removed (Kisi has no bulk
//! membership call). Brivo's `PUT /users/{id}/groups` takes `addGroups`/`removeGroups`, so
//! there the least is one request per user created or deleted plus one per user whose
//! memberships changed (`writes_batched`).

use lockstep::sim::brivo::BrivoState;
use lockstep::sim::kisi::{KisiState, MAX_OFFSET};
use lockstep::sim::world::FOREIGN_GROUP;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What one access system's account holds, reduced to what the minimum needs.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Snapshot {
    /// User id → a fingerprint of the fields lockstep writes (a change is one update).
    pub users: BTreeMap<u64, String>,
    pub groups: BTreeMap<u64, String>,
    /// (group id, user id).
    pub memberships: BTreeSet<(u64, u64)>,
}

/// The least requests one cycle needs against one access system.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Minimum {
    pub lists_shared: u64,
    pub lists_per_property: u64,
    /// Filled in once the cycle is over (the difference of two snapshots).
    pub writes: u64,
    pub writes_batched: u64,
}

impl Snapshot {
    pub fn of_kisi(s: &KisiState) -> Snapshot {
        Snapshot {
            users: s
                .users
                .iter()
                .map(|u| {
                    let meta = serde_json::to_string(&u.metadata).unwrap_or_default();
                    let print = format!("{}|{}|{}|{meta}", u.name, u.email, u.access_enabled);
                    (u.id, print)
                })
                .collect(),
            groups: s.groups.iter().map(|g| (g.id, g.name.clone())).collect(),
            memberships: s
                .role_assignments
                .iter()
                .map(|a| (a.group_id, a.user_id))
                .collect(),
        }
    }

    pub fn of_brivo(s: &BrivoState) -> Snapshot {
        Snapshot {
            users: s
                .users
                .iter()
                .map(|u| {
                    let emails: Vec<&str> = u.emails.iter().map(|e| e.address.as_str()).collect();
                    let print = format!(
                        "{}|{}|{:?}|{}|{emails:?}",
                        u.first_name, u.last_name, u.external_id, u.suspended
                    );
                    (u.id, print)
                })
                .collect(),
            groups: s.groups.iter().map(|g| (g.id, g.name.clone())).collect(),
            memberships: s
                .memberships
                .iter()
                .map(|m| (m.group_id, m.user_id))
                .collect(),
        }
    }

    /// Members per group id.
    fn members(&self) -> BTreeMap<u64, u64> {
        let mut by_group = BTreeMap::new();
        for (g, _) in &self.memberships {
            *by_group.entry(*g).or_insert(0) += 1;
        }
        by_group
    }

    /// Ids of the groups named in `scope` (one property's managed groups).
    fn ids_of(&self, scope: &BTreeSet<String>) -> Vec<u64> {
        self.groups
            .iter()
            .filter(|(_, name)| scope.contains(*name) && name.as_str() != FOREIGN_GROUP)
            .map(|(id, _)| *id)
            .collect()
    }
}

fn pages(items: u64, per_page: u64) -> u64 {
    items.div_ceil(per_page).max(1)
}

/// Whether offset paging reaches the last page of `items` (Kisi's `offset` ≤ 20000).
fn reachable(items: u64, per_page: u64) -> bool {
    items == 0 || (items - 1) / per_page * per_page <= MAX_OFFSET as u64
}

/// Kisi listings for the properties whose managed groups are `scopes`, observed together.
fn kisi_lists(s: &Snapshot, scope: &BTreeSet<String>) -> u64 {
    let members = s.members();
    let managed = s.ids_of(scope);
    let per_group: u64 = managed
        .iter()
        .map(|g| pages(members.get(g).copied().unwrap_or(0), 250))
        .sum();
    let all = s.memberships.len() as u64;
    let assignments = if reachable(all, 250) {
        pages(all, 250).min(per_group)
    } else {
        per_group
    };
    let groups = s.groups.len() as u64;
    let directory = if reachable(groups, 250) {
        pages(groups, 250)
    } else {
        managed.len() as u64
    };
    let users = s.users.len() as u64;
    let users = if reachable(users, 100) {
        pages(users, 100)
    } else {
        let managed: BTreeSet<u64> = managed.into_iter().collect();
        let named: BTreeSet<u64> = s
            .memberships
            .iter()
            .filter(|(g, _)| managed.contains(g))
            .map(|(_, u)| *u)
            .collect();
        pages(named.len() as u64, 100)
    };
    assignments + directory + users
}

/// Brivo listings for the properties whose managed groups are `scope`, observed together.
fn brivo_lists(s: &Snapshot, scope: &BTreeSet<String>) -> u64 {
    let members = s.members();
    let per_group: u64 = s
        .ids_of(scope)
        .iter()
        .map(|g| pages(members.get(g).copied().unwrap_or(0), 100))
        .sum();
    pages(s.users.len() as u64, 100) + pages(s.groups.len() as u64, 100) + per_group
}

/// The listing minimum before a cycle of the properties whose managed groups are `scopes`.
pub fn lists(kisi: bool, s: &Snapshot, scopes: &[BTreeSet<String>]) -> Minimum {
    let of = |scope: &BTreeSet<String>| {
        if kisi {
            kisi_lists(s, scope)
        } else {
            brivo_lists(s, scope)
        }
    };
    let union: BTreeSet<String> = scopes.iter().flatten().cloned().collect();
    Minimum {
        lists_shared: of(&union),
        lists_per_property: scopes.iter().map(of).sum(),
        ..Minimum::default()
    }
}

/// The writes that turn `before` into `after`: per change, and batched per user (Brivo).
pub fn writes(before: &Snapshot, after: &Snapshot) -> (u64, u64) {
    let created = after
        .users
        .keys()
        .filter(|u| !before.users.contains_key(u))
        .count() as u64;
    let deleted: BTreeSet<u64> = before
        .users
        .keys()
        .filter(|u| !after.users.contains_key(u))
        .copied()
        .collect();
    let updated = after
        .users
        .iter()
        .filter(|(u, print)| before.users.get(u).is_some_and(|p| p != *print))
        .count() as u64;
    // A deleted user's memberships go with it: no request of their own.
    let changed: Vec<&(u64, u64)> = after
        .memberships
        .symmetric_difference(&before.memberships)
        .filter(|(_, u)| !deleted.contains(u))
        .collect();
    let touched: BTreeSet<u64> = changed.iter().map(|(_, u)| *u).collect();
    let users = created + deleted.len() as u64 + updated;
    (users + changed.len() as u64, users + touched.len() as u64)
}
