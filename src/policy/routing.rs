//! Routing a property's desired state to its access systems: which managed groups live in each
//! system, and each system's share of the desired state.

use super::managed_groups;
use crate::config::PropertyConfig;
use crate::model::{DesiredState, DesiredUser, ManagedGroups, Window};
use std::collections::{BTreeMap, BTreeSet};

/// The part of a property's managed groups that lives in one of its access systems.
pub fn managed_in(property: &PropertyConfig, system: &str) -> ManagedGroups {
    let all = managed_groups(property);
    let pattern_here = property
        .units
        .pattern
        .as_deref()
        .is_some_and(|p| routed_to(property, system, p));
    ManagedGroups {
        names: all
            .names
            .into_iter()
            .filter(|g| property.system_of(g) == Some(system))
            .collect(),
        patterns: if pattern_here {
            all.patterns
        } else {
            Vec::new()
        },
    }
}

fn routed_to(property: &PropertyConfig, system: &str, pattern: &str) -> bool {
    match property.access_systems.get(system) {
        Some(r) => {
            (property.access_systems.len() == 1 && r.groups.is_empty()) || r.matches(pattern)
        }
        None => false,
    }
}

/// Splits a property's desired state into one per access system: each user keeps the groups
/// that live there (a user with none there and no PIN to hold there is absent from it), each
/// system its managed groups. A PIN lives only in the system the property's `pins` names.
pub fn per_system(
    property: &PropertyConfig,
    desired: &DesiredState,
) -> BTreeMap<String, DesiredState> {
    property
        .access_systems
        .keys()
        .map(|system| {
            let holds_pins = property.pins.as_ref().is_some_and(|p| &p.system == system);
            let holds_keys = property
                .mobile_keys
                .as_ref()
                .is_some_and(|k| &k.system == system);
            let users = desired
                .users
                .iter()
                .filter_map(|(ext, u)| {
                    let groups: BTreeMap<String, Window> = u
                        .groups
                        .iter()
                        .filter(|(g, _)| property.system_of(g) == Some(system.as_str()))
                        .map(|(g, w)| (g.clone(), *w))
                        .collect();
                    let pin = u.pin.filter(|_| holds_pins);
                    let mobile_key = u.mobile_key && holds_keys;
                    let present = !groups.is_empty()
                        || !u.revoked_credentials.is_empty()
                        || pin.is_some()
                        || mobile_key;
                    present.then(|| {
                        (
                            ext.clone(),
                            DesiredUser {
                                groups,
                                pin,
                                mobile_key,
                                ..u.clone()
                            },
                        )
                    })
                })
                .collect();
            let state = DesiredState {
                users,
                managed: managed_in(property, system),
                held: desired.held.clone(),
                held_sources: desired.held_sources.clone(),
                hold_removals: desired.hold_removals,
                owned_grants: BTreeSet::new(),
                expected_ends: desired.expected_ends.clone(),
                issued_pins: BTreeMap::new(),
                issued_keys: BTreeMap::new(),
            };
            (system.clone(), state)
        })
        .collect()
}
