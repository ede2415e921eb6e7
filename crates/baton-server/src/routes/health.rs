//! Liveness and readiness probes.

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use baton_core::WorkspaceId;
use serde_json::json;

/// `GET /healthz`: the process answers.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the store answers too.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    // A read that touches the database but needs no data.
    match state.store.latest_seq(WorkspaceId(uuid::Uuid::nil())).await {
        // A refusal (e.g. "no such workspace") is an answer too.
        Ok(_) | Err(baton_store::StoreError::Domain(_)) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"error": {"code": "not_ready", "message": "the database does not answer"}})),
            )
        }
    }
}
