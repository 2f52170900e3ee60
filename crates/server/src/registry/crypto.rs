//! The server's key: where it comes from, what is derived from it, and the sealing of stored
//! credentials with AES-256-GCM.
//!
//! One 32-byte master key, from `PGCONNECT_SECRET_KEY` (base64 or hex) or from a key file the
//! server creates (mode 0600) in its data directory — never from the store, so a copy of the
//! database alone decrypts nothing. HKDF-SHA256 derives two keys from it with distinct labels:
//! one seals credentials, one signs session tokens (HS256). A short key id (a hash of the sealing
//! key) is stored beside each ciphertext, so a server started with the wrong key says so instead
//! of failing to decrypt.
//!
//! Rotation: besides the current key, the server may know previous keys — the key file's later
//! lines, or `PGCONNECT_PREVIOUS_SECRET_KEYS`. It seals and signs with the current key only, and
//! opens values and verifies tokens with any of them, so a store half-way through a rotation (or
//! servers restarted one by one) keeps working. `pgconnect key rotate` re-seals every value under
//! the current key, then the previous keys can go.

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
/// The environment variable that carries previous master keys (comma- or space-separated), kept
/// only to open values and verify tokens from before a rotation.
pub const PREVIOUS_KEYS_ENV: &str = "PGCONNECT_PREVIOUS_SECRET_KEYS";

/// Bytes of nonce per sealed value (AES-GCM's standard 96 bits, random per value).
const NONCE_LEN: usize = 12;

/// The keys derived from one master key.
#[derive(Clone)]
struct Derived {
    seal: [u8; 32],
    sign: [u8; 32],
    id: String,
}

/// The current key and any previous ones (see the module's notes on rotation). `Debug` shows only
/// the key ids.
#[derive(Clone)]
pub struct Keys {
    current: Derived,
    previous: Vec<Derived>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("id", &self.current.id)
            .field("previous", &self.previous_ids())
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
    /// A key in `PGCONNECT_PREVIOUS_SECRET_KEYS` is not 32 bytes of base64 or hex.
    BadPreviousEnv(String),
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
            KeyError::BadPreviousEnv(why) => write!(
                f,
                "{PREVIOUS_KEYS_ENV} holds a key that is not usable ({why}); list the old keys as \
                 {KEY_ENV} held them (32 bytes in base64 or hex), separated by commas"
            ),
            KeyError::BadFile(path, why) => write!(f, "key file {}: {why}", path.display()),
            KeyError::WrongKey { stored, ours } => write!(
                f,
                "the stored credentials were encrypted with key {stored}, but this server's key \
                 is {ours}: start it with the original key ({KEY_ENV} or the data directory's \
                 {KEY_FILE}), or, during a key rotation, give the old key in {PREVIOUS_KEYS_ENV}"
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
        Keys {
            current: Derived::from_master(master),
            previous: Vec::new(),
        }
    }

    /// The same current key, knowing `previous` too (their previous keys included).
    #[must_use]
    pub fn with_previous(mut self, previous: impl IntoIterator<Item = Keys>) -> Keys {
        for k in previous {
            for d in std::iter::once(k.current).chain(k.previous) {
                if !self.knows(&d.id) {
                    self.previous.push(d);
                }
            }
        }
        self
    }

