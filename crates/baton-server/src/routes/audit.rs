//! `GET /api/v1/audit`: the workspace's event log, newest first (admins).

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Params};
use crate::json::{EventJson, List};
use crate::routes::PageParams;
use crate::state::AppState;
use axum::extract::State;
use baton_core::{Action, EventKind};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit))
}

/// Audit filter and paging.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this event kind, e.g. `conversation.assignee_changed`.
    pub kind: Option<String>,
    /// Page size: default 50, at most 200.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Every event of the workspace, newest first: who, when, from what, to what, why.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "A page of events", body = List<EventJson>),
        (status = 403, description = "Only owners and admins read the audit log", body = ErrorBody),
        (status = 422, description = "Unknown kind or bad cursor", body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<AuditQuery>,
) -> ApiResult<Json<List<EventJson>>> {
    caller.require(Action::Manage)?;
    let kind = match query.kind.as_deref() {
        Some(k) => Some(
            EventKind::parse(k)
                .ok_or_else(|| ApiError::invalid("invalid_kind", format!("unknown event kind {k:?}")))?,
        ),
        None => None,
    };
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let page = state.store.audit(caller.ws(), kind, &page.request()).await?;
    Ok(Json(List::from_page(page, EventJson::from)))
}
