//! Members of the workspace: list, invite, read, change.

use crate::auth::Caller;
use crate::auth::password::{MIN_PASSWORD_CHARS, hash_password};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Id, Json, Params, double_option};
use crate::json::{AvailabilitySchema, List, RoleSchema, UserJson};
use crate::routes::PageParams;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use baton_core::directory::UserPatch;
use baton_core::{Action, Availability, Email, Role, UserId};
use baton_store::NewUser;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
}

/// A new member.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Sign-in address, unique across Baton.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role; only an owner may create an owner.
    #[schema(value_type = RoleSchema)]
    pub role: Role,
    /// Mention handle; defaults to the email's local part.
    pub handle: Option<String>,
    /// Password for the web inbox (at least 8 characters).
    pub password: Option<String>,
    /// Presence; default `online`.
    #[schema(value_type = Option<AvailabilitySchema>)]
    pub availability: Option<Availability>,
    /// Most open conversations routing gives them.
    pub max_open: Option<u32>,
}

/// A change to a member; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// New display name.
    pub name: Option<String>,
    /// New role.
    #[schema(value_type = Option<RoleSchema>)]
    pub role: Option<Role>,
    /// `false` deactivates: the user can no longer sign in or be assigned.
    pub active: Option<bool>,
    /// Presence (anyone may set their own).
    #[schema(value_type = Option<AvailabilitySchema>)]
    pub availability: Option<Availability>,
    /// Capacity; `null` removes the limit.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u32>, nullable)]
    pub max_open: Option<Option<u32>>,
}

/// Members, oldest first.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageParams),
    responses((status = 200, description = "A page of users", body = List<UserJson>)))]
pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    Params(page): Params<PageParams>,
) -> ApiResult<Json<List<UserJson>>> {
    let page = state.store.list_users(caller.ws(), &page.request()).await?;
    Ok(Json(List::from_page(page, UserJson::from)))
}

/// Add a member (admins; only owners add owners).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, description = "The new user", body = UserJson),
        (status = 403, description = "Role may not manage users", body = crate::error::ErrorBody),
        (status = 409, description = "Email or handle taken", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid values", body = crate::error::ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserJson>)> {
    // Checked before hashing, so a refused caller cannot make us burn CPU.
    caller.require(Action::Manage)?;
    let email = Email::parse(&body.email).map_err(|e| ApiError::invalid("invalid_email", e.to_string()))?;
    let password_hash = match body.password {
        Some(p) if p.chars().count() < MIN_PASSWORD_CHARS => {
            return Err(ApiError::invalid(
                "password_too_short",
                format!("the password needs at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        Some(p) => Some(
            tokio::task::spawn_blocking(move || hash_password(&p))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?,
        ),
        None => None,
    };
    let new = NewUser {
        email,
        name: body.name,
        handle: body.handle,
        role: body.role,
        password_hash,
        availability: body.availability.unwrap_or(Availability::Online),
        max_open: body.max_open,
    };
    let user = state.store.create_user(caller.ws(), &caller.actor(), new).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// One member.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, description = "The user", body = UserJson),
        (status = 404, description = "No such user in this workspace", body = crate::error::ErrorBody)))]
pub async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<UserId>,
) -> ApiResult<Json<UserJson>> {
    Ok(Json(state.store.get_user(caller.ws(), id).await?.into()))
}

/// Change a member: role, `active`, availability, capacity, name.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UpdateUser,
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, description = "The user afterwards", body = UserJson),
        (status = 403, description = "Role may not change this user", body = crate::error::ErrorBody),
        (status = 404, description = "No such user in this workspace", body = crate::error::ErrorBody),
        (status = 409, description = "E.g. the last owner", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid values", body = crate::error::ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<UserId>,
    Json(body): Json<UpdateUser>,
) -> ApiResult<Json<UserJson>> {
    let patch = UserPatch {
        name: body.name,
        role: body.role,
        active: body.active,
        availability: body.availability,
        max_open: body.max_open,
    };
    let user = state
        .store
        .update_user(caller.ws(), &caller.actor(), id, patch)
        .await?;
    // Their cached credentials carry the old role and activity: drop them now.
    state.auth.forget_user(user.id);
    Ok(Json(user.into()))
}