    /// A key list as the key file holds it: one key per line (or comma- or space-separated), the
    /// first current, the rest previous; empty lines and `#` comments are skipped.
    pub fn from_list(text: &str) -> Result<Keys, KeyError> {
        let mut keys = key_items(text).map(Keys::from_text);
        let current = keys
            .next()
            .ok_or_else(|| KeyError::BadEnv("no key in it".into()))??;
        Ok(current.with_previous(keys.collect::<Result<Vec<_>, _>>()?))
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

    /// The key from `env_value` when set (with `previous_env`'s keys as previous ones), else
    /// from `dir`'s key file, created (0600) when absent.
    pub fn load(
        env_value: Option<&str>,
        previous_env: Option<&str>,
        dir: &Path,
    ) -> Result<Keys, KeyError> {
        if let Some(text) = env_value.filter(|t| !t.trim().is_empty()) {
            let previous = key_items(previous_env.unwrap_or_default())
                .map(|t| {
                    Keys::from_text(t).map_err(|e| match e {
                        KeyError::BadEnv(why) => KeyError::BadPreviousEnv(why),
                        other => other,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Keys::from_text(text)?.with_previous(previous));
        }
        let path = dir.join(KEY_FILE);
        let bad = |why: String| KeyError::BadFile(path.clone(), why);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                check_private(&path).map_err(bad)?;
                Keys::from_list(&text).map_err(|e| match e {
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

    /// A short public fingerprint of the current sealing key.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.current.id
    }

    /// The previous keys' ids.
    #[must_use]
    pub fn previous_ids(&self) -> Vec<&str> {
        self.previous.iter().map(|d| d.id.as_str()).collect()
    }

    /// Whether `id` is the current key's or a previous key's.
    #[must_use]
    pub fn knows(&self, id: &str) -> bool {
        self.current.id == id || self.previous.iter().any(|d| d.id == id)
    }

    /// The HS256 key that signs session tokens: the current key's.
    #[must_use]
    pub fn signing_key(&self) -> &[u8; 32] {
        &self.current.sign
    }

    /// The HS256 keys a token may be signed with: the current key's, then the previous keys'.
    pub fn verifying_keys(&self) -> impl Iterator<Item = &[u8; 32]> {
        std::iter::once(&self.current.sign).chain(self.previous.iter().map(|d| &d.sign))
    }

    /// Seals `plain`, bound to `context` (e.g. `connection:7:password`): a value copied to another
    /// record does not open.
    pub fn seal(&self, plain: &[u8], context: &str) -> Result<Sealed, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| KeyError::Random(e.to_string()))?;
        let cipher = Aes256Gcm::new(&self.current.seal.into());
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
            key_id: self.current.id.clone(),
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Opens a value sealed by [`Keys::seal`] with the same `context`.
    /// The key is the current one or a previous one, whichever sealed it.
    pub fn open(&self, sealed: &Sealed, context: &str) -> Result<Vec<u8>, KeyError> {
        let Some(key) = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|d| d.id == sealed.key_id)
        else {
            return Err(KeyError::WrongKey {
                stored: sealed.key_id.clone(),
                ours: self.current.id.clone(),
            });
        };
        let nonce: [u8; NONCE_LEN] = sealed
            .nonce
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::Tampered)?;
        Aes256Gcm::new(&key.seal.into())
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

impl Derived {
    fn from_master(master: &[u8; 32]) -> Derived {
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
        Derived { seal, sign, id }
    }
}

/// The keys in a key list: lines, commas or spaces between them; `#` starts a comment line.
fn key_items(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.split([',', ' ', '\t']))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Step one of rotating a key file: a new random key goes first in `dir`'s key file and the keys
/// it held stay after it, as previous keys (written to a temporary file, synced, then renamed
/// over the old one, so a crash leaves the old file or the new one). Returns the keys it now
/// holds. Values sealed so far still open; new ones are sealed with the new key.
pub fn prepend_new_key(dir: &Path) -> Result<Keys, KeyError> {
    let path = dir.join(KEY_FILE);
    let bad = |why: String| KeyError::BadFile(path.clone(), why);
    let old = std::fs::read_to_string(&path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    check_private(&path).map_err(bad)?;
    Keys::from_list(&old).map_err(|e| match e {
        KeyError::BadEnv(why) => bad(why),
        other => other,
    })?;
    let mut master = [0u8; 32];
    getrandom::fill(&mut master).map_err(|e| KeyError::Random(e.to_string()))?;
    let kept: Vec<&str> = key_items(&old).collect();
    let text = format!(
        "# current key first; the ones after it are previous keys, kept until `pgconnect key \
         rotate` has re-sealed every stored secret\n{}\n{}",
        STANDARD.encode(master),
        kept.join("\n")
    );
    replace_private(&path, text.as_bytes()).map_err(|e| bad(format!("cannot write it: {e}")))?;
    Keys::from_list(&text)
}

/// Last step of rotating a key file: only its current (first) key stays.
pub fn drop_previous_keys(dir: &Path) -> Result<(), KeyError> {
    let path = dir.join(KEY_FILE);
    let bad = |why: String| KeyError::BadFile(path.clone(), why);
    let text = std::fs::read_to_string(&path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let current = key_items(&text)
        .next()
        .ok_or_else(|| bad("no key in it".into()))?;
    replace_private(&path, current.as_bytes()).map_err(|e| bad(format!("cannot write it: {e}")))
}

/// Writes `contents` to `path` whole or not at all: a private temporary file beside it, synced,
/// renamed over it, and the directory synced.
fn replace_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("key.new");
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    write_private(&tmp, contents)?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Random bytes as URL-safe base64 (login codes).
pub fn random_token(bytes: usize) -> Result<String, KeyError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// Random bytes as lowercase hex (token ids: safe to type and to pass as a command-line argument,
/// which a leading `-` of base64 is not).
pub fn random_hex(bytes: usize) -> Result<String, KeyError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
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
        assert_ne!(k.signing_key(), &k.current.seal);
        assert!(!format!("{k:?}").contains("seal"));
    }

    #[test]
    fn previous_keys_open_and_verify_but_never_seal() {
        let old = Keys::from_master(&[1; 32]);
        let sealed = old.seal(b"pw", "c").unwrap();
        let new = Keys::from_master(&[2; 32]).with_previous([old.clone()]);
        assert_eq!(new.id(), Keys::from_master(&[2; 32]).id());
        assert_eq!(new.previous_ids(), vec![old.id()]);
        assert!(new.knows(old.id()) && new.knows(new.id()));
        assert!(!new.knows(Keys::from_master(&[3; 32]).id()));
        assert_eq!(new.open(&sealed, "c").unwrap(), b"pw");
        assert_eq!(new.seal(b"pw", "c").unwrap().key_id, new.id());
        assert_eq!(new.signing_key(), Keys::from_master(&[2; 32]).signing_key());
        assert_eq!(
            new.verifying_keys().collect::<Vec<_>>(),
            vec![new.signing_key(), old.signing_key()]
        );
        // a key listed twice, or the current one again, is known once
        let twice = new.clone().with_previous([old.clone(), new.clone()]);
        assert_eq!(twice.previous_ids().len(), 1);
        assert!(!format!("{new:?}").contains("seal"));
        // from a list: first current, then previous; comments and separators skipped
        let list = format!(
            "# comment\n{}\n\n{}, {}\n",
            STANDARD.encode([2u8; 32]),
            "01".repeat(32),
            STANDARD.encode([3u8; 32])
        );
        let k = Keys::from_list(&list).unwrap();
        assert_eq!(k.id(), new.id());
        assert_eq!(k.previous_ids().len(), 2);
        assert!(Keys::from_list("# nothing\n").is_err());
        // the environment: PGCONNECT_SECRET_KEY, with PGCONNECT_PREVIOUS_SECRET_KEYS
        let dir = tempfile::tempdir().unwrap();
        let k = Keys::load(
            Some(&STANDARD.encode([2u8; 32])),
            Some(&format!(
                "{} {}",
                "01".repeat(32),
                STANDARD.encode([3u8; 32])
            )),
            dir.path(),
        )
        .unwrap();
        assert_eq!((k.id(), k.previous_ids().len()), (new.id(), 2));
        let e = Keys::load(Some(&"01".repeat(32)), Some("short"), dir.path()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("PGCONNECT_PREVIOUS_SECRET_KEYS holds a key that is not usable"),
            "{e}"
        );
        assert!(
            !dir.path().join(KEY_FILE).exists(),
            "an env key writes no file"
        );
    }

    #[test]
    fn rotating_a_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let first = Keys::load(None, None, dir.path()).unwrap();
        let sealed = first.seal(b"pw", "c").unwrap();
        let rotated = prepend_new_key(dir.path()).unwrap();
        assert_ne!(rotated.id(), first.id());
        assert_eq!(rotated.previous_ids(), vec![first.id()]);
        // what the file now holds is what a restarted server loads
        let loaded = Keys::load(None, None, dir.path()).unwrap();
        assert_eq!(loaded.id(), rotated.id());
        assert_eq!(loaded.open(&sealed, "c").unwrap(), b"pw");
        // twice before finishing (a crash, then a rerun): every key is still there
        let again = prepend_new_key(dir.path()).unwrap();
        assert_eq!(again.previous_ids(), vec![rotated.id(), first.id()]);
        drop_previous_keys(dir.path()).unwrap();
        let last = Keys::load(None, None, dir.path()).unwrap();
        assert_eq!((last.id(), last.previous_ids().len()), (again.id(), 0));
        assert!(matches!(
            last.open(&sealed, "c"),
            Err(KeyError::WrongKey { .. })
        ));
        assert!(!dir.path().join("secret.key.new").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // no key file: nothing to rotate, and it says which file
        let empty = tempfile::tempdir().unwrap();
        let e = prepend_new_key(empty.path()).unwrap_err().to_string();
        assert!(e.contains("secret.key") && e.contains("cannot read"), "{e}");
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
        let first = Keys::load(None, None, dir.path()).unwrap();
        let again = Keys::load(None, None, dir.path()).unwrap();
        assert_eq!(first.id(), again.id());
        assert_eq!(
            Keys::load(Some(&b64), None, dir.path()).unwrap().id(),
            Keys::from_master(&[1; 32]).id()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join(KEY_FILE);
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = Keys::load(None, None, dir.path()).unwrap_err().to_string();
            assert!(e.contains("chmod 600"), "{e}");
        }
    }
}
