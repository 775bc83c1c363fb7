//! Issuing PINs (DESIGN §3, credentials): each PIN is drawn from the operating system's CSPRNG,
//! refused if guessable (one digit repeated, a straight run) or already live at the property
//! (compared by keyed fingerprint, since lockstep keeps no PIN values), set in the access system
//! by the executor, delivered through the notification sink and then recorded by fingerprint.
//!
//! The digits live in a [`Pin`] (wiped on drop, never printed) from the draw to the delivery.

use crate::deliver::{PinNotice, Sink};
use crate::model::{DesiredUser, Pin, Timestamp, Window};
use hmac::{Hmac, Mac};
use rand::TryRngCore;
use sha2::Sha256;
use std::collections::{BTreeMap, BTreeSet};
use zeroize::Zeroizing;

/// How many draws a fresh PIN gets before issuing gives up (only a property whose live PINs
/// fill most of the digit space gets near it).
pub const MAX_DRAWS: usize = 200;

/// What the executor needs to issue the PINs of one property in one access system.
pub struct PinIssuer<'a> {
    /// The property's id and the access system holding its PINs.
    pub property: &'a str,
    pub system: &'a str,
    pub sink: &'a Sink,
    /// The store's fingerprint key.
    pub key: &'a [u8],
    pub digits: u8,
    pub property_name: &'a str,
    /// The people of this system's desired state: the names and addresses notices go to.
    pub people: &'a BTreeMap<String, DesiredUser>,
}

/// Why no PIN could be drawn.
#[derive(Debug, thiserror::Error)]
pub enum DrawError {
    #[error("the operating system's random source failed: {0}")]
    Random(String),
    #[error("no unused {digits}-digit PIN found in {MAX_DRAWS} draws ({live} are live at the property); configure pins.digits higher")]
    Exhausted { digits: u8, live: usize },
}

impl PinIssuer<'_> {
    /// A fresh PIN for the property and its fingerprint: random, not guessable, and not the
    /// fingerprint of any PIN in `live`.
    pub fn draw(&self, live: &BTreeSet<String>) -> Result<(Pin, String), DrawError> {
        let mut os = rand::rngs::OsRng;
        for _ in 0..MAX_DRAWS {
            let mut digits = Zeroizing::new(String::with_capacity(usize::from(self.digits)));
            for _ in 0..self.digits {
                digits.push(random_digit(&mut os)?);
            }
            if is_guessable(&digits) {
                continue;
            }
            let Some(pin) = Pin::from_digits(std::mem::take(&mut *digits)) else {
                continue;
            };
            let print = fingerprint(self.key, self.property, &pin);
            if !live.contains(&print) {
                return Ok((pin, print));
            }
        }
        Err(DrawError::Exhausted {
            digits: self.digits,
            live: live.len(),
        })
    }

    /// Delivers one PIN through the sink, named for the person the desired state knows.
    pub async fn deliver(
        &self,
        external_id: &str,
        generation: u32,
        window: Window,
        pin: &Pin,
        now: Timestamp,
    ) -> Result<(), crate::deliver::DeliverError> {
        let person = self.people.get(external_id);
        let notice = PinNotice {
            property: self.property,
            property_name: self.property_name,
            person_id: person.map_or(external_id, |p| p.person_id.as_str()),
            name: person.map_or("", |p| p.name.as_str()),
            email: person.and_then(|p| p.email.as_deref()),
            system: self.system,
            generation,
            window,
            pin,
            issued_at: now,
        };
        self.sink.deliver(&notice).await
    }
}

/// What the audit entry of an issued PIN names: its generation and fingerprint, which prove
/// which PIN was issued without revealing it.
pub fn audit_object(generation: u32, fingerprint: &str) -> String {
    format!("pin #{generation} hmac-sha256:{fingerprint}")
}

/// One decimal digit, uniform: bytes of 250 and above are redrawn (250 is a multiple of 10).
fn random_digit(os: &mut rand::rngs::OsRng) -> Result<char, DrawError> {
    for _ in 0..64 {
        let mut byte = [0u8; 1];
        os.try_fill_bytes(&mut byte)
            .map_err(|e| DrawError::Random(e.to_string()))?;
        if byte[0] < 250 {
            return Ok(char::from(b'0' + byte[0] % 10));
        }
    }
    Err(DrawError::Random(
        "64 bytes in a row were out of range".into(),
    ))
}

/// The hex HMAC-SHA256 of `property \0 digits` under `key`: comparable, not reversible without
/// the key (a bare hash of six digits would be).
pub fn fingerprint(key: &[u8], property: &str, pin: &Pin) -> String {
    // HMAC accepts a key of any length; an empty key is still a key.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(property.as_bytes());
    mac.update(&[0]);
    mac.update(pin.digits().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A PIN anyone would try first: one digit repeated, or a straight run up or down.
pub fn is_guessable(digits: &str) -> bool {
    let d: Vec<i16> = digits
        .bytes()
        .map(|b| i16::from(b) - i16::from(b'0'))
        .collect();
    let steps: BTreeSet<i16> = d.windows(2).map(|w| w[1] - w[0]).collect();
    steps.len() <= 1 && steps.iter().all(|s| (-1..=1).contains(s))
}

#[cfg(test)]
mod tests;
