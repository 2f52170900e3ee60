//! The server's key: where it comes from, what is derived from it, and the sealing of stored
//! credentials with AES-256-GCM.
//!
//! One 32-byte master key, from `PGCONNECT_SECRET_KEY` (base64 or hex) or from a key file the
//! server creates (mode 0600) in its data directory — never from the store, so a copy of the
//! database alone decrypts nothing. HKDF-SHA256 derives two keys from it with distinct labels:
//! one seals credentials, one signs session tokens (HS256). A short key id (a hash of the sealing
//! key) is stored beside each ciphertext, so a server started with the wrong key says so instead
//! of failing to decrypt.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};

/// The environment variable that carries the master key.
pub const KEY_ENV: &str = "PGCONNECT_SECRET_KEY";
/// The key file's name inside the data directory.
pub const KEY_FILE: &str = "secret.key";

/// Bytes of nonce per sealed value (AES-GCM's standard 96 bits, random per value).
const NONCE_LEN: usize = 12;

/// The keys derived from the master key. `Debug` shows only the key id.
#[derive(Clone)]
pub struct Keys {
    seal: [u8; 32],
    sign: [u8; 32],
    id: String,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A sealed value as stored: which key, the nonce, the ciphertext with its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// [`Keys::id`] of the key that sealed it.
    pub key_id: String,
    /// Random per value.
    pub nonce: Vec<u8>,
    /// AES-256-GCM output (ciphertext and 16-byte tag).
    pub ciphertext: Vec<u8>,
}

/// Why a key could not be had, or a value not opened. Messages never include key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// `PGCONNECT_SECRET_KEY` is not 32 bytes of base64 or hex.
    BadEnv(String),
    /// The key file is unreadable, malformed or too open.
    BadFile(PathBuf, String),
    /// A value was sealed under another key.
    WrongKey {
        /// The id stored with the value.
        stored: String,
        /// This server's key id.
        ours: String,
    },
    /// Authentication failed: the value or its context was altered.
    Tampered,
    /// Randomness was unavailable.
    Random(String),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::BadEnv(why) => write!(
                f,
                "{KEY_ENV} is not a usable key ({why}); set it to 32 random bytes in base64, \
                 e.g. the output of `openssl rand -base64 32`"
            ),
            KeyError::BadFile(path, why) => write!(f, "key file {}: {why}", path.display()),
            KeyError::WrongKey { stored, ours } => write!(
                f,
                "the stored credentials were encrypted with key {stored}, but this server's key \
                 is {ours}: start it with the original key ({KEY_ENV} or the data directory's \
                 {KEY_FILE})"
            ),
            KeyError::Tampered => f.write_str(
                "a stored credential failed authentication: it was altered or moved to another \
                 record",
            ),
            KeyError::Random(why) => write!(f, "no randomness available: {why}"),
        }
    }
}

impl std::error::Error for KeyError {}

impl Keys {
    /// Derives the keys from a 32-byte master key.
    #[must_use]
    pub fn from_master(master: &[u8; 32]) -> Keys {
        let hk = Hkdf::<Sha256>::new(Some(b"pgconnect"), master);
        let mut seal = [0u8; 32];
        let mut sign = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit of 8160: expand cannot fail here.
        let _ = hk.expand(b"pgconnect credentials v1", &mut seal);
        let _ = hk.expand(b"pgconnect session tokens v1", &mut sign);
        let digest = Sha256::digest([b"pgconnect key id".as_slice(), &seal].concat());
        let id = digest
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        Keys { seal, sign, id }
    }

