//! `GET /api/v1/me`.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::json::MeJson;
use crate::state::AppState;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}

/// The caller: their user, role and workspace.
#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    responses((status = 200, description = "The caller", body = MeJson)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<MeJson>> {
    // Read fresh rather than from the auth cache: /me is what clients check
    // right after changing their own availability.
    let user = state.store.get_user(caller.ws(), caller.user.id).await?;
    let ws = state.store.get_workspace(caller.ws()).await?;
    Ok(Json(MeJson {
        role: user.role,
        user: user.into(),
        workspace: ws.into(),
    }))
}
