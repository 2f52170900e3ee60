//! Who is calling: bearer tokens (JWT, HS256, signed with a key derived from the server's key)
//! that carry a role and teams, from `Authorization: Bearer …` or the wizard's session cookie.
//!
//! Roles are ordered: a viewer reads, a developer also creates and changes, an admin also sees
//! every team's datastores. A datastore is visible to members of one of its teams, and to
//! everyone when one of them is `Public`; a CRAFT asset to members of its project.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::registry::crypto::{Keys, random_hex};
use crate::registry::store::TokenRow;
use crate::registry::{Registry, rfc3339};

/// The session cookie's name.
pub const COOKIE: &str = "pgconnect_session";
/// The team every datastore can be shared with.
pub const PUBLIC: &str = "Public";
/// Issuer written into and required from every token.
const ISSUER: &str = "pgconnect";

/// What a caller may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads.
    Viewer,
    /// Reads, creates, changes, deletes.
    Developer,
    /// All of that, for every team.
    Admin,
}

impl Role {
    /// Parses `admin`, `developer` or `viewer`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Role> {
        match text.to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "developer" => Some(Role::Developer),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    /// Its name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Developer => "developer",
            Role::Admin => "admin",
        }
    }
}

/// A token's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who (free text: a user name, a pipeline).
    pub sub: String,
    /// The role.
    pub role: Role,
    /// Teams (CRAFT projects) the caller belongs to.
    pub teams: Vec<String>,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expires at (Unix seconds).
    pub exp: u64,
    /// Always `pgconnect`.
    pub iss: String,
    /// The token's id (random), by which it is listed and revoked. Tokens minted before
    /// revocation existed have none: they stay valid until they expire or the key is rotated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

impl Claims {
    /// New claims, issued now, with a random id.
    pub fn new(sub: &str, role: Role, teams: &[String], ttl: Duration) -> Result<Claims, String> {
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Ok(Claims {
            sub: sub.to_owned(),
            role,
            teams: teams.to_vec(),
            iat,
            exp: iat.saturating_add(ttl.as_secs()),
            iss: ISSUER.to_owned(),
            jti: Some(random_hex(12).map_err(|e| e.to_string())?),
        })
    }
}

/// Signs `claims` with the current key.
pub fn sign(keys: &Keys, claims: &Claims) -> Result<String, String> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(keys.signing_key()),
    )
    .map_err(|e| format!("cannot sign the token: {e}"))
}

/// Mints a token without recording it (tests; [`issue`] is what the product uses).
pub fn mint(
    keys: &Keys,
    sub: &str,
    role: Role,
    teams: &[String],
    ttl: Duration,
) -> Result<String, String> {
    sign(keys, &Claims::new(sub, role, teams, ttl)?)
}

/// Which door a token came in by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `pgconnect token create`.
    Cli,
    /// A wizard session opened by a login link.
    Session,
}

/// A signed token and the record to keep of it. No `Debug`: it holds the token.
pub struct Issued {
    /// The token.
    pub token: String,
    /// Its claims.
    pub claims: Claims,
    /// Its record (never the token).
    pub row: TokenRow,
    /// Records of tokens that expired before this (RFC 3339) are dropped as it is recorded.
    pub prune_before: String,
}

/// Mints a token and says what to record of it; [`issue`] records it, the login link records it
/// as it spends its code.
pub fn prepare(
    keys: &Keys,
    kind: TokenKind,
    sub: &str,
    role: Role,
    teams: &[String],
    ttl: Duration,
) -> Result<Issued, String> {
    let claims = Claims::new(sub, role, teams, ttl)?;
    let token = sign(keys, &claims)?;
    let at = |secs: u64| {
        let secs = i64::try_from(secs).unwrap_or(i64::MAX);
        time::OffsetDateTime::from_unix_timestamp(secs)
            .map(rfc3339)
            .map_err(|e| format!("cannot date the token: {e}"))
    };
    let row = TokenRow {
        jti: claims.jti.clone().unwrap_or_default(),
        subject: claims.sub.clone(),
        role: role.as_str().to_owned(),
        teams: claims.teams.clone(),
        kind: match kind {
            TokenKind::Cli => "cli",
            TokenKind::Session => "session",
        }
        .to_owned(),
        issued_at: at(claims.iat)?,
        expires_at: at(claims.exp)?,
        revoked_at: None,
    };
    let prune_before = at(claims.iat.saturating_sub(PRUNE_AFTER.as_secs()))?;
    Ok(Issued {
        token,
        claims,
        row,
        prune_before,
    })
}