    /// Parses `PGCONNECT_SECRET_KEY`'s value: 32 bytes as base64 (standard or URL-safe) or hex.
    pub fn from_text(text: &str) -> Result<Keys, KeyError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| {
                    text.get(2 * i..2 * i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| KeyError::BadEnv("not hex".into()))?
        } else {
            STANDARD
                .decode(text)
                .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
                .map_err(|_| KeyError::BadEnv("neither base64 nor 64 hex digits".into()))?
        };
        let master: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::BadEnv(format!("{} bytes, where 32 are needed", bytes.len())))?;
        Ok(Keys::from_master(&master))
    }

    /// The key from `env_value` when set, else from `dir`'s key file, created (0600) when absent.
    pub fn load(env_value: Option<&str>, dir: &Path) -> Result<Keys, KeyError> {
        if let Some(text) = env_value.filter(|t| !t.trim().is_empty()) {
            return Keys::from_text(text);
        }
        let path = dir.join(KEY_FILE);
        let bad = |why: String| KeyError::BadFile(path.clone(), why);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                check_private(&path).map_err(bad)?;
                Keys::from_text(&text).map_err(|e| match e {
                    KeyError::BadEnv(why) => KeyError::BadFile(path.clone(), why),
                    other => other,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut master = [0u8; 32];
                getrandom::fill(&mut master).map_err(|e| KeyError::Random(e.to_string()))?;
                write_private(&path, STANDARD.encode(master).as_bytes())
                    .map_err(|e| bad(format!("cannot create it: {e}")))?;
                Ok(Keys::from_master(&master))
            }
            Err(e) => Err(bad(format!("cannot read it: {e}"))),
        }
    }

    /// A short public fingerprint of the sealing key.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The HS256 signing key for session tokens.
    #[must_use]
    pub fn signing_key(&self) -> &[u8; 32] {
        &self.sign
    }

    /// Seals `plain`, bound to `context` (e.g. `connection:7:password`): a value copied to another
    /// record does not open.
    pub fn seal(&self, plain: &[u8], context: &str) -> Result<Sealed, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| KeyError::Random(e.to_string()))?;
        let cipher = Aes256Gcm::new(&self.seal.into());
        let ciphertext = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| KeyError::Tampered)?;
        Ok(Sealed {
            key_id: self.id.clone(),
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Opens a value sealed by [`Keys::seal`] with the same `context`.
    pub fn open(&self, sealed: &Sealed, context: &str) -> Result<Vec<u8>, KeyError> {
        if sealed.key_id != self.id {
            return Err(KeyError::WrongKey {
                stored: sealed.key_id.clone(),
                ours: self.id.clone(),
            });
        }
        let nonce: [u8; NONCE_LEN] = sealed
            .nonce
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::Tampered)?;
        Aes256Gcm::new(&self.seal.into())
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| KeyError::Tampered)
    }
}

/// Random bytes as URL-safe base64 (login codes).
pub fn random_token(bytes: usize) -> Result<String, KeyError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// SHA-256 of `text`, hex (how login codes are stored).
#[must_use]
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents)?;
    f.write_all(b"\n")?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(contents)?;
    f.sync_all()
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "readable by others (mode {:o}); run `chmod 600 {}`",
            mode & 0o777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let k = Keys::from_master(&[7; 32]);
        let s = k.seal(b"hunter2-xyz", "connection:1:password").unwrap();
        assert_eq!(s.nonce.len(), 12);
        assert_eq!(s.ciphertext.len(), 11 + 16);
        assert!(!s.ciphertext.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(k.open(&s, "connection:1:password").unwrap(), b"hunter2-xyz");
        assert_eq!(k.open(&s, "connection:2:password"), Err(KeyError::Tampered));
        let mut flipped = s.clone();
        flipped.ciphertext[0] ^= 1;
        assert_eq!(
            k.open(&flipped, "connection:1:password"),
            Err(KeyError::Tampered)
        );
        let other = Keys::from_master(&[8; 32]);
        assert!(matches!(
            other.open(&s, "connection:1:password"),
            Err(KeyError::WrongKey { .. })
        ));
        // two seals of one value differ (random nonce)
        assert_ne!(
            k.seal(b"a", "c").unwrap().nonce,
            k.seal(b"a", "c").unwrap().nonce
        );
        assert_ne!(k.signing_key(), &k.seal);
        assert!(!format!("{k:?}").contains("seal"));
    }

    #[test]
    fn the_key_comes_from_text_or_a_private_file() {
        let b64 = STANDARD.encode([1u8; 32]);
        let hex = "01".repeat(32);
        assert_eq!(
            Keys::from_text(&b64).unwrap().id(),
            Keys::from_text(&hex).unwrap().id()
        );
        let e = Keys::from_text("c2hvcnQ=").unwrap_err().to_string();
        assert!(e.contains("5 bytes, where 32"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let first = Keys::load(None, dir.path()).unwrap();
        let again = Keys::load(None, dir.path()).unwrap();
        assert_eq!(first.id(), again.id());
        assert_eq!(
            Keys::load(Some(&b64), dir.path()).unwrap().id(),
            Keys::from_master(&[1; 32]).id()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join(KEY_FILE);
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = Keys::load(None, dir.path()).unwrap_err().to_string();
            assert!(e.contains("chmod 600"), "{e}");
        }
    }
}
