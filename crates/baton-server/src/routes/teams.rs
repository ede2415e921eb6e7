//! Teams and their members.

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Id, Json};
use crate::json::{List, TeamJson};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use baton_core::{TeamId, UserId};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(get_team))
        .routes(routes!(add_member, remove_member))
}

/// A new team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    /// Unique name in the workspace.
    pub name: String,
}

/// All teams, by name.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams",
    responses((status = 200, description = "Every team", body = List<TeamJson>)))]
pub async fn list_teams(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<List<TeamJson>>> {
    let teams = state.store.list_teams(caller.ws()).await?;
    Ok(Json(List::all(teams.into_iter().map(Into::into).collect())))
}

/// Create a team (admins).
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = CreateTeam,
    responses((status = 201, description = "The new team", body = TeamJson),
        (status = 403, description = "Role may not manage teams", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
        (status = 422, description = "Invalid name", body = ErrorBody)))]
pub async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateTeam>,
) -> ApiResult<(StatusCode, Json<TeamJson>)> {
    let team = state
        .store
        .create_team(caller.ws(), &caller.actor(), &body.name)
        .await?;
    Ok((StatusCode::CREATED, Json(team.into())))
}

/// One team with its members.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams",
    params(("id" = uuid::Uuid, Path, description = "Team id")),
    responses((status = 200, description = "The team", body = TeamJson),
        (status = 404, description = "No such team", body = ErrorBody)))]
pub async fn get_team(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<TeamId>,
) -> ApiResult<Json<TeamJson>> {
    Ok(Json(state.store.get_team(caller.ws(), id).await?.into()))
}

/// Add a member (idempotent; admins).
#[utoipa::path(put, path = "/api/v1/teams/{id}/members/{user_id}", tag = "teams",
    params(("id" = uuid::Uuid, Path, description = "Team id"),
        ("user_id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, description = "The team afterwards", body = TeamJson),
        (status = 403, description = "Role may not manage teams", body = ErrorBody),
        (status = 404, description = "No such team or user", body = ErrorBody)))]
pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Id((team, user)): Id<(TeamId, UserId)>,
) -> ApiResult<Json<TeamJson>> {
    let team = state
        .store
        .add_team_member(caller.ws(), &caller.actor(), team, user)
        .await?;
    Ok(Json(team.into()))
}

/// Remove a member (idempotent; admins).
#[utoipa::path(delete, path = "/api/v1/teams/{id}/members/{user_id}", tag = "teams",
    params(("id" = uuid::Uuid, Path, description = "Team id"),
        ("user_id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, description = "The team afterwards", body = TeamJson),
        (status = 403, description = "Role may not manage teams", body = ErrorBody),
        (status = 404, description = "No such team or user", body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Id((team, user)): Id<(TeamId, UserId)>,
) -> ApiResult<Json<TeamJson>> {
    let team = state
        .store
        .remove_team_member(caller.ws(), &caller.actor(), team, user)
        .await?;
    Ok(Json(team.into()))
}
