//! SCRAM-SHA-256 password verifiers, as PostgreSQL stores them in `pg_authid.rolpassword`.
//!
//! Writing `CREATE ROLE … PASSWORD 'SCRAM-SHA-256$…'` with a verifier computed here means the
//! plain-text password never reaches the server, its logs or `pg_stat_statements`. The salt is an
//! argument: the core has no randomness; callers draw 16 random bytes.

use std::fmt;

mod bidi;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};

use crate::secret::Secret;

/// PostgreSQL's default iteration count (`scram_iterations`).
pub const DEFAULT_ITERATIONS: u32 = 4096;
/// PostgreSQL's salt length in bytes.
pub const SALT_LEN: usize = 16;

/// A `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` verifier. It is not the password,
/// but it is what an attacker would brute-force, so `Debug` shows only its header.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramVerifier(String);

impl ScramVerifier {
    /// Computes the verifier PostgreSQL would store for `password` with `salt` and `iterations`.
    /// The password is SASLprep-normalised first, falling back to the raw bytes when SASLprep
    /// rejects it — what both the server and libpq do.
    #[must_use]
    pub fn compute(password: &Secret, salt: &[u8], iterations: u32) -> ScramVerifier {
        use unicode_normalization::UnicodeNormalization as _;
        Self::compute_with_nfkc(password, salt, iterations, |s| s.nfkc().collect())
    }

    /// [`ScramVerifier::compute`] with the Unicode NFKC normalisation supplied by the caller — in
    /// WebAssembly, JavaScript's `String.prototype.normalize("NFKC")`, which keeps the large
    /// normalisation tables out of the browser build.
    #[must_use]
    pub fn compute_with_nfkc(
        password: &Secret,
        salt: &[u8],
        iterations: u32,
        nfkc: impl Fn(&str) -> String,
    ) -> ScramVerifier {
        let raw = password.expose();
        let prepared = saslprep_with(raw, nfkc).unwrap_or_else(|| raw.to_owned());
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(prepared.as_bytes(), salt, iterations.max(1), &mut salted);
        let client_key = hmac(&salted, b"Client Key");
        let stored_key = Sha256::digest(client_key);
        let server_key = hmac(&salted, b"Server Key");
        ScramVerifier(format!(
            "SCRAM-SHA-256${}:{}${}:{}",
            iterations.max(1),
            BASE64.encode(salt),
            BASE64.encode(stored_key),
            BASE64.encode(server_key)
        ))
    }

    /// The verifier text, as it goes into `PASSWORD '…'`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads a verifier's iteration count and salt, if `text` is one (used to check that a server's
    /// stored verifier is what [`ScramVerifier::compute`] gives).
    #[must_use]
    pub fn parse_header(text: &str) -> Option<(u32, Vec<u8>)> {
        let rest = text.strip_prefix("SCRAM-SHA-256$")?;
        let (params, _) = rest.split_once('$')?;
        let (iterations, salt) = params.split_once(':')?;
        Some((iterations.parse().ok()?, BASE64.decode(salt).ok()?))
    }
}

impl fmt::Debug for ScramVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ScramVerifier(SCRAM-SHA-256$…)")
    }
}

/// SASLprep (RFC 4013, the stringprep profile PostgreSQL applies to SCRAM passwords) with the NFKC
/// step supplied by the caller; `None` when the result has prohibited characters, in which case
/// PostgreSQL and libpq use the password's raw bytes. Step for step what the `stringprep` crate's
/// `saslprep` does (a test checks they agree).
#[must_use]
pub fn saslprep_with(s: &str, nfkc: impl Fn(&str) -> String) -> Option<String> {
    use stringprep::tables;
    if s.chars()
        .all(|c| c.is_ascii() && !tables::ascii_control_character(c))
    {
        return Some(s.to_owned());
    }
    // 2.1 mapping: non-ASCII spaces to SPACE, "commonly mapped to nothing" removed
    let mapped: String = s
        .chars()
        .map(|c| {
            if tables::non_ascii_space_character(c) {
                ' '
            } else {
                c
            }
        })
        .filter(|&c| !tables::commonly_mapped_to_nothing(c))
        .collect();
    // 2.2 normalisation
    let normalized = nfkc(&mapped);
    // 2.3 prohibited output (C.1.2, C.2.1, C.2.2, C.3 – C.9)
    let prohibited = normalized.chars().any(|c| {
        tables::non_ascii_space_character(c)
            || tables::ascii_control_character(c)
            || tables::non_ascii_control_character(c)
            || tables::private_use(c)
            || tables::non_character_code_point(c)
            || tables::surrogate_code(c)
            || tables::inappropriate_for_plain_text(c)
            || tables::inappropriate_for_canonical_representation(c)
            || tables::change_display_properties_or_deprecated(c)
            || tables::tagging_character(c)
    });
    // 2.4 bidirectional text: with any RandALCat, no LCat, and RandALCat first and last
    let rand_al = |c: char| in_ranges(c, bidi::RAND_AL_CAT);
    let bidi_bad = normalized.contains(rand_al)
        && (normalized.contains(|c| in_ranges(c, bidi::L_CAT))
            || !normalized.starts_with(rand_al)
            || !normalized.ends_with(rand_al));
    // 2.5 unassigned code points
    let unassigned = normalized.chars().any(tables::unassigned_code_point);
    (!prohibited && !bidi_bad && !unassigned).then_some(normalized)
}

