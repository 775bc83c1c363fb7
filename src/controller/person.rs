//! One person's access per access system, for the console: what a cycle would decide they
//! should hold, what each system holds now, and the word for the difference. Read-only: a dry
//! run of the property's cycle under its lock, observing through the informer's shared cache
//! (a listing only when the cache is cold or stale), never a write to the store or a system.

use super::{Controller, RequestError};
use crate::model::{
    source_of, Action, ActualCredential, ActualState, DesiredState, Plan, Window,
    EXTERNAL_ID_PREFIX,
};
use crate::reconcile::SystemLook;
use std::collections::{BTreeMap, BTreeSet};

/// What one person should hold and holds, per access system of one property.
#[derive(Debug, Clone, Default)]
pub struct PersonView {
    /// The person's name as a source gives it, when a system should hold anything for them.
    pub name: Option<String>,
    /// Why nothing could be decided (no source of the property answered).
    pub skipped: Option<String>,
    /// Sources that could not be read: name → message. Their people are held as observed.
    pub source_failures: BTreeMap<String, String>,
    /// Every access system of the property, by configured name.
    pub systems: BTreeMap<String, SystemAccess>,
}

/// One access system's part of a person's view.
#[derive(Debug, Clone, Default)]
pub struct SystemAccess {
    /// Why the system could not be read; the rows then show what should be held only.
    pub failure: Option<String>,
    /// One row per (record, group), the PIN last when the property issues PINs here.
    pub rows: Vec<AccessRow>,
    /// The credentials the system lists for the person (ids and kinds only); `None` when the
    /// system lists none or could not be read; `Err` when listing them failed.
    pub credentials: Option<Result<Vec<ActualCredential>, String>>,
}

/// One group (or the PIN) of one of the person's records in one system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRow {
    /// The source whose record this is (`lockstep:<source>:<id>`).
    pub source: String,
    /// The group's name, or `None` for the PIN.
    pub group: Option<String>,
    /// Should hold: the window, or `None` for no. For the PIN, the generation too.
    pub should: Option<Window>,
    pub pin_generation: Option<u32>,
    /// Holds now: the membership's (or PIN's) window, `None` for no.
    pub holds: Option<Window>,
    pub status: RowStatus,
}

/// The difference in one word, as the next cycle would see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    InStep,
    ToGrant,
    ToRevoke,
    /// Held and should be held, but with another window.
    ToChange,
    /// A membership or PIN lockstep neither manages nor granted: never touched.
    NotManaged,
    /// Should hold, but waits for the activation delay.
    Waiting,
    /// Left as observed this cycle (a source failed, the record could not be read).
    Held,
    /// The system could not be read.
    Unknown,
}

impl RowStatus {
    pub fn words(self) -> &'static str {
        match self {
            RowStatus::InStep => "in step",
            RowStatus::ToGrant => "to grant",
            RowStatus::ToRevoke => "to revoke",
            RowStatus::ToChange => "window to change",
            RowStatus::NotManaged => "not managed by lockstep",
            RowStatus::Waiting => "waits for activation",
            RowStatus::Held => "held as observed",
            RowStatus::Unknown => "unknown",
        }
    }
}

/// `lockstep:<source>:<person>` → `<source>` when the person part is exactly `person`.
fn record_of<'a>(ext: &'a str, person: &str) -> Option<&'a str> {
    let source = source_of(ext)?;
    (ext.len() == EXTERNAL_ID_PREFIX.len() + source.len() + 1 + person.len()
        && ext.ends_with(person))
    .then_some(source)
}

impl Controller {
    /// What `person` should hold and holds in each access system of `property`.
    pub async fn person_view(
        &self,
        property_id: &str,
        person: &str,
    ) -> Result<PersonView, RequestError> {
        let guard = self.property_lock(property_id);
        let _held = guard.lock().await;
        let config = self.config();
        let property = config
            .properties
            .get(property_id)
            .ok_or_else(|| RequestError::NotFound(format!("no property named {property_id:?}")))?;
        let connectors = self.connectors();
        let mut cycle = self.cycle(&config, property_id, property, &connectors, super::now());
        cycle.dry_run = true;
        // A quarantined connector is not asked again for a page view.
        for name in property.connector_names() {
            if self.health.is_quarantined(name) {
                let why = format!("{name} is quarantined after repeated failures");
                cycle.quarantined.insert(name.clone(), why);
            }
        }
        let look = cycle.look().await;
        let name = look.systems.values().find_map(|s| {
            let mut users = s.desired.users.iter();
            users
                .find(|(ext, _)| record_of(ext, person).is_some())
                .map(|(_, u)| u.name.clone())
        });
        let mut view = PersonView {
            name,
            skipped: look.skipped,
            source_failures: look.source_failures,
            systems: BTreeMap::new(),
        };
        for name in property.access_systems.keys() {
            let mut access = SystemAccess {
                failure: look.system_failures.get(name).cloned(),
                ..SystemAccess::default()
            };
            if let Some(seen) = look.systems.get(name) {
                access.rows = rows(seen, person);
                let system = connectors.systems.get(name);
                let lists = system.is_some_and(|s| s.capabilities().credentials);
                if let (Some((actual, _)), Some(system), true) = (&seen.observed, system, lists) {
                    access.credentials = Some(credentials(system, actual, person).await);
                }
            } else if access.failure.is_none() && view.skipped.is_none() {
                access.failure = Some(format!("{name}: its connector is not built"));
            }
            view.systems.insert(name.clone(), access);
        }
        Ok(view)
    }
}

