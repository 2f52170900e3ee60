//! The vault flow over HTTP: login, read, and — for `pgconnect secrets check` — resolving the
//! payload's placeholders. Secrets are fetched on every call and never cached, so a rotated
//! password is picked up by the next check.

use pgconnect_core::SecretsManagement;
use pgconnect_core::resolve::{SecretMap, referenced_keys, resolve};
use pgconnect_core::vault::{
    Stage, VaultError, login_request, read_request, secret_from_read, token_from_login,
};
use pgconnect_core::{Diagnostic, Shape};
use serde::Serialize;

use crate::http::{Client, HttpOptions, host_of};

/// How far the flow got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// The login answered 2xx.
    pub login_ok: bool,
    /// `token_jsonpath` selected the token.
    pub token_path_matched: bool,
    /// `data_jsonpath` selected the secret.
    pub data_path_matched: bool,
}

/// Logs in and reads the secret, within `options.total_timeout` for the two exchanges together.
pub async fn fetch_secret(
    sm: &SecretsManagement,
    options: &HttpOptions,
) -> (Progress, Result<SecretMap, VaultError>) {
    let mut progress = Progress::default();
    let flow = run(sm, options, &mut progress);
    let result = match tokio::time::timeout(options.total_timeout, flow).await {
        Ok(r) => r,
        Err(_) => {
            let stage = if progress.login_ok {
                Stage::Read
            } else {
                Stage::Login
            };
            let url = if progress.login_ok {
                &sm.secret_url
            } else {
                &sm.login_url
            };
            Err(VaultError::transport(
                stage,
                "vault/timeout",
                "The vault did not answer in time",
                format!(
                    "No complete answer from {} within {} s.",
                    host_of(url),
                    options.total_timeout.as_secs_f64()
                ),
                "Check that the URL's host and port are the vault's; a server that accepts \
                 connections but never answers looks like this."
                    .to_owned(),
            ))
        }
    };
    (progress, result)
}

async fn run(
    sm: &SecretsManagement,
    options: &HttpOptions,
    progress: &mut Progress,
) -> Result<SecretMap, VaultError> {
    let client = Client::new(options, sm.ca_cert.as_deref(), Stage::Login)?;
    let login = client.send(Stage::Login, &login_request(sm)).await?;
    progress.login_ok = (200..300).contains(&login.status);
    let token = token_from_login(sm, &login)?;
    progress.token_path_matched = true;
    tracing::info!(vault = %host_of(&sm.login_url), "vault login succeeded");
    let read = client.send(Stage::Read, &read_request(sm, &token)).await?;
    let secret = secret_from_read(sm, &read)?;
    progress.data_path_matched = true;
    tracing::info!(vault = %host_of(&sm.secret_url), keys = secret.len(), "vault secret read");
    Ok(secret)
}

/// What `pgconnect secrets check` reports: how far the flow got, which referenced keys resolved
/// and which are missing — never a value.
#[derive(Debug, Clone, Serialize)]
pub struct SecretsCheck {
    /// The login answered 2xx.
    pub login_ok: bool,
    /// `token_jsonpath` selected the token.
    pub token_path_matched: bool,
    /// `data_jsonpath` selected the secret.
    pub data_path_matched: bool,
    /// Referenced keys found in the secret.
    pub keys_resolved: Vec<String>,
    /// Referenced keys absent from the secret (all of them when the flow failed).
    pub keys_missing: Vec<String>,
    /// Problems of the resolved payload (values replaced by their `${key}`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
    /// The failed step, explained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<VaultError>,
}

impl SecretsCheck {
    /// True when every referenced key resolved and the resolved payload is valid.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.error.is_none()
            && self.keys_missing.is_empty()
            && !self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Runs the flow for `payload`'s secrets management and resolves its placeholders.
pub async fn check(
    payload: &serde_json::Value,
    sm: &SecretsManagement,
    shape: Option<Shape>,
    options: &HttpOptions,
) -> SecretsCheck {
    let (progress, result) = fetch_secret(sm, options).await;
    match result {
        Err(error) => SecretsCheck {
            login_ok: progress.login_ok,
            token_path_matched: progress.token_path_matched,
            data_path_matched: progress.data_path_matched,
            keys_resolved: Vec::new(),
            keys_missing: referenced_keys(payload),
            diagnostics: Vec::new(),
            error: Some(error),
        },
        Ok(secret) => {
            let resolution = resolve(payload, &secret, shape);
            SecretsCheck {
                login_ok: progress.login_ok,
                token_path_matched: progress.token_path_matched,
                data_path_matched: progress.data_path_matched,
                keys_resolved: resolution.keys_resolved,
                keys_missing: resolution.keys_missing,
                diagnostics: resolution.report.diagnostics,
                error: None,
            }
        }
    }
}
