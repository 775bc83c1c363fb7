//! The executor: the only code that calls write APIs of access systems.
//!
//! Each action is journaled as an intent before it is sent and resolved after. Failures are
//! retried with exponential backoff and jitter, honouring the vendor's `Retry-After`; after an
//! answer that leaves the outcome unknown (timeout, reset, 5xx) a create re-observes by external id
//! instead of resending blindly. Deletes of things already gone count as done (the connectors
//! treat 404 as success).

use crate::access::{AccessError, AccessSystem, NewUser};
use crate::config::NotifyPolicy;
use crate::model::{Action, ActualState, Timestamp, Window};
use crate::store::Store;
use ids::Ids;
use rand::Rng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod credentials;
mod ids;

/// Actions journaled and recorded together.
const CHUNK: usize = 64;

/// How hard one action is tried within one cycle. The next cycle tries again from scratch.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Full-jitter exponential backoff, never shorter than what the vendor asked for.
    pub fn delay(&self, attempt: u32, asked: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.cap);
        let jittered = exp.mul_f64(rand::rng().random_range(0.5..1.0));
        asked.map_or(jittered, |a| a.min(Duration::from_secs(60)).max(jittered))
    }
}

/// What happened to one action.
#[derive(Debug)]
pub struct Outcome {
    pub action: Action,
    pub attempts: u32,
    pub result: Result<(), AccessError>,
    /// The vendor's id of the user a `CreateUser` made (or found).
    pub user_id: Option<String>,
    /// The vendor's id of the membership an `AddToGroup` made, where it has one.
    pub membership_id: Option<String>,
    /// Unix time (fractional seconds) the access system answered, for revocation latency.
    pub answered_at: f64,
    /// The keyed fingerprint of the PIN an `IssuePin` set and delivered (never the digits).
    pub pin_fingerprint: Option<String>,
}

/// Applies actions for one property against one access system.
pub struct Executor<'a> {
    pub property: &'a str,
    pub system_name: &'a str,
    pub system: &'a Arc<dyn AccessSystem>,
    pub store: &'a Store,
    pub retry: RetryPolicy,
    /// Set on shutdown: no new action starts once it is true.
    pub stop: &'a AtomicBool,
    pub now: Timestamp,
    /// Issues PINs; `None` where the property issues none here (an `IssuePin` is refused).
    pub pins: Option<&'a crate::issuer::PinIssuer<'a>>,
    /// Which grants ask the system to notify the person (systems that cannot, ignore it).
    pub notify: NotifyPolicy,
}