/// Mints a token and records it in the registry (id, subject, role, teams, times: never the
/// token), so `pgconnect token list` shows it and `pgconnect token revoke` can end it.
pub async fn issue(
    registry: &Registry,
    kind: TokenKind,
    sub: &str,
    role: Role,
    teams: &[String],
    ttl: Duration,
) -> Result<(String, Claims), String> {
    let issued = prepare(registry.keys(), kind, sub, role, teams, ttl)?;
    registry
        .store()
        .insert_token(&issued.row, &issued.prune_before)
        .await
        .map_err(|e| format!("cannot record the token: {e}"))?;
    Ok((issued.token, issued.claims))
}

/// How long an expired token's record is kept (so `token list` still shows it for a while).
const PRUNE_AFTER: Duration = Duration::from_secs(7 * 86_400);

/// Verifies a token: signature, algorithm (HS256 only), issuer, expiry.
pub fn verify(keys: &Keys, token: &str) -> Result<Claims, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    validation.leeway = 30;
    // the current key first; a previous key only where the current one finds a bad signature
    let mut result = Err(jsonwebtoken::errors::ErrorKind::InvalidSignature.into());
    for key in keys.verifying_keys() {
        result = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(key), &validation);
        if !matches!(&result, Err(e) if *e.kind() == jsonwebtoken::errors::ErrorKind::InvalidSignature)
        {
            break;
        }
    }
    result.map(|d| d.claims).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        let why = match e.kind() {
            ErrorKind::ExpiredSignature => "the token has expired",
            ErrorKind::InvalidSignature => "the token was not signed by this server's key",
            ErrorKind::InvalidAlgorithm => "the token is not signed with HS256",
            ErrorKind::InvalidIssuer => "the token was not issued by pgconnect",
            ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
            _ => "the token is not a well-formed JWT",
        };
        ApiError::unauthorized("auth/bad-token", why)
    })
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Claims);

impl Caller {
    /// `Err(403)` unless the caller's role is at least `role`.
    pub fn require(&self, role: Role, action: &str) -> Result<(), ApiError> {
        if self.0.role >= role {
            Ok(())
        } else {
            Err(ApiError::forbidden(self.0.role, role, action))
        }
    }

    /// True for an admin, or a member of `team`.
    #[must_use]
    pub fn member_of(&self, team: &str) -> bool {
        self.0.role == Role::Admin || self.0.teams.iter().any(|t| t == team)
    }

    /// True when a datastore with these teams is visible to the caller.
    #[must_use]
    pub fn sees_teams(&self, teams: &[String]) -> bool {
        self.0.role == Role::Admin || teams.iter().any(|t| t == PUBLIC || self.member_of(t))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).or_else(|| cookie(parts)).ok_or_else(|| {
            ApiError::unauthorized(
                "auth/missing-token",
                "the request carries no token (Authorization: Bearer … or the session cookie)",
            )
        })?;
        let claims = verify(state.registry.keys(), &token)?;
        if let Some(jti) = &claims.jti {
            let revoked = state
                .registry
                .store()
                .token_revoked(jti)
                .await
                .map_err(|e| ApiError::store(&e))?;
            if revoked {
                return Err(ApiError::unauthorized(
                    "auth/token-revoked",
                    "the token was revoked (signed out, or `pgconnect token revoke`)",
                ));
            }
        }
        if let Some(who) = parts.extensions.get::<Who>() {
            who.record(&claims.sub, claims.jti.as_deref());
        }
        Ok(Caller(claims))
    }
}

/// Who made a request — the token's subject and id, once a handler's [`Caller`] accepted it (or
/// the session a login link opened) — for the request's log line (`lib.rs`'s `log_request` puts
/// an empty one in the request).
#[derive(Debug, Clone, Default)]
pub struct Who(std::sync::Arc<std::sync::OnceLock<(String, Option<String>)>>);

