//! Policy: from a source's records to the desired grants of one property (DESIGN §3). No IO.
//!
//! The lease-status table, the activation delay, common groups, the unit → groups mapping, staff
//! roles, manual overrides and lost credentials all meet here.

use crate::config::{LinkKey, PropertyConfig, UnitMapping};
use crate::model::{
    external_id, DesiredState, DesiredUser, LeaseStatus, ManagedGroups, PersonKind, PersonRecord,
    Timestamp, Window,
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

/// When lockstep first saw a person hold access (and in which unit), so the activation delay
/// can run from it and a suggestion can say what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub status: LeaseStatus,
    pub since: Timestamp,
    #[serde(default)]
    pub unit: Option<String>,
    /// Group → the end of its window, for grants that end: when the end passes, the removal
    /// is an expiration lockstep knew of, not an accident for the guard.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ends: BTreeMap<String, Timestamp>,
}

/// The people one source listed for the property this cycle.
pub struct Feed<'a> {
    /// The configured source name, part of every external id it makes.
    pub source: &'a str,
    pub people: &'a [PersonRecord],
    /// People the source listed but could not describe (an unmapped status): their access is
    /// held exactly as observed and their marks carried over unchanged.
    pub held: &'a BTreeSet<String>,
}

/// Everything the policy reads for one property at one instant.
pub struct Input<'a> {
    pub property: &'a PropertyConfig,
    /// One feed per source that answered whole, in source-name order.
    pub feeds: &'a [Feed<'a>],
    /// Sources of the property whose fetch failed or was incomplete this cycle.
    pub failed: &'a BTreeSet<String>,
    /// Person id → override (matched against the person id of every source).
    pub overrides: &'a BTreeMap<String, ManualOverride>,
    /// External id → mark from the previous cycle; empty on the property's first sync.
    pub marks: &'a BTreeMap<String, Mark>,
    /// Person → credential ids reported lost (`*` = all).
    pub lost: &'a BTreeMap<String, BTreeSet<String>>,
    pub now: Timestamp,
}

/// Who a person is, for suggestions and the console: what a manager decides about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonInfo {
    pub person_id: String,
    pub source: String,
    pub name: String,
    pub unit: Option<String>,
    /// `resident`, or the role the source gave (`maintenance`, `contractor`, …).
    pub kind: String,
    pub status: LeaseStatus,
    /// What changed, in words (`moved from 203 to 101`).
    pub reason: String,
}

/// What the policy decided.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    pub desired: DesiredState,
    /// Marks to keep for the next cycle, by external id.
    pub marks: BTreeMap<String, Mark>,
    /// People whose new access waits for the activation delay, and when the earliest is due.
    pub waiting: usize,
    pub next_activation: Option<Timestamp>,
    /// The next instant this property's desired state changes by the clock alone (a window
    /// opens or closes, a delay runs out): the daemon wakes the property then.
    pub next_due: Option<Timestamp>,
    /// People the policy could not place (e.g. a role with no mapping); their access is held.
    pub problems: Vec<String>,
    /// Every person listed, by external id.
    pub people: BTreeMap<String, PersonInfo>,
}

/// The groups lockstep may manage for a property: everything its config can grant.
pub fn managed_groups(property: &PropertyConfig) -> ManagedGroups {
    let mut names: BTreeSet<String> = property.common_groups.iter().cloned().collect();
    names.extend(property.roles.values().flatten().cloned());
    names.extend(property.units.groups.keys().cloned());
    names.extend(property.units.overrides.values().flatten().cloned());
    names.extend(property.members.groups().cloned());
    names.extend(property.visitors.groups.iter().cloned());
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

/// One person as lockstep acts on them: the records of every source that lists them (more than
/// one only when `link_by` ties them together), the first record naming the account.
struct Identity<'a> {
    external_id: String,
    records: Vec<(&'a str, &'a PersonRecord)>,
}

/// Groups the feeds' records into identities: one per record, or per link key when the
/// property links its sources (`link_by: email`).
fn identities<'a>(input: &Input<'a>) -> Vec<Identity<'a>> {
    let mut out: Vec<Identity<'a>> = Vec::new();
    let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
    for feed in input.feeds {
        for person in feed.people.iter().filter(|p| !feed.held.contains(&p.id)) {
            let key = match input.property.link_by {
                Some(LinkKey::Email) => person
                    .email
                    .as_deref()
                    .map(|e| e.trim().to_lowercase())
                    .filter(|e| !e.is_empty()),
                None => None,
            };
            match key.as_ref().and_then(|k| by_key.get(k)) {
                Some(&i) if out[i].records.iter().all(|(s, _)| *s != feed.source) => {
                    out[i].records.push((feed.source, person));
                }
                _ => {
                    if let Some(k) = key {
                        by_key.entry(k).or_insert(out.len());
                    }
                    out.push(Identity {
                        external_id: external_id(feed.source, &person.id),
                        records: vec![(feed.source, person)],
                    });
                }
            }
        }
    }
    out
}

