//! `GET /api/v1/conversations/{id}/export`.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::export::{Format, Names, render_with};
use crate::extract::{Id, Params};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use baton_core::ConversationId;
use baton_store::export_conversation;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export))
}

/// Which format.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `json` (default), `csv` or `html`.
    pub format: Option<String>,
}

/// The whole conversation — messages, notes, events and agent sessions — as
/// a download.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/export", tag = "conversations",
    params(("id" = uuid::Uuid, Path, description = "Conversation id"), ExportQuery),
    responses((status = 200, description = "The export, as an attachment",
            content(("application/json"), ("text/csv"), ("text/html"))),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 422, description = "Unknown format", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
    Params(query): Params<ExportQuery>,
) -> ApiResult<Response> {
    let format: Format = query
        .format
        .as_deref()
        .unwrap_or("json")
        .parse()
        .map_err(|e: String| ApiError::invalid("invalid_format", e))?;
    let ws = caller.ws();
    let x = export_conversation(state.store.as_ref(), ws, Some(caller.user.id), id).await?;
    let mut names = Names::from_export(&x);
    if format != Format::Json {
        for user in names.missing_users(&x) {
            // A user from the history may since be gone; their id is shown instead.
            if let Ok(u) = state.store.get_user(ws, user).await {
                names.add_user(u.id, u.name);
            }
        }
        for agent in state.store.list_agents(ws).await? {
            names.add_agent(agent.id, agent.name);
        }
    }
    let bytes = render_with(&x, format, &names).map_err(ApiError::internal)?;
    let disposition = format!(
        "attachment; filename=\"conversation-{id}.{}\"",
        format.extension()
    );
    let disposition = HeaderValue::from_str(&disposition).map_err(ApiError::internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