/// The credentials the system lists for every account of the person.
async fn credentials(
    system: &std::sync::Arc<dyn crate::access::AccessSystem>,
    actual: &ActualState,
    person: &str,
) -> Result<Vec<ActualCredential>, String> {
    let mut out = Vec::new();
    // Collected first: the future must not hold the iterator's closures across an await.
    let mut accounts: Vec<&str> = Vec::new();
    for (ext, user) in &actual.users {
        if record_of(ext, person).is_some() {
            accounts.push(&user.system_id);
            let copies = actual
                .duplicates
                .get(ext)
                .map(Vec::as_slice)
                .unwrap_or_default();
            accounts.extend(copies.iter().map(|u| u.system_id.as_str()));
        }
    }
    for id in accounts {
        let listed = system
            .list_credentials(id)
            .await
            .map_err(|e| format!("its credentials could not be listed: {e}"))?;
        out.extend(listed);
    }
    Ok(out)
}

/// The rows of one system: every group the person's records should hold or hold, then the PIN.
fn rows(seen: &SystemLook, person: &str) -> Vec<AccessRow> {
    let desired = &seen.desired;
    let (actual, plan) = match &seen.observed {
        Some((a, p)) => (Some(a), Some(p)),
        None => (None, None),
    };
    let mut exts: BTreeSet<&String> = desired.users.keys().collect();
    if let Some(a) = actual {
        exts.extend(a.users.keys());
    }
    let mut out = Vec::new();
    for ext in exts {
        let Some(source) = record_of(ext, person) else {
            continue;
        };
        let want = desired.users.get(ext);
        let have = actual.and_then(|a| a.users.get(ext));
        let mut groups: BTreeSet<&String> =
            want.map(|u| u.groups.keys().collect()).unwrap_or_default();
        if let Some(h) = have {
            groups.extend(h.groups.keys());
        }
        let waiting = want.is_some_and(|u| !u.new_grants);
        for group in groups {
            let should = want.and_then(|u| u.groups.get(group)).copied();
            let holds = have.and_then(|u| u.groups.get(group)).map(|m| m.window);
            let planned = plan.and_then(|p| planned_for(p, ext, Some(group)));
            let status = match (planned, actual) {
                (_, None) => RowStatus::Unknown,
                (Some(s), _) => s,
                (None, Some(_)) => settled(desired, ext, group, should, holds, waiting),
            };
            out.push(AccessRow {
                source: source.to_string(),
                group: Some(group.clone()),
                should,
                pin_generation: None,
                holds,
                status,
            });
        }
        let pin_should = want.and_then(|u| u.pin);
        let pin_holds = have.and_then(|u| u.pin);
        let issued = desired.issued_pins.contains_key(ext);
        if pin_should.is_some() || pin_holds.is_some() || issued {
            let status = match (plan.and_then(|p| planned_for(p, ext, None)), actual) {
                (_, None) => RowStatus::Unknown,
                (Some(s), _) => s,
                (None, Some(_)) => match (pin_should, pin_holds) {
                    (Some(_), Some(_)) => RowStatus::InStep,
                    (None, Some(_)) if !issued => RowStatus::NotManaged,
                    (Some(_), None) if waiting => RowStatus::Waiting,
                    (None, None) => RowStatus::InStep,
                    _ => RowStatus::Held,
                },
            };
            out.push(AccessRow {
                source: source.to_string(),
                group: None,
                should: pin_should.map(|p| p.window),
                pin_generation: pin_should.map(|p| p.generation),
                holds: pin_holds,
                status,
            });
        }
    }
    out
}

