//! OfficeRnD (coworking members) through its v2 API: a client-credentials token, then every
//! page of the organisation's locations, floors, resources, plans, members, memberships,
//! bookings and day passes, joined into one `PersonRecord` per member of one location
//! (`source_property_id` names the location by `_id` or exact name).
//!
//! `client` holds the token and the cursor loop, `wire` the documented bodies, `parse` the
//! join. A list that cannot be read whole fails the fetch: a member missing from a short list
//! would be revoked. OfficeRnD reports no total, so `reported_total` stays `None`.

use crate::config::OfficerndConfig;
use crate::model::SourceSnapshot;
use crate::net::HttpClient;
use crate::source::{Source, SourceError};
use async_trait::async_trait;

mod client;
pub mod parse;
pub mod wire;

pub use client::{MAX_PAGES, SCOPE};
pub use parse::member_status;

pub struct Officernd {
    http: HttpClient,
    cfg: OfficerndConfig,
    token: crate::net::token::TokenCache,
}

impl Officernd {
    pub fn new(name: &str, cfg: &OfficerndConfig) -> Result<Officernd, String> {
        let http = HttpClient::new(
            name,
            &cfg.endpoint.url,
            cfg.endpoint.timeout,
            cfg.endpoint.requests_per_second,
        )?;
        Ok(Officernd {
            http,
            cfg: cfg.clone(),
            token: Default::default(),
        })
    }

    /// The location `property` names, by `_id` or else by exact name; no match, or a name two
    /// locations share, is an error rather than an empty list.
    fn location(
        &self,
        property: &str,
        locations: &[wire::Named],
    ) -> Result<(String, String), SourceError> {
        if let Some(l) = locations.iter().find(|l| l.id == property) {
            return Ok((l.id.clone(), l.name.clone()));
        }
        let named: Vec<&wire::Named> = locations.iter().filter(|l| l.name == property).collect();
        match named.as_slice() {
            [l] => Ok((l.id.clone(), l.name.clone())),
            [] => Err(SourceError::Fault {
                source_name: self.http.name.clone(),
                property: property.into(),
                detail: format!(
                    "organisation {:?} has no location with _id or name {property:?} ({} locations listed)",
                    self.cfg.org_slug,
                    locations.len()
                ),
            }),
            _ => Err(SourceError::Fault {
                source_name: self.http.name.clone(),
                property: property.into(),
                detail: format!(
                    "{} locations of organisation {:?} are named {property:?}; name it by _id",
                    named.len(),
                    self.cfg.org_slug
                ),
            }),
        }
    }
}

#[async_trait]
impl Source for Officernd {
    fn kind(&self) -> &'static str {
        "officernd"
    }

    async fn fetch(&self, property: &str) -> Result<SourceSnapshot, SourceError> {
        let locations: Vec<wire::Named> = self.list(property, "locations", &[]).await?;
        let (location_id, location_name) = self.location(property, &locations)?;
        let lists = parse::Lists {
            locations: locations.len(),
            floors: self.list(property, "floors", &[]).await?,
            resources: self.list(property, "resources", &[]).await?,
            plans: self.list(property, "plans", &[]).await?,
            members: self.list(property, "members", &[]).await?,
            memberships: self.list(property, "memberships", &[]).await?,
            bookings: self.list(property, "bookings", &[]).await?,
            passes: self.list(property, "passes", &[]).await?,
            location_id,
            location_name,
        };
        Ok(parse::assemble(&lists, crate::controller::now()))
    }
}

#[cfg(test)]
mod golden;
#[cfg(test)]
mod tests;
