//! The OpenAPI document: generated from the handlers (utoipa), plus the
//! security schemes and the error responses every operation shares.

use crate::error::{ErrorBody, ErrorDetail};
use utoipa::Modify;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// The document's fixed parts; paths are added by the router.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Baton API",
        description = "Baton's JSON API: conversations and who owns them. Authenticate with \
            `Authorization: Bearer <token>` or the web session cookie (cookie-authenticated \
            changes also send `X-CSRF-Token`). Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    security(("bearer" = []), ("session_cookie" = [])),
    modifiers(&Security),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "auth", description = "Password sign-in for the web inbox"),
        (name = "me", description = "The caller"),
        (name = "users", description = "Members of the workspace"),
        (name = "teams", description = "Teams and membership"),
        (name = "agents", description = "AI agents"),
        (name = "channels", description = "Channels and inbound messages"),
        (name = "contacts", description = "Customers"),
        (name = "conversations", description = "Conversations, views and state"),
        (name = "ownership", description = "Who owns a conversation: user, AI agent, team"),
        (name = "messages", description = "Replies and internal notes"),
        (name = "events", description = "Live events (server-sent events)"),
        (name = "audit", description = "The workspace's audit log"),
        (name = "notifications", description = "In-app notifications, preferences and deliveries"),
        (name = "webhooks", description = "Outbound webhooks, signed with HMAC-SHA256"),
    )
)]
pub struct ApiDoc;

impl ApiDoc {
    /// The fixed parts of the document.
    pub fn base() -> OpenApi {
        <ApiDoc as utoipa::OpenApi>::openapi()
    }

    /// Complete a document whose paths are in: add the shared error responses.
    pub fn finish(mut doc: OpenApi) -> OpenApi {
        SharedErrors.modify(&mut doc);
        doc
    }
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token: `baton_…`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::session::SESSION_COOKIE,
                "The web session; changes also need the `X-CSRF-Token` header",
            ))),
        );
    }
}

/// Adds the errors any operation can answer, so each handler documents only
/// its own: 400 and 422 for bodies, 401 where authentication is required, 500.
struct SharedErrors;

fn error(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

impl Modify for SharedErrors {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let r = &mut op.responses.responses;
                if op.request_body.is_some() {
                    r.entry("400".into())
                        .or_insert_with(|| error("Malformed JSON (`malformed_json`)"));
                    r.entry("415".into())
                        .or_insert_with(|| error("The body is not `application/json`"));
                    r.entry("422".into()).or_insert_with(|| {
                        error("Wrong field types, missing or unknown fields (`invalid_body`)")
                    });
                }
                let public = op
                    .security
                    .as_ref()
                    .is_some_and(|s| s.iter().all(|req| *req == SecurityRequirement::default()));
                if !public {
                    r.entry("401".into())
                        .or_insert_with(|| error("No, invalid or expired credentials"));
                }
                r.entry("500".into())
                    .or_insert_with(|| error("Something failed on the server (`internal_error`)"));
            }
        }
    }
}
