//! Policy: from a source's records to the desired grants of one property (DESIGN §3). No IO.
//!
//! The lease-status table, the activation delay, common groups, the unit → groups mapping, staff
//! roles, manual overrides and lost credentials all meet here.

use crate::config::{PropertyConfig, UnitMapping};
use crate::model::{
    external_id, DesiredState, DesiredUser, LeaseStatus, ManagedGroups, PersonRecord, Timestamp,
    Window,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A property manager's override of one person: wins over the source until cleared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualOverride {
    pub force_status: Option<LeaseStatus>,
    pub add_groups: BTreeSet<String>,
    pub remove_groups: BTreeSet<String>,
}

/// When lockstep first saw a person hold access, so the activation delay can run from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub status: LeaseStatus,
    pub since: Timestamp,
}

/// Everything the policy reads for one property at one instant.
pub struct Input<'a> {
    pub property: &'a PropertyConfig,
    /// The configured source name, part of every external id.
    pub source: &'a str,
    pub people: &'a [PersonRecord],
    pub overrides: &'a BTreeMap<String, ManualOverride>,
    /// Marks from the previous cycle; empty on the property's first sync.
    pub marks: &'a BTreeMap<String, Mark>,
    /// Person → credential ids reported lost (`*` = all).
    pub lost: &'a BTreeMap<String, BTreeSet<String>>,
    /// People the source listed but could not describe (an unmapped status): their access is
    /// held exactly as observed and their marks carried over unchanged.
    pub held: &'a BTreeSet<String>,
    pub now: Timestamp,
}

/// What the policy decided.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    pub desired: DesiredState,
    /// Marks to keep for the next cycle.
    pub marks: BTreeMap<String, Mark>,
    /// People whose access waits for the activation delay, and when the earliest one is due.
    pub waiting: usize,
    pub next_activation: Option<Timestamp>,
    /// People the policy could not place (e.g. a role with no mapping).
    pub problems: Vec<String>,
}

/// The groups lockstep may manage for a property: everything its config can grant.
pub fn managed_groups(property: &PropertyConfig) -> ManagedGroups {
    let mut names: BTreeSet<String> = property.common_groups.iter().cloned().collect();
    names.extend(property.roles.values().flatten().cloned());
    names.extend(property.units.groups.keys().cloned());
    names.extend(property.units.overrides.values().flatten().cloned());
    let patterns = property
        .units
        .pattern
        .as_deref()
        .and_then(|p| p.split_once("{unit}"))
        .map(|(prefix, suffix)| vec![(prefix.to_string(), suffix.to_string())])
        .unwrap_or_default();
    ManagedGroups { names, patterns }
}

/// The groups a unit opens.
pub fn unit_groups(units: &UnitMapping, unit: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    match units.overrides.get(unit) {
        Some(groups) => out.extend(groups.iter().cloned()),
        None => {
            if let Some(pattern) = &units.pattern {
                out.insert(pattern.replace("{unit}", unit));
            }
        }
    }
    for (group, selectors) in &units.groups {
        if selectors.iter().any(|s| selector_matches(s, unit)) {
            out.insert(group.clone());
        }
    }
    out
}

fn selector_matches(selector: &str, unit: &str) -> bool {
    match selector.strip_suffix('*') {
        Some(prefix) => unit.starts_with(prefix),
        None => selector == unit,
    }
}

/// Derives the desired state of one property.
pub fn desired(input: &Input<'_>) -> Output {
    let property = input.property;
    let mut out = Output {
        desired: DesiredState {
            managed: managed_groups(property),
            ..DesiredState::default()
        },
        ..Output::default()
    };
    let first_sync = input.marks.is_empty();
    let delay = property.activation_delay.as_secs() as i64;
    let no_override = ManualOverride::default();
    for person_id in input.held {
        // Neither a grant nor a revocation: `plan` leaves the user alone. The old mark is kept
        // so that a person who comes back as current does not restart the activation delay.
        out.desired
            .held
            .insert(external_id(input.source, person_id));
        if let Some(mark) = input.marks.get(person_id) {
            out.marks.insert(person_id.clone(), mark.clone());
        }
    }
    for person in input.people.iter().filter(|p| !input.held.contains(&p.id)) {
        let manual = input.overrides.get(&person.id).unwrap_or(&no_override);
        let status = manual.force_status.unwrap_or(person.status);
        let since = match input.marks.get(&person.id) {
            Some(mark) if mark.status.has_access() == status.has_access() => mark.since,
            // Already current when lockstep first looked: the status change is old news.
            None if first_sync => 0,
            _ => input.now,
        };
        out.marks.insert(person.id.clone(), Mark { status, since });
        if !status.has_access() {
            continue;
        }
        let mut groups = match role_groups(property, person) {
            Ok(groups) => groups,
            Err(problem) => {
                out.problems.push(problem);
                continue;
            }
        };
        groups.extend(manual.add_groups.iter().cloned());
        groups.retain(|g| !manual.remove_groups.contains(g));
        let until = if status == LeaseStatus::Notice {
            person.lease_end
        } else {
            None
        };
        if until.is_some_and(|end| end <= input.now) || groups.is_empty() {
            continue;
        }
        let valid_from = since.saturating_add(delay);
        if valid_from > input.now {
            out.waiting += 1;
            out.next_activation = Some(
                out.next_activation
                    .map_or(valid_from, |t| t.min(valid_from)),
            );
            continue;
        }
        let window = Window { from: None, until };
        out.desired.users.insert(
            external_id(input.source, &person.id),
            DesiredUser {
                person_id: person.id.clone(),
                name: person.name.clone(),
                email: person.email.clone(),
                groups: groups.into_iter().map(|g| (g, window)).collect(),
                revoked_credentials: input.lost.get(&person.id).cloned().unwrap_or_default(),
            },
        );
    }
    out
}

/// Residents get common + unit groups; staff roles get their mapped groups.
fn role_groups(
    property: &PropertyConfig,
    person: &PersonRecord,
) -> Result<BTreeSet<String>, String> {
    match person.role.as_deref() {
        None | Some("resident") => {
            let mut groups: BTreeSet<String> = property.common_groups.iter().cloned().collect();
            if let Some(unit) = &person.unit {
                groups.extend(unit_groups(&property.units, unit));
            }
            Ok(groups)
        }
        Some(role) => property
            .roles
            .get(role)
            .map(|g| g.iter().cloned().collect())
            .ok_or_else(|| {
                format!(
                    "person {}: role {role:?} has no group mapping; no access granted",
                    person.id
                )
            }),
    }
}

#[cfg(test)]
mod tests;
