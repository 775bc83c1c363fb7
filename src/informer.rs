//! The informer: one observation of each access system, shared by every property that uses it
//! and kept between cycles (after kube-runtime's reflector store).
//!
//! The first property of a round to need a system lists it with the scope of *every* property
//! on that system (their managed groups together), so ten properties on one account cost one
//! listing, not ten. Later cycles read the cached state, patched with lockstep's own confirmed
//! writes, so a steady cycle sends the system no listing request at all. The cache is dropped
//! and the system listed again:
//! - every `resync` (default 15 minutes), to see changes made by hand in the vendor's console;
//! - at once after a write whose outcome is unknown (timeout, reset, 5xx) or that found its
//!   object gone, since the cache can no longer be trusted;
//! - when a property asks for groups outside the cached scope (a reload that maps new groups).
//!
//! Systems that cannot list their whole group directory (Kisi past its offset cap) return a
//! partial observation; groups such a cache has not seen are observed on their own and merged.
//! Memory is proportional to the owned users and their managed memberships: foreign users are
//! only counted.

use crate::access::{AccessError, AccessSystem, Scope};
use crate::executor::Outcome;
use crate::model::{Action, ActualState, ActualUser, DesiredState, ManagedGroups};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The shared caches of every access system of one config generation.
pub struct Informer {
    resync: Mutex<Duration>,
    slots: Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<Option<Cached>>>>>,
}

struct Cached {
    state: ActualState,
    /// Group → external ids of the owned users (first accounts or copies) holding it.
    members: BTreeMap<String, BTreeSet<String>>,
    scope: ManagedGroups,
    wanted: BTreeSet<String>,
    listed_at: Instant,
    stale: bool,
}

/// Why the informer went to the vendor, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    Cached,
    Listed,
    Merged,
}

impl Informer {
    pub fn new(resync: Duration) -> Informer {
        Informer {
            resync: Mutex::new(resync),
            slots: Mutex::new(BTreeMap::new()),
        }
    }

    fn slot(&self, system: &str) -> Arc<tokio::sync::Mutex<Option<Cached>>> {
        self.slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(system.to_string())
            .or_default()
            .clone()
    }

    /// Forgets every cache (a reload rebuilt the connectors) and takes the new period.
    pub fn reset(&self, resync: Duration) {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).clear();
        *self.resync.lock().unwrap_or_else(|e| e.into_inner()) = resync;
    }

    /// The part of one system's state one property plans on: the owned users it wants, and
    /// every owned user holding a membership in the groups it manages (`scope.managed`).
    /// `union` is the managed scope of every property on the system.
    pub async fn observe(
        &self,
        name: &str,
        system: &Arc<dyn AccessSystem>,
        scope: &Scope,
        union: &ManagedGroups,
        want: &DesiredState,
    ) -> Result<(ActualState, Read), AccessError> {
        let slot = self.slot(name);
        let mut cached = slot.lock().await;
        let now = Instant::now();
        let resync = *self.resync.lock().unwrap_or_else(|e| e.into_inner());
        let usable = cached.as_ref().is_some_and(|c| {
            !c.stale && now.duration_since(c.listed_at) < resync && covers(&c.scope, &scope.managed)
        });
        let mut read = Read::Cached;
        if !usable {
            let mut managed = union.clone();
            add(&mut managed, &scope.managed);
            let mut wanted = scope.wanted.clone();
            if let Some(c) = cached.as_ref() {
                add(&mut managed, &c.scope);
                wanted.extend(c.wanted.iter().cloned());
            }
            let state = system
                .observe(&Scope {
                    managed: managed.clone(),
                    wanted: wanted.clone(),
                })
                .await?;
            tracing::debug!(system = name, users = state.users.len(), "listed");
            let members = index(&state);
            *cached = Some(Cached {
                state,
                members,
                scope: managed,
                wanted,
                listed_at: now,
                stale: false,
            });
            read = Read::Listed;
        }
        let Some(c) = cached.as_mut() else {
            unreachable!("filled above");
        };
        if read == Read::Cached && c.state.partial {
            let missing: BTreeSet<String> = scope
                .wanted
                .iter()
                .filter(|g| !c.state.groups.contains_key(*g) && !c.wanted.contains(*g))
                .cloned()
                .collect();
            if !missing.is_empty() {
                let part = ManagedGroups {
                    names: missing.clone(),
                    patterns: Vec::new(),
                };
                let seen = system
                    .observe(&Scope {
                        managed: part,
                        wanted: missing.clone(),
                    })
                    .await?;
                merge(&mut c.state, seen);
                c.members = index(&c.state);
                c.wanted.extend(missing);
                read = Read::Merged;
            }
        }
        Ok((view(c, &scope.managed, want), read))
    }

    /// Patches a system's cache with the outcomes of lockstep's own writes; an outcome that
    /// leaves the cache in doubt drops it so the next cycle lists again.
    pub async fn confirm(&self, name: &str, written: &[Written]) {
        let slot = self.slot(name);
        let mut cached = slot.lock().await;
        let Some(c) = cached.as_mut() else {
            return;
        };
        for w in written {
            match w.result {
                WriteResult::Done => patch(c, w),
                WriteResult::InDoubt => c.stale = true,
                WriteResult::Refused => {}
            }
        }
    }
}