/// Derives the desired state of one property across all its sources.
pub fn desired(input: &Input<'_>) -> Output {
    let property = input.property;
    let mut out = Output {
        desired: DesiredState {
            managed: managed_groups(property),
            held_sources: input.failed.clone(),
            hold_removals: property.link_by.is_some() && !input.failed.is_empty(),
            ..DesiredState::default()
        },
        ..Output::default()
    };
    let first_sync = input.marks.is_empty();
    let delay = property.activation_delay.as_secs() as i64;
    let no_override = ManualOverride::default();
    for feed in input.feeds {
        for person_id in feed.held {
            // Neither a grant nor a revocation: `plan` leaves the user alone. The old mark is
            // kept so that a person who comes back as current does not restart the delay.
            let ext = external_id(feed.source, person_id);
            if let Some(mark) = input.marks.get(&ext) {
                out.marks.insert(ext.clone(), mark.clone());
            }
            out.desired.held.insert(ext);
        }
    }
    for identity in identities(input) {
        let ext = identity.external_id.clone();
        let (source, first) = identity.records[0];
        let manual = identity
            .records
            .iter()
            .find_map(|(_, p)| input.overrides.get(&p.id))
            .unwrap_or(&no_override);
        // A linked person holds the best status any of their records gives.
        let listed = identity
            .records
            .iter()
            .map(|(_, p)| p.status)
            .max_by_key(|s| (s.has_access(), *s == LeaseStatus::Current))
            .unwrap_or(first.status);
        let status = manual.force_status.unwrap_or(listed);
        let unit = identity.records.iter().find_map(|(_, p)| p.unit.clone());
        let previous = input.marks.get(&ext);
        let since = match previous {
            Some(mark) if mark.status.has_access() == status.has_access() => mark.since,
            // Already current when lockstep first looked: the status change is old news.
            None if first_sync => 0,
            _ => input.now,
        };
        out.marks.insert(
            ext.clone(),
            Mark {
                status,
                since,
                unit: unit.clone(),
                ends: BTreeMap::new(),
            },
        );
        out.people.insert(
            ext.clone(),
            PersonInfo {
                person_id: first.id.clone(),
                source: source.to_string(),
                name: first.name.clone(),
                unit: unit.clone(),
                kind: match first.kind() {
                    PersonKind::Staff => first.role.clone().unwrap_or_default(),
                    other => other.as_str().to_string(),
                },
                status,
                reason: reason::of(source, first, status, unit.as_deref(), previous, since),
            },
        );
        if !status.has_access() {
            continue;
        }
        let mut groups: BTreeMap<String, Window> = BTreeMap::new();
        let mut unmapped = None;
        let mut hands_off = false;
        let mut delayed = false;
        for (_, record) in identity
            .records
            .iter()
            .filter(|(_, p)| manual.force_status.is_some() || p.status.has_access())
        {
            match kinds::entitlement(property, record, input.now) {
                Ok(e) => {
                    for (group, window) in e.groups {
                        let merged = groups
                            .get(&group)
                            .map_or(window, |w| kinds::widest(w, &window));
                        groups.insert(group, merged);
                    }
                    out.next_due = earliest(out.next_due, e.next_edge);
                    hands_off |= e.hands_off;
                    delayed |= e.delayed;
                    if let Some(note) = e.note {
                        if let Some(info) = out.people.get_mut(&ext) {
                            info.reason = format!("{}; {note}", info.reason);
                        }
                    }
                }
                Err(problem) => unmapped = Some(problem),
            }
        }
        if let Some(problem) = unmapped {
            // Nobody mapped this role: existing access is kept, nothing new is granted.
            out.problems
                .push(format!("{problem}; existing access kept"));
            out.desired.held.insert(ext);
            continue;
        }
        if hands_off {
            // Excluded by the visitor system: neither granted nor revoked.
            out.desired.held.insert(ext);
            continue;
        }
        for group in &manual.add_groups {
            groups.entry(group.clone()).or_insert(Window::OPEN);
        }
        groups.retain(|g, _| !manual.remove_groups.contains(g));
        if let Some(mark) = out.marks.get_mut(&ext) {
            mark.ends = groups
                .iter()
                .filter_map(|(g, w)| w.until.map(|t| (g.clone(), t)))
                .collect();
        }
        if groups.is_empty() {
            continue;
        }
        let valid_from = if delayed {
            since.saturating_add(delay)
        } else {
            since
        };
        let new_grants = valid_from <= input.now;
        if !new_grants {
            // The delay holds back new access only: what the person already holds stays.
            out.waiting += 1;
            out.next_activation = earliest(out.next_activation, Some(valid_from));
            out.next_due = earliest(out.next_due, Some(valid_from));
        }
        let lost: Vec<&String> = identity
            .records
            .iter()
            .filter_map(|(_, p)| input.lost.get(&p.id))
            .flatten()
            .collect();
        let kinds = identity.records.iter().map(|(_, p)| p.kind());
        let pin = pins::desired(property, kinds.clone(), &groups, lost.iter().copied());
        let mobile_key = pins::mobile_key(property, kinds, &groups);
        let revoked_credentials = lost
            .into_iter()
            .filter(|id| !pins::is_pin_loss(id))
            .cloned()
            .collect();
        out.desired.users.insert(
            ext,
            DesiredUser {
                person_id: first.id.clone(),
                name: first.name.clone(),
                email: first.email.clone(),
                groups,
                revoked_credentials,
                new_grants,
                pin,
                mobile_key,
            },
        );
    }
    out.desired.expected_ends = expected_ends(input, &out.desired);
    out
}

/// The earlier of two optional instants.
fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// Memberships whose removal now is an end lockstep already knew: the previous cycle recorded
/// the window ending at or before `now`, and nobody wants the group any more. Only these are
/// expirations; an end date that appears already past (a feed that suddenly dates everyone's
/// contract yesterday) is not in the marks and still counts for the guard.
fn expected_ends(input: &Input<'_>, desired: &DesiredState) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (ext, mark) in input.marks {
        if desired.is_held(ext) {
            continue;
        }
        let wanted = desired.users.get(ext);
        for (group, &end) in &mark.ends {
            let still = wanted.is_some_and(|u| u.groups.contains_key(group));
            if end <= input.now && !still {
                out.insert((ext.clone(), group.clone()));
            }
        }
    }
    out
}

pub mod guests;
pub mod kinds;
pub mod pins;
mod routing;
pub use routing::{managed_in, per_system};
pub mod reason;

#[cfg(test)]
mod tests;
