//! Checks on free text and ids that arrive through the API, before anything is stored or
//! audited: bounded length, no control characters (they would forge lines in logs, CSV exports
//! and the console), and repeated ids in one request counted once.

use super::ApiError;

/// Longest person id accepted (sources use short ids; 128 leaves room for any of them).
pub const MAX_ID: usize = 128;
/// Longest override note accepted.
pub const MAX_NOTE: usize = 1000;
/// Most audit entries one request may ask for.
pub const MAX_LIMIT: usize = 100_000;

/// A required id: not empty, at most `MAX_ID` characters, no control characters.
pub fn id(field: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::bad_request(format!("{field}: must not be empty")));
    }
    text(field, value, MAX_ID)
}

/// Free text of at most `max` characters without control characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    let length = value.chars().count();
    if length > max {
        return Err(ApiError::bad_request(format!(
            "{field}: {length} characters; at most {max} are allowed"
        )));
    }
    if let Some((at, c)) = value.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(ApiError::bad_request(format!(
            "{field}: control character U+{:04X} at position {at} is not allowed",
            c as u32
        )));
    }
    Ok(())
}

/// The ids of one request, each once, in the order first given, each checked like an id.
pub fn unique_ids(ids: Vec<String>) -> Result<Vec<String>, ApiError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(ids.len());
    for (i, value) in ids.into_iter().enumerate() {
        id(&format!("ids[{i}]"), &value)?;
        if seen.insert(value.clone()) {
            out.push(value);
        }
    }
    Ok(out)
}

/// `limit` of an audit query: 1 to `MAX_LIMIT`, 1000 when absent.
pub fn limit(value: Option<usize>) -> Result<usize, ApiError> {
    match value {
        None => Ok(1000),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(format!(
            "limit: {n} is out of range; give 1 to {MAX_LIMIT}"
        ))),
    }
}

/// `after_seq` of an audit query: a sequence number the log has reached (0 = from the start).
pub fn after_seq(value: Option<u64>, newest: u64) -> Result<Option<u64>, ApiError> {
    match value {
        Some(n) if n > newest => Err(ApiError::bad_request(format!(
            "after_seq: {n} is beyond the newest audit entry ({newest}); \
             a cursor from another store or a wiped log?"
        ))),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_text_are_bounded_and_free_of_control_characters() {
        assert!(id("person", "r-123").is_ok());
        assert!(id("person", "").is_err());
        assert!(id("person", &"x".repeat(MAX_ID)).is_ok());
        let e = id("person", &"x".repeat(MAX_ID + 1)).unwrap_err();
        assert!(e.message.contains("129 characters; at most 128"), "{e:?}");
        let e = text("note", "ok\nforged line", MAX_NOTE).unwrap_err();
        assert!(e.message.contains("U+000A at position 2"), "{e:?}");
        assert!(text("note", "\u{1b}[31mred", MAX_NOTE).is_err());
        assert!(text("note", "é ü 漢字 fine", MAX_NOTE).is_ok());
    }

    #[test]
    fn repeated_ids_count_once_in_order() {
        let ids = unique_ids(vec!["b".into(), "a".into(), "b".into(), "a".into()]).expect("ok");
        assert_eq!(ids, ["b", "a"]);
        assert!(unique_ids(vec!["ok".into(), "bad\u{0}".into()]).is_err());
    }

    #[test]
    fn limit_and_after_seq_are_checked() {
        assert_eq!(limit(None).ok(), Some(1000));
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(MAX_LIMIT + 1)).is_err());
        assert_eq!(limit(Some(5)).ok(), Some(5));
        assert_eq!(after_seq(Some(3), 3).ok(), Some(Some(3)));
        assert!(after_seq(Some(4), 3).is_err());
        assert_eq!(after_seq(None, 0).ok(), Some(None));
    }
}