impl Who {
    /// Records who the request is from (the first record stands).
    pub fn record(&self, subject: &str, token_id: Option<&str>) {
        let _ = self
            .0
            .set((subject.to_owned(), token_id.map(str::to_owned)));
    }

    /// The subject and token id, if a token was accepted.
    #[must_use]
    pub fn get(&self) -> Option<&(String, Option<String>)> {
        self.0.get()
    }
}

fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_verify_only_under_their_key_and_until_they_expire() {
        let keys = Keys::from_master(&[3; 32]);
        let t = mint(
            &keys,
            "ci",
            Role::Developer,
            &["Data".into()],
            Duration::from_secs(60),
        )
        .unwrap();
        let c = verify(&keys, &t).unwrap();
        assert_eq!(
            (c.role, c.teams.as_slice(), c.sub.as_str()),
            (Role::Developer, &["Data".to_owned()][..], "ci")
        );
        let other = Keys::from_master(&[4; 32]);
        assert_eq!(
            verify(&other, &t).unwrap_err().message,
            "The token was not signed by this server's key."
        );
        // during a key rotation a previous key still verifies; once it is dropped, it does not
        let rotating = Keys::from_master(&[4; 32]).with_previous([keys.clone()]);
        assert_eq!(verify(&rotating, &t).unwrap().sub, "ci");
        let fresh = mint(&rotating, "ci", Role::Viewer, &[], Duration::from_secs(60)).unwrap();
        assert!(verify(&other, &fresh).is_ok(), "new tokens use the new key");
        assert!(verify(&keys, &fresh).is_err());
        let expired = mint(&keys, "ci", Role::Admin, &[], Duration::ZERO).unwrap();
        // leeway is 30 s: forge an older token by hand
        let claims = Claims {
            iat: 1,
            exp: 2,
            ..verify(&keys, &expired).unwrap()
        };
        let old = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(keys.signing_key()),
        )
        .unwrap();
        assert_eq!(
            verify(&keys, &old).unwrap_err().message,
            "The token has expired."
        );
        // alg "none" and HS512 are refused
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(keys.signing_key()),
        )
        .unwrap();
        assert!(verify(&keys, &hs512).is_err());
        assert!(verify(&keys, "not.a.jwt").is_err());
        assert!(Role::Admin > Role::Developer && Role::Developer > Role::Viewer);
    }

    #[test]
    fn every_token_has_its_own_id_and_tokens_without_one_still_verify() {
        let keys = Keys::from_master(&[3; 32]);
        let ids: std::collections::HashSet<String> = (0..50)
            .map(|_| {
                let t = mint(&keys, "ci", Role::Viewer, &[], Duration::from_secs(60)).unwrap();
                verify(&keys, &t).unwrap().jti.unwrap()
            })
            .collect();
        assert_eq!(ids.len(), 50);
        assert!(ids.iter().all(|id| {
            id.len() == 24
                && id
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        }));
        // minted before tokens carried ids
        let mut old = Claims::new("old", Role::Viewer, &[], Duration::from_secs(60)).unwrap();
        old.jti = None;
        let t = sign(&keys, &old).unwrap();
        assert_eq!(verify(&keys, &t).unwrap().jti, None);
    }

    #[test]
    fn visibility_follows_teams() {
        let claims = |role, teams: &[&str]| {
            Caller(Claims {
                sub: "u".into(),
                role,
                teams: teams.iter().map(|t| (*t).to_owned()).collect(),
                iat: 0,
                exp: 0,
                iss: ISSUER.into(),
                jti: None,
            })
        };
        let dev = claims(Role::Developer, &["Finance"]);
        assert!(dev.sees_teams(&["Finance".into()]));
        assert!(dev.sees_teams(&["Public".into()]));
        assert!(!dev.sees_teams(&["Sales".into()]));
        assert!(claims(Role::Admin, &[]).sees_teams(&["Sales".into()]));
        assert!(
            claims(Role::Viewer, &[])
                .require(Role::Developer, "x")
                .is_err()
        );
        assert!(dev.require(Role::Developer, "x").is_ok());
    }
}