/// One write as the informer learns of it.
#[derive(Debug, Clone)]
pub struct Written {
    pub action: Action,
    /// The vendor's id of a user this write created.
    pub user_id: Option<String>,
    /// The vendor's id of a membership this write made.
    pub membership_id: Option<String>,
    pub result: WriteResult,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteResult {
    /// Confirmed by the vendor.
    Done,
    /// Refused, with the state unchanged (a validation error, a limit).
    Refused,
    /// Unknown outcome, or the object was gone: the cache is no longer trusted.
    InDoubt,
}

impl Written {
    pub fn of(o: &Outcome) -> Written {
        Written {
            action: o.action.clone(),
            user_id: o.user_id.clone(),
            membership_id: o.membership_id.clone(),
            result: match &o.result {
                Ok(()) => WriteResult::Done,
                Err(e) if e.outcome_unknown() || e.kind() == "not_found" => WriteResult::InDoubt,
                Err(_) => WriteResult::Refused,
            },
        }
    }
}

fn add(into: &mut ManagedGroups, more: &ManagedGroups) {
    into.names.extend(more.names.iter().cloned());
    for p in &more.patterns {
        if !into.patterns.contains(p) {
            into.patterns.push(p.clone());
        }
    }
}

fn covers(have: &ManagedGroups, need: &ManagedGroups) -> bool {
    need.names.iter().all(|n| have.contains(n))
        && need.patterns.iter().all(|p| have.patterns.contains(p))
}

fn patch(c: &mut Cached, o: &Written) {
    let state = &mut c.state;
    match &o.action {
        Action::CreateUser {
            external_id,
            name,
            email,
            ..
        } => {
            if let Some(id) = &o.user_id {
                state
                    .users
                    .entry(external_id.clone())
                    .or_insert_with(|| ActualUser {
                        system_id: id.clone(),
                        external_id: Some(external_id.clone()),
                        name: name.clone(),
                        email: email.clone(),
                        ..ActualUser::default()
                    });
            }
        }
        Action::AddToGroup {
            external_id,
            group,
            window,
            ..
        }
        | Action::SetWindow {
            external_id,
            group,
            window,
            ..
        } => {
            if let Some(u) = state.users.get_mut(external_id) {
                let m = u.groups.entry(group.clone()).or_default();
                m.window = *window;
                if o.membership_id.is_some() {
                    m.id = o.membership_id.clone();
                }
                c.members
                    .entry(group.clone())
                    .or_default()
                    .insert(external_id.clone());
            }
        }
        Action::RemoveFromGroup {
            external_id,
            group,
            account,
            ..
        } => {
            let first = state
                .users
                .get_mut(external_id)
                .filter(|_| account.is_none());
            if let Some(u) = first {
                u.groups.remove(group);
            }
            if let (Some(copy), Some(copies)) = (account, state.duplicates.get_mut(external_id)) {
                for d in copies.iter_mut().filter(|d| &d.system_id == copy) {
                    d.groups.remove(group);
                }
            }
            let still = state
                .users
                .get(external_id)
                .is_some_and(|u| u.groups.contains_key(group))
                || state
                    .duplicates
                    .get(external_id)
                    .is_some_and(|cs| cs.iter().any(|d| d.groups.contains_key(group)));
            if !still {
                if let Some(m) = c.members.get_mut(group) {
                    m.remove(external_id);
                }
            }
        }
        Action::RevokeCredential { .. } => {}
        Action::IssuePin {
            external_id,
            window,
            ..
        } => {
            if let Some(u) = state.users.get_mut(external_id) {
                u.pin = Some(*window);
            }
        }
        Action::RevokePin { external_id, .. } => {
            if let Some(u) = state.users.get_mut(external_id) {
                u.pin = None;
            }
        }
        // Credentials are not part of the cached listing (they are listed per lost report).
        Action::IssueMobileKey { .. } => {}
    }
}

/// The directory entries a property needs, by lookups and prefix ranges (never a scan of a
/// directory that may hold every unit of the portfolio).
fn directory(
    all: &BTreeMap<String, String>,
    groups: &BTreeSet<&String>,
    managed: &ManagedGroups,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for g in groups.iter().copied().chain(managed.names.iter()) {
        if let Some((k, v)) = all.get_key_value(g) {
            out.insert(k.clone(), v.clone());
        }
    }
    for (prefix, suffix) in &managed.patterns {
        for (k, v) in all
            .range::<String, _>(prefix.clone()..)
            .take_while(|(g, _)| g.starts_with(prefix.as_str()))
            .filter(|(g, _)| g.ends_with(suffix.as_str()) && managed.contains(g))
        {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// Group → holders, over first accounts and copies.
fn index(state: &ActualState) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let all = state.users.iter().chain(
        state
            .duplicates
            .iter()
            .flat_map(|(e, cs)| cs.iter().map(move |c| (e, c))),
    );
    for (ext, u) in all {
        for g in u.groups.keys() {
            out.entry(g.clone()).or_default().insert(ext.clone());
        }
    }
    out
}

/// Adds what a partial observation saw to the cache: new groups, new users, new memberships.
fn merge(into: &mut ActualState, seen: ActualState) {
    into.groups.extend(seen.groups);
    for (ext, user) in seen.users {
        match into.users.get_mut(&ext) {
            Some(have) => have.groups.extend(user.groups),
            None => {
                into.users.insert(ext, user);
            }
        }
    }
    for (ext, copies) in seen.duplicates {
        into.duplicates.entry(ext).or_insert(copies);
    }
}

/// The users one property plans on, found through the group index: the users it wants or
/// holds, and every holder of a group it manages or once granted.
fn view(c: &Cached, managed: &ManagedGroups, want: &DesiredState) -> ActualState {
    let mut exts: BTreeSet<&String> = want.users.keys().chain(want.held.iter()).collect();
    let mut groups: BTreeSet<&String> = want.owned_grants.iter().map(|(_, g)| g).collect();
    for u in want.users.values() {
        groups.extend(u.groups.keys());
    }
    for name in &managed.names {
        if let Some((g, _)) = c.members.get_key_value(name) {
            groups.insert(g);
        }
    }
    for (prefix, suffix) in &managed.patterns {
        let in_range = c
            .members
            .range::<String, _>(prefix.clone()..)
            .take_while(|(g, _)| g.starts_with(prefix.as_str()))
            .filter(|(g, _)| managed.contains(g) && g.ends_with(suffix.as_str()));
        groups.extend(in_range.map(|(g, _)| g));
    }
    for g in &groups {
        if let Some(holders) = c.members.get(*g) {
            exts.extend(holders.iter());
        }
    }
    let state = &c.state;
    ActualState {
        users: exts
            .iter()
            .filter_map(|e| state.users.get_key_value(*e))
            .map(|(e, u)| (e.clone(), u.clone()))
            .collect(),
        duplicates: exts
            .iter()
            .filter_map(|e| state.duplicates.get_key_value(*e))
            .map(|(e, d)| (e.clone(), d.clone()))
            .collect(),
        foreign_users: state.foreign_users,
        groups: directory(&state.groups, &groups, managed),
        partial: state.partial,
    }
}

#[cfg(test)]
mod tests;