/// First and last code point of a range, inclusive.
pub type CodeRange = (u32, u32);

/// Whether `c` is in one of `ranges` (sorted, inclusive, disjoint).
fn in_ranges(c: char, ranges: &[CodeRange]) -> bool {
    let c = u32::from(c);
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// The tables SASLprep's bidirectional check reads (RFC 3454 D.1 RandALCat and D.2 LCat), as
/// `tests/saslprep_bidi.rs` generates and checks them.
#[doc(hidden)]
#[must_use]
pub fn bidi_tables() -> (&'static [CodeRange], &'static [CodeRange]) {
    (bidi::RAND_AL_CAT, bidi::L_CAT)
}

/// [`bidi_tables`]' lookup, for its test.
#[doc(hidden)]
#[must_use]
pub fn in_bidi_table(c: char, ranges: &[CodeRange]) -> bool {
    in_ranges(c, ranges)
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length (RFC 2104 pads or hashes them), so this cannot fail; the
    // fallback only keeps the code free of panics.
    match <Hmac<Sha256>>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0u8; 32],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_verifiers_postgresql_stored() {
        // Read from a live PostgreSQL 15.18: CREATE ROLE r PASSWORD '…'; SELECT rolpassword …
        // The second password needs SASLprep (NFKC maps Ⅸ to IX and ﬀ to ff).
        for (password, stored) in [
            (
                "pgconnect",
                "SCRAM-SHA-256$4096:By8CWQuWRa65oVpo/zMCrQ==$7gAfun5+laJHVQ8OEYZd4DXbIbsXal3oNculNO8WfL0=:9AjYafmYaMUsf80mT8A/SqI2LpWxdDCGLb1G2VX+ECo=",
            ),
            (
                "Ⅸ straße ﬀ",
                "SCRAM-SHA-256$4096:PXKS6y7GN+2p707+5JKxag==$oue1FBeuYF5+TTKT7lq94+shuLeKKWB2LL+gDktY1Rw=:brQ0ZXfJ811QYbpePn+HAYPLNI4jw6JmQ0Skj71aVko=",
            ),
        ] {
            let (iterations, salt) = ScramVerifier::parse_header(stored).unwrap();
            assert_eq!(iterations, 4096);
            assert_eq!(salt.len(), SALT_LEN);
            let ours = ScramVerifier::compute(&Secret::new(password), &salt, iterations);
            assert_eq!(ours.as_str(), stored, "{password}");
        }
    }

    #[test]
    fn saslprep_with_agrees_with_the_stringprep_crate() {
        use unicode_normalization::UnicodeNormalization as _;
        let nfkc = |s: &str| s.nfkc().collect::<String>();
        for s in [
            "plain",
            "with space",
            "I\u{00AD}X",               // soft hyphen: mapped to nothing
            "user\u{00A0}name",         // no-break space: mapped to SPACE
            "Ⅸ straße ﬀ",               // NFKC changes it
            "\u{00AA}",                 // ª → a
            "a\u{0007}b",               // control: prohibited
            "\u{0627}\u{0031}",         // RandALCat then digit: bad bidi
            "\u{0627}\u{0031}\u{0628}", // RandALCat at both ends: fine
            "שלום",                     // Hebrew alone: fine
            "שלוםabc",                  // RandALCat with LCat: bad bidi
            "abc\u{0627}",              // LCat first, RandALCat last: bad bidi
            "\u{05D0}\u{0221}\u{05D1}", // RTL around a code point unassigned in 3.2
            "\u{FB1D}\u{05D0}",         // RandALCat from the Alphabetic Presentation Forms
            "\u{E000}",                 // private use: prohibited
            "\u{0221}",                 // unassigned in Unicode 3.2
            "",
        ] {
            let crate_result = stringprep::saslprep(s).ok().map(|c| c.into_owned());
            assert_eq!(saslprep_with(s, nfkc), crate_result, "{s:?}");
        }
    }

    #[test]
    fn debug_hides_the_keys() {
        let v = ScramVerifier::compute(&Secret::new("x"), &[0; 16], 4096);
        assert_eq!(format!("{v:?}"), "ScramVerifier(SCRAM-SHA-256$…)");
        assert!(
            v.as_str()
                .starts_with("SCRAM-SHA-256$4096:AAAAAAAAAAAAAAAAAAAAAA==$")
        );
    }
}
