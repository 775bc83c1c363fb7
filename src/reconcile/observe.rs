//! The actual half of a cycle: each access system of the property observed on its own, with the
//! memberships lockstep granted there (so a group that left the managed set can be pruned).
//! A system that fails is skipped; the others go on.

use super::{Cycle, CycleError, Report, SystemView};
use crate::access::Scope;
use crate::model::{ActualState, DesiredState};
use crate::store::GrantRecord;
use std::collections::BTreeSet;

impl Cycle<'_> {
    /// Observes every access system of the property. Fails only when none could be observed.
    pub(super) async fn observe_all<'s>(
        &'s self,
        desired: &DesiredState,
        report: &mut Report,
    ) -> Result<Vec<SystemView<'s>>, CycleError> {
        let split = crate::policy::per_system(self.property, desired);
        let mut views = Vec::new();
        let mut last_error = None;
        for (name, mut want) in split {
            let Some((&name, system)) = self.systems.get_key_value(name.as_str()) else {
                continue;
            };
            if let Some(why) = self.quarantined.get(name) {
                report
                    .system_failures
                    .insert(name.to_string(), ("quarantined".into(), why.clone()));
                last_error = Some(CycleError::Unavailable(why.clone()));
                continue;
            }
            want.owned_grants = self
                .store
                .grants()
                .of(name, self.property_id)?
                .into_keys()
                .collect();
            want.issued_pins = self
                .store
                .pins()
                .of(self.property_id, name)?
                .into_iter()
                .map(|(ext, pin)| (ext, pin.generation))
                .collect();
            want.issued_keys = self
                .store
                .mobile_keys()
                .of(self.property_id, name)?
                .into_iter()
                .map(|(ext, key)| (ext, key.credential_id))
                .collect();
            match self.observe_one(name, system, &want).await {
                Ok((mut actual, listed)) => {
                    if listed {
                        self.verify_keys(name, system, &mut want, &mut actual)
                            .await?;
                    }
                    self.adopt(name, &want, &actual)?;
                    views.push(SystemView {
                        name,
                        system,
                        desired: want,
                        actual,
                        plan: Default::default(),
                    });
                }
                Err(e) => {
                    let failure = crate::net::is_connector_failure(e.kind());
                    self.record_health(name, failure.then(|| e.to_string()));
                    tracing::warn!(property = self.property_id, system = name, error = %e, "access system skipped this cycle");
                    report
                        .system_failures
                        .insert(name.to_string(), (e.kind().to_string(), e.to_string()));
                    last_error = Some(e);
                }
            }
        }
        if views.is_empty() {
            return Err(last_error.unwrap_or(CycleError::Unavailable(
                "the property has no access system".into(),
            )));
        }
        Ok(views)
    }

    /// The system's actual state, and whether it was listed in full just now (a resync) rather
    /// than served from the informer's cache.
    async fn observe_one(
        &self,
        name: &str,
        system: &std::sync::Arc<dyn crate::access::AccessSystem>,
        want: &DesiredState,
    ) -> Result<(ActualState, bool), CycleError> {
        let owned_groups: BTreeSet<String> =
            want.owned_grants.iter().map(|(_, g)| g.clone()).collect();
        let mut managed = want.managed.clone();
        managed.names.extend(owned_groups.iter().cloned());
        let mut wanted: BTreeSet<String> = want
            .users
            .values()
            .flat_map(|u| u.groups.keys().cloned())
            .collect();
        wanted.extend(owned_groups);
        let scope = Scope { managed, wanted };
        let (mut actual, listed) = match (self.informer, self.scopes.get(name)) {
            (Some(informer), Some(union)) => {
                let (actual, read) = informer.observe(name, system, &scope, union, want).await?;
                (actual, read == crate::informer::Read::Listed)
            }
            _ => (system.observe(&scope).await?, true),
        };
        // Credentials cost a request per user, so they are read only for people with a lost mark.
        if system.capabilities().credentials {
            for (ext, u) in &want.users {
                if u.revoked_credentials.is_empty() {
                    continue;
                }
                if let Some(user) = actual.users.get_mut(ext) {
                    user.credentials = system.list_credentials(&user.system_id).await?;
                }
            }
        }
        Ok((actual, listed))
    }

    /// On a full relist, each mobile key lockstep recorded is looked for among its holder's
    /// credentials (a request per holder, once per `resync`). A key no longer there (deleted by
    /// hand, or with its user) is forgotten, so the plan issues a fresh one to a person still
    /// entitled. A holder not listed, or whose credentials cannot be read, keeps the record.
    async fn verify_keys(
        &self,
        name: &str,
        system: &std::sync::Arc<dyn crate::access::AccessSystem>,
        want: &mut DesiredState,
        actual: &mut ActualState,
    ) -> Result<(), CycleError> {
        if !system.capabilities().credentials {
            return Ok(());
        }
        let mut gone = Vec::new();
        for (ext, id) in &want.issued_keys {
            let Some(user) = actual.users.get_mut(ext) else {
                continue;
            };
            let read = want
                .users
                .get(ext)
                .is_some_and(|u| !u.revoked_credentials.is_empty());
            if !read {
                match system.list_credentials(&user.system_id).await {
                    Ok(list) => user.credentials = list,
                    Err(e) => {
                        tracing::warn!(property = self.property_id, system = name, error = %e, "cannot check a mobile key; kept as recorded");
                        continue;
                    }
                }
            }
            if !user.credentials.iter().any(|c| &c.id == id) {
                gone.push((ext.clone(), id.clone()));
            }
        }
        for (ext, id) in gone {
            tracing::warn!(property = self.property_id, system = name, person = %crate::plan::person_id_of(&ext), credential = %id, "mobile key no longer in the access system; a fresh one is issued if still wanted");
            if !self.dry_run {
                self.store
                    .mobile_keys()
                    .forget(self.property_id, name, &ext, &id)?;
            }
            want.issued_keys.remove(&ext);
        }
        Ok(())
    }

    /// Records as lockstep's own the memberships that match what lockstep grants but that it
    /// has no record of (made before grants were recorded, or recorded by a lost write), so a
    /// later mapping change can prune them.
    fn adopt(
        &self,
        system: &str,
        want: &DesiredState,
        actual: &ActualState,
    ) -> Result<(), CycleError> {
        if self.dry_run {
            return Ok(());
        }
        let mut found = Vec::new();
        for (ext, wanted) in &want.users {
            let Some(have) = actual.users.get(ext) else {
                continue;
            };
            for group in have
                .groups
                .keys()
                .filter(|g| wanted.groups.contains_key(*g))
            {
                if !want.owned_grants.contains(&(ext.clone(), group.clone())) {
                    let record = GrantRecord {
                        property: self.property_id.to_string(),
                        at: self.now,
                        why: "adopted".into(),
                    };
                    found.push((ext.clone(), group.clone(), record));
                }
            }
        }
        self.store
            .grants()
            .apply(system, self.property_id, &found, &[])?;
        Ok(())
    }
}
