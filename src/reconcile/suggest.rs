//! The mode gate and per-person suggestions: what runs now, what waits for a manager, what the
//! guard holds. One suggestion is one person's whole pending change in the property (DESIGN §4).

use super::{Cycle, CycleError, Decided, Gated, Report, SystemView};
use crate::config::{Mode, RevocationMode};
use crate::model::{source_of, Action, Direction, Timestamp};
use crate::policy::{reason, PersonInfo};
use crate::store::{
    suggestion_id, Colour, Outcome as AuditOutcome, Step, Suggestion, SuggestionState,
};
use std::collections::{BTreeMap, BTreeSet};

/// Terminal suggestions (executed, failed, withdrawn, replaced) are kept this long so that the
/// approval's caller and the console can show what happened.
const KEEP_DECIDED_SECS: Timestamp = 24 * 3600;

/// Groups the actions waiting for approval into one suggestion per person, steps in order
/// (revocations, then the account, then grants). Pure.
pub fn person_suggestions(
    property: &str,
    suggest: &[(String, Action)],
    people: &BTreeMap<String, PersonInfo>,
    fallback: &dyn Fn(&str) -> (String, Option<String>),
    now: Timestamp,
) -> Vec<Suggestion> {
    let mut by_person: BTreeMap<&str, Vec<(&str, &Action)>> = BTreeMap::new();
    for (system, action) in suggest {
        by_person
            .entry(action.external_id())
            .or_default()
            .push((system.as_str(), action));
    }
    by_person
        .into_iter()
        .map(|(ext, mut steps)| {
            steps.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
            let info = people.get(ext);
            let (name, unit) = match info {
                Some(p) => (p.name.clone(), p.unit.clone()),
                None => fallback(ext),
            };
            Suggestion {
                id: suggestion_id(property, ext, steps.iter().copied()),
                property: property.to_string(),
                person: ext.to_string(),
                person_id: steps[0].1.person_id().to_string(),
                name,
                unit,
                kind: info.map_or_else(|| "unlisted".into(), |p| p.kind.clone()),
                colour: Colour::of(steps.iter().map(|(_, a)| *a)),
                reason: info.map_or_else(|| reason::unlisted(source_of(ext)), |p| p.reason.clone()),
                steps: steps
                    .into_iter()
                    .map(|(system, action)| Step {
                        system: system.to_string(),
                        describe: describe(action),
                        action: action.clone(),
                        result: None,
                    })
                    .collect(),
                created_at: now,
                state: SuggestionState::Pending,
                decided_by: None,
                decided_at: None,
                error: None,
                replaced_by: None,
            }
        })
        .collect()
}

/// A step in a manager's words.
fn describe(action: &Action) -> String {
    match action {
        Action::RemoveFromGroup {
            group,
            account: Some(a),
            ..
        } => {
            format!("remove duplicate account {a} from {group:?}")
        }
        Action::RemoveFromGroup { group, .. } => format!("remove from {group:?}"),
        Action::RevokeCredential { credential_id, .. } => {
            format!("revoke credential {credential_id}")
        }
        Action::CreateUser { .. } => "create the account".into(),
        Action::AddToGroup { group, .. } => format!("add to {group:?}"),
        Action::SetWindow { group, .. } => format!("change validity in {group:?}"),
        Action::IssuePin { generation: 1, .. } => "issue a PIN".into(),
        Action::IssuePin { .. } => "issue a replacement PIN".into(),
        Action::RevokePin { .. } => "clear the PIN".into(),
        Action::IssueMobileKey { .. } => {
            "issue a mobile key (the person is invited to set it up)".into()
        }
    }
}

