//! Kisi's offset paging: `limit`/`offset` in, `X-Collection-Range: start-end/total` out, where
//! the range is the one *requested* (Kisi's OpenAPI and VENDORS.md corrections: offset 10, limit
//! 10 of 15 items answers `10-19/15`), so a short last page is complete. Every page is checked
//! against the total it announces; `offset` may not pass 20000 (`fetchUsers` and the other list
//! operations declare `maximum: 20000`), so a listing whose last page lies beyond reach is
//! reported as too deep and the caller partitions it.

use super::Kisi;
use crate::access::AccessError;
use crate::net::parse_collection_range;
use reqwest::Method;
use serde::de::DeserializeOwned;

/// A listing read whole, or one whose last page lies beyond the offset cap.
pub enum Listing<T> {
    Complete(Vec<T>),
    TooDeep { total: u64 },
}

pub type Filters<'a> = &'a [(&'a str, String)];

/// The most a page of `path` may hold: Kisi's documented `maximum` for its `limit`
/// (`fetchUsers` 100; `fetchGroups`, `fetchRoleAssignments`, `fetchCardAssignments` 250).
pub fn limit_of(path: &str) -> u64 {
    if path == "/users" {
        100
    } else {
        250
    }
}

/// Checks one page of `n` items asked for at `offset` with `limit` against its header and
/// returns the total. Accepts the requested range (`10-19/15`) and, leniently, a range clamped
/// to what was sent (`10-14/15`); the item count must be exactly what the total leaves.
pub fn check_page(offset: u64, limit: u64, n: u64, header: &str) -> Result<u64, String> {
    let Some((range, total)) = parse_collection_range(header) else {
        return Err(format!(
            "missing or unreadable X-Collection-Range {header:?}"
        ));
    };
    if let Some((start, end)) = range {
        let requested = offset + limit - 1;
        let clamped = (offset + n).saturating_sub(1);
        if start != offset || (end != requested && end != clamped) {
            return Err(format!(
                "X-Collection-Range {header:?} does not match offset {offset} and limit {limit}"
            ));
        }
    }
    let expected = total.saturating_sub(offset).min(limit);
    if n != expected {
        return Err(format!(
            "{n} items where X-Collection-Range {header:?} leaves {expected} at offset {offset}"
        ));
    }
    Ok(total)
}

impl Kisi {
    /// Reads every page of `path` with `filters`. Each page moves the offset forward by a full
    /// page or ends the listing, and the offset never passes the cap, so the loop is bounded.
    pub(super) async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        filters: Filters<'_>,
    ) -> Result<Listing<T>, AccessError> {
        let limit = limit_of(path);
        let (mut items, mut offset, mut total) = (Vec::new(), 0u64, None::<u64>);
        loop {
            let (page, page_total) = self.page::<T>(path, filters, offset, limit).await?;
            if let Some(before) = total.filter(|t| *t != page_total) {
                let detail = format!(
                    "GET {path}: the total moved from {before} to {page_total} while paging"
                );
                return Err(self.incomplete(path, detail));
            }
            total = Some(page_total);
            items.extend(page);
            offset += limit;
            if offset >= page_total {
                return Ok(Listing::Complete(items));
            }
            if offset > self.max_offset {
                return Ok(Listing::TooDeep { total: page_total });
            }
            // After the first page: is the last page's offset reachable at all?
            if offset == limit && (page_total - 1) / limit * limit > self.max_offset {
                return Ok(Listing::TooDeep { total: page_total });
            }
        }
    }

    /// One page, checked against its `X-Collection-Range`.
    async fn page<T: DeserializeOwned>(
        &self,
        path: &str,
        filters: Filters<'_>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<T>, u64), AccessError> {
        let mut query = filters.to_vec();
        query.extend([("limit", limit.to_string()), ("offset", offset.to_string())]);
        let params: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let shown = format!("{path}?{}", params.join("&"));
        let req = self.request(Method::GET, path).query(&query);
        let reply = self.http.send(Method::GET, &shown, req).await?;
        let items: Vec<T> = self.http.json(Method::GET, &shown, &reply)?;
        let header = reply
            .headers
            .get("x-collection-range")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let total = check_page(offset, limit, items.len() as u64, header)
            .map_err(|why| self.incomplete(path, format!("GET {shown}: {why}")))?;
        Ok((items, total))
    }

    /// A listing that cannot be partitioned: beyond the offset cap it is incomplete.
    pub(super) async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        filters: Filters<'_>,
    ) -> Result<Vec<T>, AccessError> {
        match self.list(path, filters).await? {
            Listing::Complete(items) => Ok(items),
            Listing::TooDeep { total } => {
                let cap = self.max_offset;
                let detail = format!(
                    "GET {path} holds {total} items, more than offset paging can reach (offset at most {cap})"
                );
                Err(self.incomplete(path, detail))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_page;

    /// The example of VENDORS.md's corrections: 15 items, offset 10, limit 10 → `10-19/15`.
    #[test]
    fn a_short_last_page_under_the_requested_range_is_complete() {
        assert_eq!(check_page(10, 10, 5, "10-19/15"), Ok(15));
        assert_eq!(check_page(0, 10, 10, "0-9/15"), Ok(15));
    }

    /// The OpenAPI's header example `0-9/200`.
    #[test]
    fn the_spec_example_is_a_full_first_page() {
        assert_eq!(check_page(0, 10, 10, "0-9/200"), Ok(200));
        assert!(
            check_page(0, 10, 9, "0-9/200").is_err(),
            "a short page that is not the last"
        );
    }

    #[test]
    fn clamped_ranges_and_empty_listings_are_accepted() {
        assert_eq!(check_page(10, 10, 5, "10-14/15"), Ok(15));
        assert_eq!(check_page(0, 100, 0, "0-99/0"), Ok(0));
    }

    #[test]
    fn pages_that_do_not_fit_are_refused() {
        assert!(check_page(10, 10, 5, "0-9/15").is_err(), "wrong start");
        assert!(check_page(10, 10, 4, "10-19/15").is_err(), "one missing");
        assert!(check_page(0, 10, 10, "").is_err(), "no header");
        assert!(check_page(0, 10, 10, "garbage").is_err());
        assert!(
            check_page(20, 10, 1, "20-29/15").is_err(),
            "items past the end"
        );
    }
}
