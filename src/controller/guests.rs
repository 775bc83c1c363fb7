//! Guest and prospect PINs through the API and CLI: a resident's passes created (within the
//! property's per-resident limits), listed and cancelled. Each change is audited with the host,
//! the pass id, its kind and window (never a PIN); the caller then triggers a cycle.

use super::{event, now, Controller, RequestError};
use crate::model::Timestamp;
use crate::policy::guests::{GuestPass, LimitRefusal, PassKind, Weekday};
use crate::store::{rfc3339, AddPassError, Outcome as AuditOutcome};
use std::collections::BTreeSet;

/// What a host asks for; the controller fills in who, when and the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestPinRequest {
    pub kind: PassKind,
    pub guest_name: String,
    /// Default: now.
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub days: BTreeSet<Weekday>,
}

impl Controller {
    /// Creates a pass for `host`'s guest if the property's limits allow it. The outer error is
    /// an unknown property or host or a store failure; the inner one the limit that refuses.
    pub fn create_guest_pin(
        &self,
        property: &str,
        host: &str,
        request: GuestPinRequest,
        actor: &str,
    ) -> Result<Result<GuestPass, LimitRefusal>, RequestError> {
        let config = self.config();
        let p = config
            .properties
            .get(property)
            .ok_or_else(|| RequestError::NotFound(format!("no property named {property:?}")))?;
        self.known_person(property, host)?;
        let rules = p.guest_pins.clone().unwrap_or_default();
        let at = now();
        let pass = GuestPass {
            id: String::new(),
            property: property.into(),
            host: host.into(),
            guest_name: request.guest_name,
            kind: request.kind,
            from: request.from.unwrap_or(at),
            until: request.until,
            days: request.days,
            created_by: actor.into(),
            created_at: at,
            cancelled: false,
        };
        let pass = match self.store.guest_passes().add(pass, &rules, at) {
            Ok(pass) => pass,
            Err(AddPassError::Refused(refusal)) => return Ok(Err(refusal)),
            Err(AddPassError::Store(e)) => return Err(e.into()),
        };
        self.audit_pass(&config.portfolio, &pass, "guest_pin_created", actor);
        Ok(Ok(pass))
    }

    /// Every pass `host` asked for in `property`, cancelled ones too.
    pub fn guest_pins(&self, property: &str, host: &str) -> Result<Vec<GuestPass>, RequestError> {
        if !self.config().properties.contains_key(property) {
            return Err(RequestError::NotFound(format!(
                "no property named {property:?}"
            )));
        }
        self.known_person(property, host)?;
        Ok(self.store.guest_passes().for_host(property, host)?)
    }

    /// Cancels a pass; cancelling a cancelled pass changes nothing and audits nothing.
    pub fn cancel_guest_pin(
        &self,
        property: &str,
        id: &str,
        actor: &str,
    ) -> Result<GuestPass, RequestError> {
        let config = self.config();
        if !config.properties.contains_key(property) {
            return Err(RequestError::NotFound(format!(
                "no property named {property:?}"
            )));
        }
        let (pass, newly) = self
            .store
            .guest_passes()
            .cancel(property, id)?
            .ok_or_else(|| {
                RequestError::NotFound(format!("no guest PIN {id:?} in property {property:?}"))
            })?;
        if newly {
            self.audit_pass(&config.portfolio, &pass, "guest_pin_cancelled", actor);
        }
        Ok(pass)
    }

    fn audit_pass(&self, portfolio: &str, pass: &GuestPass, action: &str, actor: &str) {
        let mut d = event(
            portfolio,
            Some(&pass.property),
            action,
            actor,
            AuditOutcome::Recorded,
            &describe(pass),
            now(),
        );
        d.person_id = Some(pass.host.clone());
        d.object = pass.id.clone();
        self.audit(vec![d]);
    }
}

/// `temporary guest PIN for Ana, 2026-11-23T10:00:00Z to 2026-11-25T10:00:00Z` (with the
/// weekdays of a recurring pass).
pub fn describe(pass: &GuestPass) -> String {
    let until = pass.until.map_or("no end".to_string(), rfc3339);
    let days = if pass.days.is_empty() {
        String::new()
    } else {
        let list: Vec<&str> = pass.days.iter().map(|d| d.as_str()).collect();
        format!(" on {}", list.join(", "))
    };
    format!(
        "{} guest PIN for {}, {} to {until}{days}",
        pass.kind.as_str(),
        pass.guest_name,
        rfc3339(pass.from)
    )
}
