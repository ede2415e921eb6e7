//! The knowledge base the built-in AI agent answers from: admins write
//! articles, every member reads them.

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Id, Json};
use crate::json::List;
use crate::routes::PageParams;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use baton_core::{ArticleId, WorkspaceId};
use baton_store::{Article, ArticlePatch};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_articles, create_article))
        .routes(routes!(get_article, update_article, delete_article))
}

/// A help article.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Article)]
pub struct ArticleJson {
    /// The article.
    #[schema(value_type = uuid::Uuid)]
    pub id: ArticleId,
    /// Its workspace.
    #[schema(value_type = uuid::Uuid)]
    pub workspace_id: WorkspaceId,
    /// Title.
    pub title: String,
    /// Body text.
    pub body: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Article> for ArticleJson {
    fn from(a: Article) -> Self {
        Self {
            id: a.id,
            workspace_id: a.workspace_id,
            title: a.title,
            body: a.body,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A new article.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArticle {
    /// Title, 1 to 200 characters.
    pub title: String,
    /// Body text, not empty.
    pub body: String,
}

/// A change to an article; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArticle {
    /// New title.
    pub title: Option<String>,
    /// New body.
    pub body: Option<String>,
}

/// The knowledge base, oldest article first.
#[utoipa::path(get, path = "/api/v1/articles", tag = "articles", params(PageParams),
    responses((status = 200, description = "A page of articles", body = List<ArticleJson>)))]
pub async fn list_articles(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<List<ArticleJson>>> {
    let page = state.store.list_articles(caller.ws(), &page.request()).await?;
    Ok(Json(List::from_page(page, Into::into)))
}

/// Write an article (admins).
#[utoipa::path(post, path = "/api/v1/articles", tag = "articles", request_body = CreateArticle,
    responses((status = 201, description = "The new article", body = ArticleJson),
        (status = 403, description = "Role may not manage the knowledge base", body = ErrorBody),
        (status = 422, description = "Empty or too long title or body", body = ErrorBody)))]
pub async fn create_article(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateArticle>,
) -> ApiResult<(StatusCode, Json<ArticleJson>)> {
    let a = state
        .store
        .create_article(caller.ws(), &caller.actor(), &body.title, &body.body)
        .await?;
    state.agents.invalidate(caller.ws());
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// One article.
#[utoipa::path(get, path = "/api/v1/articles/{id}", tag = "articles",
    params(("id" = uuid::Uuid, Path, description = "Article id")),
    responses((status = 200, description = "The article", body = ArticleJson),
        (status = 404, description = "No such article", body = ErrorBody)))]
pub async fn get_article(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ArticleId>,
) -> ApiResult<Json<ArticleJson>> {
    Ok(Json(state.store.get_article(caller.ws(), id).await?.into()))
}

/// Change an article (admins).
#[utoipa::path(patch, path = "/api/v1/articles/{id}", tag = "articles", request_body = UpdateArticle,
    params(("id" = uuid::Uuid, Path, description = "Article id")),
    responses((status = 200, description = "The article afterwards", body = ArticleJson),
        (status = 403, description = "Role may not manage the knowledge base", body = ErrorBody),
        (status = 404, description = "No such article", body = ErrorBody),
        (status = 422, description = "Empty or too long title or body", body = ErrorBody)))]
pub async fn update_article(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ArticleId>,
    Json(body): Json<UpdateArticle>,
) -> ApiResult<Json<ArticleJson>> {
    let patch = ArticlePatch {
        title: body.title,
        body: body.body,
    };
    let a = state
        .store
        .update_article(caller.ws(), &caller.actor(), id, patch)
        .await?;
    state.agents.invalidate(caller.ws());
    Ok(Json(a.into()))
}

/// Delete an article (admins).
#[utoipa::path(delete, path = "/api/v1/articles/{id}", tag = "articles",
    params(("id" = uuid::Uuid, Path, description = "Article id")),
    responses((status = 204, description = "Deleted"),
        (status = 403, description = "Role may not manage the knowledge base", body = ErrorBody),
        (status = 404, description = "No such article", body = ErrorBody)))]
pub async fn delete_article(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ArticleId>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_article(caller.ws(), &caller.actor(), id)
        .await?;
    state.agents.invalidate(caller.ws());
    Ok(StatusCode::NO_CONTENT)
}
