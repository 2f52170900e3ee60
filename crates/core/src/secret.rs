//! [`Secret`]: a string that never shows itself by accident.

use std::fmt;

/// A password, token or other credential. `Debug` and `Display` print a mask; the value is reached
/// only through [`Secret::expose`], so every place that reveals it is greppable.
///
/// `Secret` deliberately implements neither `Serialize` nor `Deserialize`: a type that holds one
/// decides explicitly, field by field, whether the value may leave (the connection-string parser
/// returns it, since the wizard moves it into the password field; reports never do).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

/// What `Debug` and `Display` print instead of the value.
pub const MASK: &str = "********";

impl Secret {
    /// Wraps a value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself. Call only where the value must leave: to a database, a hash, or the user
    /// who typed it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the value is the empty string.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({MASK})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_mask_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s}"), MASK);
        assert_eq!(format!("{s:?}"), "Secret(********)");
        assert_eq!(
            format!("{:#?}", Some(&s)),
            "Some(\n    Secret(********),\n)"
        );
        assert_eq!(s.expose(), "hunter2-very-secret");
    }
}
