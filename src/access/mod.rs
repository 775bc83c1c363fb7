//! The `AccessSystem` trait every access-control connector implements, and its error type.
//!
//! One file per vendor. Connectors translate between the model and the vendor's API; they make no
//! decisions. Only the executor calls the write methods.

pub mod brivo;
pub mod door;
pub mod kisi;
pub mod openpath;

use crate::model::{
    ActualCredential, ActualState, ActualUser, Capabilities, ManagedGroups, Pin, Window,
};
use crate::net::NetError;
use async_trait::async_trait;
use std::time::Duration;

/// Builds the connector a config entry names: one arm per vendor, no registry machinery.
pub fn build(
    name: &str,
    cfg: &crate::config::AccessSystemConfig,
    metrics: &std::sync::Arc<crate::metrics::Metrics>,
) -> Result<std::sync::Arc<dyn AccessSystem>, String> {
    use crate::config::AccessSystemConfig;
    let hook = Some(metrics.access_hook(name));
    Ok(match cfg {
        AccessSystemConfig::Kisi(c) => std::sync::Arc::new(kisi::Kisi::new(name, c, hook)?),
        AccessSystemConfig::Brivo(c) => std::sync::Arc::new(brivo::Brivo::new(name, c, hook)?),
        AccessSystemConfig::Openpath(c) => {
            std::sync::Arc::new(openpath::Openpath::new(name, c, hook)?)
        }
        AccessSystemConfig::Door(c) => std::sync::Arc::new(door::Door::new(name, c, hook)?),
    })
}

/// What a connector needs to create a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub external_id: String,
    pub name: String,
    pub email: Option<String>,
}

/// Which part of an access system one property looks at.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub managed: ManagedGroups,
    /// The groups the desired state grants: connectors that cannot list every group resolve
    /// at least these (Kisi by name lookups).
    pub wanted: std::collections::BTreeSet<String>,
}

#[async_trait]
pub trait AccessSystem: Send + Sync {
    /// The connector's `type` in config (`kisi`, `brivo`, …).
    fn kind(&self) -> &'static str;

    fn capabilities(&self) -> Capabilities;

    /// Lists users (owned and foreign), their memberships in the scope's managed groups and the
    /// group directory. Credentials are not listed here (that would cost a request per user on
    /// most vendors); see `list_credentials`. Must read every page or fail.
    async fn observe(&self, scope: &Scope) -> Result<ActualState, AccessError>;

    /// The credentials (cards, fobs, mobile keys) assigned to one user.
    async fn list_credentials(&self, user_id: &str) -> Result<Vec<ActualCredential>, AccessError>;

    /// Looks a user up by lockstep's external id: the idempotency check before a create.
    async fn find_user(&self, external_id: &str) -> Result<Option<ActualUser>, AccessError>;

    /// Creates a user carrying the external id; returns the vendor's user id.
    async fn create_user(&self, user: &NewUser) -> Result<String, AccessError>;

    /// Adds a user to a group (by the vendor's ids). Adding an existing membership is not an error.
    /// Returns the vendor's id of the membership where it has one (Kisi role assignments), so a
    /// later removal needs no lookup.
    async fn add_to_group(
        &self,
        user_id: &str,
        group_id: &str,
        window: &Window,
    ) -> Result<Option<String>, AccessError>;

    /// `add_to_group`, asking the system to notify the person of the grant (an invitation
    /// e-mail) when `notify` is true. Systems that can notify override it; the rest ignore the
    /// flag and add the membership as `add_to_group` does.
    async fn add_to_group_notifying(
        &self,
        user_id: &str,
        group_id: &str,
        window: &Window,
        notify: bool,
    ) -> Result<Option<String>, AccessError> {
        let _ = notify;
        self.add_to_group(user_id, group_id, window).await
    }

    /// Removes a user from a group. `membership_id` is the vendor's id for the membership where it
    /// has one. Removing a membership that is already gone is not an error.
    async fn remove_from_group(
        &self,
        user_id: &str,
        group_id: &str,
        membership_id: Option<&str>,
    ) -> Result<(), AccessError>;

    /// Unassigns a credential from a user. A credential already gone is not an error.
    async fn revoke_credential(
        &self,
        user_id: &str,
        credential_id: &str,
    ) -> Result<(), AccessError>;

    /// Sets the user's PIN, valid for `window` (`Some`), or clears it (`None`; clearing a PIN
    /// already gone is not an error). Only systems whose capabilities say `pins` are asked; the
    /// rest refuse. The digits go into the one request and nowhere else: not into an error, a
    /// log line or a retry's description.
    async fn set_pin(
        &self,
        user_id: &str,
        pin: Option<&Pin>,
        window: &Window,
    ) -> Result<(), AccessError> {
        let _ = (user_id, pin, window);
        Err(AccessError::Rejected {
            system: self.kind().to_string(),
            message: "this access system does not hold PINs".into(),
        })
    }

    /// Issues the user a mobile key valid for `window` and has the vendor invite the person to
    /// set it up; returns the credential's id. A mobile key the user already holds is taken
    /// as it is (so a retry after an unknown outcome never issues a second). Only systems
    /// whose capabilities say `mobile_keys` are asked; the rest refuse.
    async fn issue_mobile_key(
        &self,
        user_id: &str,
        window: &Window,
    ) -> Result<String, AccessError> {
        let _ = (user_id, window);
        Err(AccessError::Rejected {
            system: self.kind().to_string(),
            message: "this access system issues no mobile keys".into(),
        })
    }
}

/// Why a call to an access system failed. `kind()` is a bounded metric label.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("{system}: {what}: listing is incomplete: {detail}")]
    Incomplete {
        system: String,
        what: String,
        detail: String,
    },
    /// The vendor refused the change for a reason retrying will not fix (e.g. a group limit).
    #[error("{system}: {message}")]
    Rejected { system: String, message: String },
    /// A group or user the action needs does not exist in the system.
    #[error("{system}: {what} not found")]
    NotFound { system: String, what: String },
    /// A PIN was not issued for a reason outside the access system (no unused PIN, the sink
    /// failed, the store failed); the next cycle issues a fresh one.
    #[error("{system}: PIN not issued: {message}")]
    Pin { system: String, message: String },
}

impl AccessError {
    /// A bounded label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            AccessError::Net(e) => e.kind(),
            AccessError::Incomplete { .. } => "incomplete",
            AccessError::Rejected { .. } => "rejected",
            AccessError::NotFound { .. } => "not_found",
            AccessError::Pin { .. } => "pin",
        }
    }

    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            AccessError::Net(e) => e.is_retryable(),
            AccessError::Incomplete { .. } => true,
            AccessError::Rejected { .. }
            | AccessError::NotFound { .. }
            | AccessError::Pin { .. } => false,
        }
    }

    /// How long the vendor asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AccessError::Net(e) => e.retry_after(),
            _ => None,
        }
    }

    /// Whether the request may have taken effect although no clear answer arrived, so the
    /// executor must re-observe before trying again instead of resending blindly.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, AccessError::Net(e) if e.outcome_unknown())
    }
}

#[cfg(test)]
mod tests;