/// The status of a group (or, with `None`, the PIN) the plan changes for `ext`.
fn planned_for(plan: &Plan, ext: &str, group: Option<&String>) -> Option<RowStatus> {
    plan.actions.iter().find_map(|a| match (a, group) {
        (
            Action::AddToGroup {
                external_id,
                group: g,
                ..
            },
            Some(want),
        ) if external_id == ext && g == want => Some(RowStatus::ToGrant),
        (
            Action::SetWindow {
                external_id,
                group: g,
                ..
            },
            Some(want),
        ) if external_id == ext && g == want => Some(RowStatus::ToChange),
        (
            Action::RemoveFromGroup {
                external_id,
                group: g,
                ..
            },
            Some(want),
        ) if external_id == ext && g == want => Some(RowStatus::ToRevoke),
        (Action::IssuePin { external_id, .. }, None) if external_id == ext => {
            Some(RowStatus::ToGrant)
        }
        (Action::RevokePin { external_id, .. }, None) if external_id == ext => {
            Some(RowStatus::ToRevoke)
        }
        _ => None,
    })
}

/// The status of a group the plan leaves alone.
fn settled(
    desired: &DesiredState,
    ext: &str,
    group: &str,
    should: Option<Window>,
    holds: Option<Window>,
    waiting: bool,
) -> RowStatus {
    match (should, holds) {
        (Some(_), Some(_)) => RowStatus::InStep,
        (None, Some(_)) if !desired.may_revoke(ext, group) => RowStatus::NotManaged,
        (Some(_), None) if waiting => RowStatus::Waiting,
        (None, None) => RowStatus::InStep,
        _ => RowStatus::Held,
    }
}

#[cfg(test)]
mod tests {
    use super::{record_of, rows, RowStatus};
    use crate::model::{
        Action, ActualState, ActualUser, DesiredPin, DesiredState, DesiredUser, Plan, Window,
    };
    use crate::reconcile::SystemLook;

    fn wants_pin(generation: u32) -> DesiredUser {
        DesiredUser {
            person_id: String::new(),
            name: "Ann Lee".into(),
            email: None,
            groups: Default::default(),
            revoked_credentials: Default::default(),
            new_grants: true,
            pin: Some(DesiredPin {
                generation,
                window: Window::OPEN,
            }),
            mobile_key: false,
        }
    }

    fn holds_pin() -> ActualUser {
        ActualUser {
            pin: Some(Window::OPEN),
            ..ActualUser::default()
        }
    }

    /// The PIN row of `r1`'s record in one system.
    fn pin_row(desired: DesiredState, actual: ActualState, plan: Plan) -> super::AccessRow {
        let seen = SystemLook {
            desired,
            observed: Some((actual, plan)),
        };
        let mut all = rows(&seen, "r1");
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn the_pin_is_shown_by_generation_and_presence() {
        let ext = "lockstep:staff:r1".to_string();
        let mut desired = DesiredState::default();
        desired.users.insert(ext.clone(), wants_pin(2));
        desired.issued_pins.insert(ext.clone(), 2);
        let mut actual = ActualState::default();
        actual.users.insert(ext.clone(), holds_pin());
        let r = pin_row(desired.clone(), actual.clone(), Plan::default());
        assert_eq!(
            (r.group, r.pin_generation, r.status),
            (None, Some(2), RowStatus::InStep)
        );
        assert_eq!(r.holds, Some(Window::OPEN));

        let issue = Action::IssuePin {
            external_id: ext.clone(),
            person_id: "r1".into(),
            generation: 2,
            window: Window::OPEN,
        };
        let plan = Plan {
            actions: vec![issue],
            problems: Vec::new(),
        };
        let r = pin_row(desired, ActualState::default(), plan);
        assert_eq!((r.holds, r.status), (None, RowStatus::ToGrant));

        // A PIN set by hand, which lockstep never issued: never to revoke.
        let mut actual = ActualState::default();
        actual.users.insert(ext, holds_pin());
        let r = pin_row(DesiredState::default(), actual, Plan::default());
        assert_eq!((r.pin_generation, r.status), (None, RowStatus::NotManaged));
    }

    #[test]
    fn a_record_is_the_person_exactly() {
        assert_eq!(record_of("lockstep:yardi:r1", "r1"), Some("yardi"));
        assert_eq!(record_of("lockstep:yardi:r11", "r1"), None);
        assert_eq!(record_of("lockstep:yardi:xr1", "r1"), None);
        assert_eq!(record_of("lockstep:a:b:r1", "r1"), None);
        assert_eq!(record_of("other:yardi:r1", "r1"), None);
    }
}
