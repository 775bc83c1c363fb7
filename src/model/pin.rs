//! A PIN's value, which exists only between its draw and its delivery: it never prints, never
//! serialises, and its bytes are wiped when it is dropped.

use zeroize::Zeroizing;

/// The digits of one PIN. `Debug` shows only the length; there is no `Display`, `Serialize` or
/// `Clone`, so a PIN reaches a log, the audit log or the store only by someone calling `digits`.
pub struct Pin(Zeroizing<String>);

impl Pin {
    /// A PIN from decimal digits; `None` if `digits` is empty or holds anything else.
    pub fn from_digits(digits: String) -> Option<Pin> {
        let digits = Zeroizing::new(digits);
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| Pin(digits))
    }

    /// The digits, for the one request that sets the PIN and the one message that delivers it.
    pub fn digits(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pin(<{} digits>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_never_prints_its_digits() {
        let pin = Pin::from_digits("482913".into()).expect("digits");
        let shown = format!("{pin:?}");
        assert_eq!(shown, "Pin(<6 digits>)");
        assert!(!shown.contains("482913"));
        assert_eq!(pin.digits(), "482913");
    }

    #[test]
    fn only_digits_make_a_pin() {
        assert!(Pin::from_digits(String::new()).is_none());
        assert!(Pin::from_digits("12a4".into()).is_none());
        assert!(Pin::from_digits("12 4".into()).is_none());
        assert!(Pin::from_digits("0000".into()).is_some());
    }
}
