//! `GET /api/openapi.json`: the OpenAPI document, generated from the handlers' `#[utoipa::path]`
//! attributes and the answer types (`api::views`, the core's report types). Nothing in it is
//! written by hand apart from the routes' descriptions, so it cannot drift from the code; the
//! schemathesis run in `scripts/test.sh` checks the server against it.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;
use crate::api::views;

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "pgconnect",
        description = "Register PostgreSQL datastores (Qualytics-style `/api/datastores`, \
                       CRAFT-style `/assets/data`), test them live, keep their credentials \
                       sealed. Every refusal is `{\"error\": {code, message, help, path?}}`; \
                       invalid payloads get the core's report (422)."
    ),
    paths(
        crate::health,
        crate::ready,
        crate::check::datastore_connection,
        crate::check::connection_test,
        api::connections::create,
        api::connections::list,
        api::connections::get,
        api::connections::update,
        api::connections::delete,
        api::connections::test,
        api::datastores::create,
        api::datastores::list,
        api::datastores::get,
        api::datastores::update,
        api::datastores::delete,
        api::datastores::verify,
        api::datastores::link,
        api::datastores::unlink,
        api::catalog::trigger,
        api::catalog::get,
        api::session::whoami,
        api::session::sign_out,
        api::session::teams,
        api::links::create,
        api::links::list,
        api::links::withdraw,
        api::tokens::list,
        api::tokens::revoke,
        api::session::login,
        api::assets::create,
        api::assets::list,
        api::assets::get,
        api::assets::action,
        api::assets::delete,
        document,
    ),
    components(
        schemas(views::ErrorBody, views::Unprocessable),
        responses(
        views::BadRequest,
        views::Unauthorized,
        views::Forbidden,
        views::NotFound,
        views::Conflict,
        views::TooLarge,
        views::Invalid,
        views::Busy,
        views::StoreFailed,
        views::NotReady,
    )),
    modifiers(&Security, &Lenient),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "checks", description = "Test Connection for a payload (nothing is stored)"),
        (name = "connections", description = "Stored connections (credentials sealed, never returned)"),
        (name = "datastores", description = "Qualytics-style datastores, enrichment links and catalogs"),
        (name = "assets", description = "CRAFT-style data connections, scoped by X-Project-ID"),
        (name = "session", description = "Who is calling; the one-time login link"),
        (name = "server", description = "The server itself"),
    )
)]
pub struct ApiDoc;

/// The two ways to authenticate: a bearer token, or the wizard's session cookie.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("`pgconnect token create --role … --team …`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "pgconnect_session",
                "Set by the one-time login link (`/login?code=…`)",
            ))),
        );
    }
}

/// The core ignores a field it does not know (with a `field/unknown` warning) rather than
/// refusing the body, so the request types' `deny_unknown_fields` (which keeps their serde and
/// TypeScript forms strict) must not become `additionalProperties: false` here. And a body may
/// fit both shapes' required fields, so "either shape" is `anyOf`, not `oneOf`.
struct Lenient;

impl Modify for Lenient {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{AdditionalProperties, AnyOf, Schema};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, schema) in &mut components.schemas {
            let RefOr::T(schema) = schema else { continue };
            match schema {
                Schema::Object(o)
                    if matches!(
                        o.additional_properties.as_deref(),
                        Some(AdditionalProperties::FreeForm(false))
                    ) =>
                {
                    o.additional_properties = None;
                    let note = "Unknown fields are ignored, with a `field/unknown` warning.";
                    o.description = Some(match o.description.take() {
                        Some(d) => format!("{d}\n\n{note}"),
                        None => note.to_owned(),
                    });
                }
                Schema::OneOf(one) if name == "DatastorePayload" => {
                    let mut any = AnyOf::new();
                    any.items = std::mem::take(&mut one.items);
                    any.description = one.description.take();
                    *schema = Schema::AnyOf(any);
                }
                _ => {}
            }
        }
    }
}

/// `GET /api/openapi.json`.
#[utoipa::path(
    get,
    operation_id = "document",
    path = "/api/openapi.json",
    tag = "server",
    summary = "This document",
    security(()),
    responses((status = 200, description = "OpenAPI 3.1", body = Object)),
)]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
