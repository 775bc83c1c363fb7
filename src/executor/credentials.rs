//! The executor's credential actions: PINs (drawn, set, delivered, then recorded) and mobile
//! keys (issued, then recorded), and the revocations that forget what lockstep recorded.

use super::{Executor, Ids};
use crate::access::AccessError;
use crate::model::Window;

impl Executor<'_> {
    /// Revokes one credential; a mobile key lockstep issued is forgotten once revoked, so one
    /// still wanted is issued afresh next cycle (the replacement for a lost phone).
    pub(super) async fn revoke_credential(
        &self,
        ids: &mut Ids,
        external_id: &str,
        credential_id: &str,
    ) -> Result<(), AccessError> {
        let user = self.user_id(ids, external_id).await?;
        self.system.revoke_credential(&user, credential_id).await?;
        self.store
            .mobile_keys()
            .forget(self.property, self.system_name, external_id, credential_id)
            .map_err(|e| AccessError::Rejected {
                system: self.system_name.to_string(),
                message: format!("credential revoked but its record not updated: {e}"),
            })
    }

    /// Issues a mobile key and records its credential id, so it is issued once.
    pub(super) async fn issue_mobile_key(
        &self,
        ids: &mut Ids,
        external_id: &str,
        window: &Window,
    ) -> Result<(), AccessError> {
        let user = self.user_id(ids, external_id).await?;
        let credential_id = self.system.issue_mobile_key(&user, window).await?;
        let record = crate::store::IssuedKey {
            credential_id,
            issued_at: self.now,
        };
        self.store
            .mobile_keys()
            .record(self.property, self.system_name, external_id, &record)
            .map_err(|e| AccessError::Rejected {
                system: self.system_name.to_string(),
                message: format!("mobile key issued but not recorded: {e}"),
            })
    }

    /// Clears a PIN lockstep issued and forgets its record.
    pub(super) async fn revoke_pin(
        &self,
        ids: &mut Ids,
        external_id: &str,
    ) -> Result<(), AccessError> {
        let user = self.user_id(ids, external_id).await?;
        self.system.set_pin(&user, None, &Window::OPEN).await?;
        self.store
            .pins()
            .forget(self.property, self.system_name, external_id)
            .map_err(|e| self.pin_error(e.to_string()))
    }

    /// Draws a fresh PIN unique at the property, sets it, delivers it and only then records
    /// it: a PIN that was set but not delivered is replaced by a fresh one next cycle. Every
    /// attempt draws anew, so a PIN whose setting timed out is never the one delivered.
    pub(super) async fn issue_pin(
        &self,
        ids: &mut Ids,
        external_id: &str,
        generation: u32,
        window: Window,
    ) -> Result<(), AccessError> {
        let Some(issuer) = self.pins else {
            return Err(self.pin_error(
                "the property issues no PINs in this system (see its pins: section)".into(),
            ));
        };
        let user = self.user_id(ids, external_id).await?;
        if ids.live_pins.is_none() {
            let live = self
                .store
                .pins()
                .fingerprints(self.property)
                .map_err(|e| self.pin_error(e.to_string()))?;
            ids.live_pins = Some(live);
        }
        let live = ids.live_pins.get_or_insert_with(Default::default);
        let (pin, print) = issuer
            .draw(live)
            .map_err(|e| self.pin_error(e.to_string()))?;
        self.system.set_pin(&user, Some(&pin), &window).await?;
        issuer
            .deliver(external_id, generation, window, &pin, self.now)
            .await
            .map_err(|e| {
                self.pin_error(format!(
                    "set in the system but not delivered ({e}); a fresh PIN is issued next cycle"
                ))
            })?;
        drop(pin);
        let record = crate::store::IssuedPin {
            generation,
            fingerprint: print.clone(),
            issued_at: self.now,
            window,
        };
        self.store
            .pins()
            .record(self.property, self.system_name, external_id, &record)
            .map_err(|e| {
                self.pin_error(format!(
                    "delivered but not recorded ({e}); a fresh PIN is issued next cycle"
                ))
            })?;
        live.insert(print.clone());
        ids.pins.insert(external_id.to_string(), print);
        Ok(())
    }

    pub(super) fn pin_error(&self, message: String) -> AccessError {
        AccessError::Pin {
            system: self.system_name.to_string(),
            message,
        }
    }
}