impl Executor<'_> {
    /// Applies `actions` in order (revocations are first in every plan), in chunks: each chunk
    /// is journaled with one flush before any of it is sent, and `record` sees its outcomes as
    /// soon as it is done, so a crash loses at most one chunk's audit entries (and those intents
    /// are found and re-observed on restart). Stops starting new actions when asked to stop.
    pub async fn apply(
        &self,
        actions: &[Action],
        actual: &ActualState,
        mut record: impl FnMut(&[Outcome]),
    ) {
        let mut ids = Ids::from(actual);
        if self.notify == NotifyPolicy::Default {
            match self.store.invites().owed(self.property, self.system_name) {
                Ok(owed) => ids.owed = owed,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the invitations owed; only users created now are notified");
                }
            }
        }
        for chunk in actions.chunks(CHUNK) {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let intents = match self.store.intents().begin_many(
                self.property,
                self.system_name,
                chunk,
                self.now,
            ) {
                Ok(ids) => ids,
                Err(e) => {
                    // Never send what could not be journaled.
                    tracing::error!(error = %e, "cannot journal intents; not applying this cycle's actions");
                    return;
                }
            };
            let mut out = Vec::with_capacity(chunk.len());
            for action in chunk {
                if self.stop.load(Ordering::SeqCst) {
                    break;
                }
                let (attempts, result) = self.apply_one(action, &mut ids).await;
                let user_id = match action {
                    Action::CreateUser { external_id, .. } if result.is_ok() => {
                        ids.users.get(external_id).cloned()
                    }
                    _ => None,
                };
                let membership_id = match action {
                    Action::AddToGroup {
                        external_id, group, ..
                    } if result.is_ok() => ids
                        .users
                        .get(external_id)
                        .and_then(|u| ids.memberships.get(&(u.clone(), group.clone())))
                        .cloned()
                        .flatten(),
                    _ => None,
                };
                let pin_fingerprint = match action {
                    Action::IssuePin { external_id, .. } if result.is_ok() => {
                        ids.pins.remove(external_id)
                    }
                    _ => None,
                };
                out.push(Outcome {
                    action: action.clone(),
                    attempts,
                    result,
                    user_id,
                    membership_id,
                    answered_at: crate::metrics::unix_now(),
                    pin_fingerprint,
                });
            }
            record(&out);
            if let Err(e) = self.store.intents().resolve_many(&intents[..out.len()]) {
                tracing::warn!(error = %e, "could not resolve intents; they will be re-observed on restart");
            }
        }
    }

    async fn apply_one(&self, action: &Action, ids: &mut Ids) -> (u32, Result<(), AccessError>) {
        let mut attempt = 0;
        let mut unsure = false;
        loop {
            attempt += 1;
            let result = self.try_once(action, ids, unsure).await;
            match result {
                Ok(()) => return (attempt, Ok(())),
                Err(e)
                    if e.is_retryable()
                        && attempt < self.retry.max_attempts
                        && !self.stop.load(Ordering::SeqCst) =>
                {
                    unsure |= e.outcome_unknown();
                    let delay = self.retry.delay(attempt, e.retry_after());
                    tracing::debug!(property = self.property, system = self.system_name, action = action.name(), attempt, error = %e, "retrying");
                    tokio::time::sleep(delay).await;
                }
                Err(e) => return (attempt, Err(e)),
            }
        }
    }

    async fn try_once(
        &self,
        action: &Action,
        ids: &mut Ids,
        unsure: bool,
    ) -> Result<(), AccessError> {
        match action {
            Action::CreateUser {
                external_id,
                name,
                email,
                ..
            } => {
                if unsure {
                    // The last attempt may have landed: look before creating again.
                    if let Some(user) = self.system.find_user(external_id).await? {
                        ids.users.insert(external_id.clone(), user.system_id);
                        ids.created.insert(external_id.clone());
                        self.owe_invitation(external_id);
                        return Ok(());
                    }
                }
                let new = NewUser {
                    external_id: external_id.clone(),
                    name: name.clone(),
                    email: email.clone(),
                };
                let id = self.system.create_user(&new).await?;
                ids.users.insert(external_id.clone(), id);
                ids.created.insert(external_id.clone());
                self.owe_invitation(external_id);
                Ok(())
            }
            Action::AddToGroup {
                external_id,
                group,
                window,
                ..
            } => {
                let notify = self.notifies(ids, external_id);
                self.grant(ids, external_id, group, window, Some(notify))
                    .await?;
                if notify {
                    self.notified(ids, external_id);
                }
                Ok(())
            }
            // A window moved on a membership already held: never news to the person.
            Action::SetWindow {
                external_id,
                group,
                window,
                ..
            } => self.grant(ids, external_id, group, window, None).await,
            Action::RemoveFromGroup {
                external_id,
                group,
                account,
                ..
            } => {
                let user = match account {
                    Some(copy) => copy.clone(),
                    None => self.user_id(ids, external_id).await?,
                };
                let group_id = self.group_id(ids, group)?;
                let membership = ids
                    .memberships
                    .get(&(user.clone(), group.clone()))
                    .cloned()
                    .flatten();
                self.system
                    .remove_from_group(&user, &group_id, membership.as_deref())
                    .await
            }
            Action::RevokeCredential {
                external_id,
                credential_id,
                ..
            } => {
                self.revoke_credential(ids, external_id, credential_id)
                    .await
            }
            Action::RevokePin { external_id, .. } => self.revoke_pin(ids, external_id).await,
            Action::IssuePin {
                external_id,
                generation,
                window,
                ..
            } => self.issue_pin(ids, external_id, *generation, *window).await,
            Action::IssueMobileKey {
                external_id,
                window,
                ..
            } => self.issue_mobile_key(ids, external_id, window).await,
        }
    }

    /// Whether the next grant to this person asks the system to notify them: always, never,
    /// or (`default`) the first grant that succeeds after lockstep created their user, in this
    /// apply or, when every grant of that one failed, a later one.
    fn notifies(&self, ids: &Ids, external_id: &str) -> bool {
        match self.notify {
            NotifyPolicy::Always => true,
            NotifyPolicy::Never => false,
            NotifyPolicy::Default => {
                (ids.created.contains(external_id) || ids.owed.contains(external_id))
                    && !ids.notified.contains(external_id)
            }
        }
    }

    /// Under `default`, the user just created is owed the notification of their first grant
    /// until one succeeds (recorded, so a later cycle sends it if none of this one does).
    fn owe_invitation(&self, external_id: &str) {
        if self.notify != NotifyPolicy::Default {
            return;
        }
        let owed = self
            .store
            .invites()
            .owe(self.property, self.system_name, external_id, self.now);
        if let Err(e) = owed {
            tracing::warn!(error = %e, "cannot record the invitation owed; it is sent only if a grant of this cycle succeeds");
        }
    }

    /// A grant notified the person: no further grant does under `default`.
    fn notified(&self, ids: &mut Ids, external_id: &str) {
        ids.notified.insert(external_id.to_string());
        if ids.owed.remove(external_id) || ids.created.contains(external_id) {
            let settled = self
                .store
                .invites()
                .settle(self.property, self.system_name, external_id);
            if let Err(e) = settled {
                tracing::warn!(error = %e, "cannot settle the invitation owed; a later first grant may notify again");
            }
        }
    }

    /// Adds the membership, telling the system whether to notify (`Some`), or moves the
    /// window of one held (`None`, plain `add_to_group`); remembers the vendor's membership id.
    async fn grant(
        &self,
        ids: &mut Ids,
        external_id: &str,
        group: &str,
        window: &Window,
        notify: Option<bool>,
    ) -> Result<(), AccessError> {
        let user = self.user_id(ids, external_id).await?;
        let group_id = self.group_id(ids, group)?;
        let system = self.system;
        let membership = match notify {
            Some(notify) => {
                system
                    .add_to_group_notifying(&user, &group_id, window, notify)
                    .await?
            }
            None => system.add_to_group(&user, &group_id, window).await?,
        };
        if membership.is_some() {
            ids.memberships
                .insert((user, group.to_string()), membership);
        }
        Ok(())
    }

    async fn user_id(&self, ids: &mut Ids, external_id: &str) -> Result<String, AccessError> {
        if let Some(id) = ids.users.get(external_id) {
            return Ok(id.clone());
        }
        match self.system.find_user(external_id).await? {
            Some(user) => {
                ids.users
                    .insert(external_id.to_string(), user.system_id.clone());
                Ok(user.system_id)
            }
            None => Err(AccessError::NotFound {
                system: self.system_name.to_string(),
                what: format!("user {external_id}"),
            }),
        }
    }

    fn group_id(&self, ids: &Ids, group: &str) -> Result<String, AccessError> {
        ids.groups
            .get(group)
            .cloned()
            .ok_or_else(|| AccessError::NotFound {
                system: self.system_name.to_string(),
                what: format!("group {group:?}"),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let p = RetryPolicy::default();
        for attempt in 1..20 {
            let d = p.delay(attempt, None);
            assert!(d <= p.cap, "{d:?}");
            assert!(d >= p.base / 2 || attempt == 0);
        }
        assert!(p.delay(1, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
        assert!(p.delay(1, Some(Duration::from_secs(3600))) <= Duration::from_secs(60));
    }
}