impl Cycle<'_> {
    /// Splits the plans into what executes now, what becomes a suggestion and what the guard
    /// holds.
    pub(super) fn gate(
        &self,
        views: &[SystemView<'_>],
        verdict: &crate::plan::GuardVerdict,
    ) -> Result<Gated, CycleError> {
        let mut gated = Gated {
            execute: BTreeMap::new(),
            suggest: Vec::new(),
            held: 0,
        };
        for v in views {
            for action in &v.plan.actions {
                let security_event = matches!(action, Action::RevokeCredential { .. })
                    && self.config.lost_credential.immediate;
                let revoke = action.direction() == Direction::Revoke;
                // A window end was approved with its grant and must not run late.
                let expiry = v.desired.expires(action);
                if revoke && verdict.tripped && !security_event && !expiry {
                    gated.held += 1;
                    continue;
                }
                let automatic = self.property.mode == Mode::Automatic
                    || (revoke && self.property.revocations == RevocationMode::AlwaysAutomatic)
                    || security_event
                    || expiry;
                if automatic {
                    gated
                        .execute
                        .entry(v.name.to_string())
                        .or_default()
                        .push(action.clone());
                } else {
                    gated.suggest.push((v.name.to_string(), action.clone()));
                }
            }
        }
        Ok(gated)
    }

    /// Stores this cycle's suggestions: new ones pending, unchanged ones kept, discarded ones
    /// left discarded while the same change is needed, and those whose change changed replaced
    /// (or withdrawn when nothing is needed any more). Returns the approved suggestions that
    /// still match the plan: they execute now, whole.
    pub(super) fn sync_suggestions(
        &self,
        suggest: &[(String, Action)],
        decided: &Decided,
        views: &[SystemView<'_>],
        report: &mut Report,
    ) -> Result<Vec<Suggestion>, CycleError> {
        if !report.system_failures.is_empty() {
            // A person's change is only whole when every system was seen: keep what is stored.
            return Ok(Vec::new());
        }
        let fallback = |ext: &str| {
            let name = views
                .iter()
                .find_map(|v| v.actual.users.get(ext).map(|u| u.name.clone()))
                .unwrap_or_else(|| crate::plan::person_id_of(ext));
            (name, decided.last_units.get(ext).cloned().flatten())
        };
        let fresh = person_suggestions(
            self.property_id,
            suggest,
            &decided.people,
            &fallback,
            self.now,
        );
        let fresh_by_person: BTreeMap<String, String> = fresh
            .iter()
            .map(|s| (s.person.clone(), s.id.clone()))
            .collect();
        let fresh_ids: BTreeSet<String> = fresh.iter().map(|s| s.id.clone()).collect();
        let existing: BTreeMap<String, Suggestion> = self
            .store
            .suggestions()
            .list(Some(self.property_id), None)?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        let (mut put, mut drafts, mut approved) = (Vec::new(), Vec::new(), Vec::new());
        for s in fresh {
            match existing.get(&s.id).map(|e| e.state) {
                Some(SuggestionState::Pending) | Some(SuggestionState::Discarded) => continue,
                Some(SuggestionState::Approved) => {
                    approved.push(existing[&s.id].clone());
                    continue;
                }
                _ => {}
            }
            for step in &s.steps {
                let mut d = self.action_draft(
                    &step.system,
                    &step.action,
                    AuditOutcome::Suggested,
                    s.reason.clone(),
                    0,
                    None,
                );
                d.person_name = Some(s.name.clone());
                drafts.push(d);
            }
            report.suggested += 1;
            put.push(s);
        }
        for e in existing.values() {
            let wanted = fresh_ids.contains(&e.id);
            let held = decided.desired.is_held(&e.person);
            match e.state {
                SuggestionState::Pending | SuggestionState::Approved if !wanted && !held => {
                    let mut gone = e.clone();
                    let reason = match fresh_by_person.get(&e.person) {
                        Some(new) => {
                            gone.state = SuggestionState::Replaced;
                            gone.replaced_by = Some(new.to_string());
                            format!("{}'s change changed before it was carried out; replaced by suggestion {new}", e.name)
                        }
                        None => {
                            gone.state = SuggestionState::Withdrawn;
                            format!("{} no longer needs this change", e.name)
                        }
                    };
                    gone.error = Some(reason.clone());
                    gone.decided_at.get_or_insert(self.now);
                    let mut d = self.draft("suggestion_withdrawn", AuditOutcome::Withdrawn, reason);
                    d.person_id = Some(e.person_id.clone());
                    d.person_name = Some(e.name.clone());
                    d.object = e.id.clone();
                    drafts.push(d);
                    report.withdrawn += 1;
                    put.push(gone);
                }
                SuggestionState::Discarded if !wanted && !held => {
                    self.store.suggestions().remove(&e.id)?;
                }
                SuggestionState::Executed
                | SuggestionState::Failed
                | SuggestionState::Withdrawn
                | SuggestionState::Replaced
                    if e.decided_at.unwrap_or(e.created_at) + KEEP_DECIDED_SECS < self.now =>
                {
                    self.store.suggestions().remove(&e.id)?;
                }
                _ => {}
            }
        }
        self.store.suggestions().put_many(&put)?;
        self.audit(drafts)?;
        Ok(approved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LeaseStatus, Window};

    fn add(ext: &str, group: &str) -> Action {
        Action::AddToGroup {
            external_id: ext.into(),
            person_id: "a".into(),
            group: group.into(),
            window: Window::OPEN,
        }
    }

    fn remove(ext: &str, group: &str) -> Action {
        Action::RemoveFromGroup {
            external_id: ext.into(),
            person_id: "a".into(),
            group: group.into(),
            account: None,
        }
    }

    #[test]
    fn one_suggestion_per_person_in_order_with_its_colour_and_reason() {
        let ext = "lockstep:yardi:a";
        let people: BTreeMap<String, PersonInfo> = [(
            ext.to_string(),
            PersonInfo {
                person_id: "a".into(),
                source: "yardi".into(),
                name: "Ana Diaz".into(),
                unit: Some("101".into()),
                kind: "resident".into(),
                status: LeaseStatus::Current,
                reason: "moved from 203 to 101".into(),
            },
        )]
        .into();
        let suggest = vec![
            ("kisi".to_string(), add(ext, "Unit 101")),
            ("kisi".to_string(), remove(ext, "Unit 203")),
            ("brivo".to_string(), remove("lockstep:yardi:gone", "Lobby")),
        ];
        let fallback = |_: &str| ("Former Tenant".to_string(), Some("7".to_string()));
        let list = person_suggestions("p1", &suggest, &people, &fallback, 100);
        assert_eq!(list.len(), 2);
        let ana = list.iter().find(|s| s.person == ext).expect("ana");
        assert_eq!(ana.colour, Colour::Mixed);
        assert_eq!(ana.reason, "moved from 203 to 101");
        assert_eq!(ana.name, "Ana Diaz");
        let steps: Vec<&str> = ana.steps.iter().map(|s| s.describe.as_str()).collect();
        assert_eq!(steps, ["remove from \"Unit 203\"", "add to \"Unit 101\""]);
        let gone = list.iter().find(|s| s.person != ext).expect("gone");
        assert_eq!(gone.colour, Colour::Red);
        assert_eq!(gone.kind, "unlisted");
        assert_eq!(gone.reason, "no longer listed by yardi");
        assert_eq!(gone.unit.as_deref(), Some("7"));
        // The same change is the same suggestion; another change is another.
        let again = person_suggestions("p1", &suggest, &people, &fallback, 999);
        assert_eq!(again[0].id, list[0].id);
        let changed = person_suggestions("p1", &suggest[..1], &people, &fallback, 100);
        assert_ne!(
            changed.iter().find(|s| s.person == ext).map(|s| &s.id),
            Some(&ana.id)
        );
        assert_eq!(Colour::of([&add(ext, "x")]), Colour::Green);
        let window = Action::SetWindow {
            external_id: ext.into(),
            person_id: "a".into(),
            group: "x".into(),
            window: Window::OPEN,
        };
        assert_eq!(Colour::of([&window]), Colour::Grey);
    }
}
