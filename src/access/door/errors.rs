//! DOOR's error answers as `AccessError`s that say what failed and where. Bodies are
//! `{message}` holding a code (door-partner `BadRequestError`, `NotFoundError`,
//! `UnauthorizedError`, `InternalServerError`; the codes are also listed in
//! `door-error-codes.yml`). The sentences are lockstep's reading of each code's name.

use super::Door;
use crate::access::AccessError;
use crate::net::NetError;

/// What a `BadRequestError` code means for lockstep's call, in its own words.
pub(super) fn explain(code: &str) -> Option<&'static str> {
    Some(match code {
        "BUILDING_UUID_REQUIRED" => "DOOR needs a building for this call",
        "EMAIL_AND_PHONE_PROVIDED" => "a grant may name an email or a phone, not both",
        "EMAIL_CAN_NOT_BE_EMPTY" => "the person's email is empty",
        "EMAIL_OR_PHONE_REQUIRED" => "a grant needs the person's email or phone",
        "EMAIL_REQUIRED_FOR_PERMANENT" => "a PERMANENT passcode needs the person's email",
        "END_TIME_NOT_SUPPORTED" => {
            "DOOR does not take an end time here; check passcode_type against the window"
        }
        "INVALID_END_TIME" => "DOOR refused the window's end time",
        "INVALID_PHONE" => "DOOR refused the phone number",
        "INVALID_START_TIME" => "DOOR refused the window's start time",
        "MISSING_END_TIME" => {
            "DOOR needs an end time for this passcode type; check passcode_type or give the \
             membership an end"
        }
        "PASSCODE_TYPE_CANT_BE_REVOKED" => {
            "DOOR does not let this access's passcode type be revoked"
        }
        "USER_CAN_NOT_SHARE" => "DOOR refused to make the access shareable",
        _ => return None,
    })
}

impl Door {
    /// A failed call turned into an `AccessError`: a 400 with a documented code is a refusal
    /// naming `doing` and the code's meaning, a 404 is `NotFound` of `missing`, anything else
    /// stays the network error it was (it already names the request).
    pub(super) fn refused(&self, e: NetError, doing: &str, missing: &str) -> AccessError {
        match e {
            NetError::Status {
                status: 400,
                message,
                ..
            } => {
                let code = message.trim();
                let why = match explain(code) {
                    Some(why) => format!("{why} ({code})"),
                    None => format!("DOOR answered 400 {code:?}"),
                };
                self.rejected(format!("{doing}: {why}"))
            }
            NetError::Status {
                status: 404,
                message,
                ..
            } => self.not_found(format!("{missing} ({doing}; DOOR said {message:?})")),
            other => other.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::explain;

    /// Every code of `BadRequestError`'s enum has a sentence (the list in door-partner).
    #[test]
    fn every_documented_bad_request_code_is_explained() {
        for code in [
            "BUILDING_UUID_REQUIRED",
            "EMAIL_AND_PHONE_PROVIDED",
            "EMAIL_CAN_NOT_BE_EMPTY",
            "EMAIL_OR_PHONE_REQUIRED",
            "EMAIL_REQUIRED_FOR_PERMANENT",
            "END_TIME_NOT_SUPPORTED",
            "INVALID_END_TIME",
            "INVALID_PHONE",
            "INVALID_START_TIME",
            "MISSING_END_TIME",
            "PASSCODE_TYPE_CANT_BE_REVOKED",
            "USER_CAN_NOT_SHARE",
        ] {
            assert!(explain(code).is_some(), "{code}");
        }
        assert_eq!(explain("SOMETHING_NEW"), None);
    }
}
