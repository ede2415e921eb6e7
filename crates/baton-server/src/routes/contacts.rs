//! Contacts: the customers.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Id, Json, Params, double_option};
use crate::json::{ContactJson, List};
use crate::routes::PageParams;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use baton_core::{ContactId, Email};
use baton_store::{ContactInput, ContactPatch};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact))
}

/// A contact's handles and description, on creation or with an inbound message.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactFields {
    /// Display name.
    pub name: Option<String>,
    /// Email handle.
    pub email: Option<String>,
    /// Phone handle.
    pub phone: Option<String>,
    /// Chat/API handle.
    pub external_id: Option<String>,
    /// Tags (added to existing ones on inbound).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Attributes, merged; a `null` value removes the key.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
}

fn parse_email(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw).map_err(|e| ApiError::invalid("invalid_email", e.to_string()))
}

impl ContactFields {
    /// As the store's input, with the email parsed.
    pub fn into_input(self) -> Result<ContactInput, ApiError> {
        Ok(ContactInput {
            name: self.name,
            email: self.email.as_deref().map(parse_email).transpose()?,
            phone: self.phone,
            external_id: self.external_id,
            tags: self.tags,
            attributes: self.attributes,
        })
    }
}

/// A change to a contact; absent fields stay, `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContact {
    /// New name.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub name: Option<Option<String>>,
    /// New email handle.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub email: Option<Option<String>>,
    /// New phone handle.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub phone: Option<Option<String>>,
    /// New external id.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub external_id: Option<Option<String>>,
    /// Replace the tags.
    pub tags: Option<Vec<String>>,
    /// Merge attributes; a `null` value removes the key.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
}

/// Contact search and paging.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Matches name, email, phone or external id.
    pub q: Option<String>,
    /// Page size: default 50, at most 200.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Contacts, newest first.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactQuery),
    responses((status = 200, description = "A page of contacts", body = List<ContactJson>),
        (status = 422, description = "Bad cursor or query", body = ErrorBody)))]
pub async fn list_contacts(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<ContactQuery>,
) -> ApiResult<Json<List<ContactJson>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let page = state.store.list_contacts(caller.ws(), q, &page.request()).await?;
    Ok(Json(List::from_page(page, ContactJson::from)))
}

/// Create a contact (any role that may reply).
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = ContactFields,
    responses((status = 201, description = "The new contact", body = ContactJson),
        (status = 403, description = "Viewers may not create contacts", body = ErrorBody),
        (status = 409, description = "A contact with that handle exists", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody)))]
pub async fn create_contact(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<ContactFields>,
) -> ApiResult<(StatusCode, Json<ContactJson>)> {
    let input = body.into_input()?;
    let contact = state
        .store
        .create_contact(caller.ws(), &caller.actor(), input)
        .await?;
    Ok((StatusCode::CREATED, Json(contact.into())))
}

/// One contact.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = uuid::Uuid, Path, description = "Contact id")),
    responses((status = 200, description = "The contact", body = ContactJson),
        (status = 404, description = "No such contact", body = ErrorBody)))]
pub async fn get_contact(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ContactId>,
) -> ApiResult<Json<ContactJson>> {
    Ok(Json(state.store.get_contact(caller.ws(), id).await?.into()))
}

/// Change a contact: handles, name, tags, attributes.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", request_body = UpdateContact,
    params(("id" = uuid::Uuid, Path, description = "Contact id")),
    responses((status = 200, description = "The contact afterwards", body = ContactJson),
        (status = 403, description = "Viewers may not change contacts", body = ErrorBody),
        (status = 404, description = "No such contact", body = ErrorBody),
        (status = 409, description = "Another contact has that handle", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody)))]
pub async fn update_contact(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ContactId>,
    Json(body): Json<UpdateContact>,
) -> ApiResult<Json<ContactJson>> {
    let email = match body.email {
        Some(Some(e)) => Some(Some(parse_email(&e)?)),
        Some(None) => Some(None),
        None => None,
    };
    let patch = ContactPatch {
        name: body.name,
        email,
        phone: body.phone,
        external_id: body.external_id,
        tags: body.tags,
        attributes: body.attributes,
    };
    let contact = state
        .store
        .update_contact(caller.ws(), &caller.actor(), id, patch)
        .await?;
    Ok(Json(contact.into()))
}
