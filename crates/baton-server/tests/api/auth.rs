//! Tokens, deactivation, password sign-in, cookies and CSRF.

use crate::common::*;
use baton_core::directory::UserPatch;
use baton_server::ServerConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn missing_token_is_401() {
    let app = TestApp::spawn().await;
    let got = app.call(Method::GET, None, "/api/v1/me", None).await;
    assert_error(&got, 401, "unauthorized");
}

#[tokio::test]
async fn unknown_or_malformed_token_is_401() {
    let app = TestApp::spawn().await;
    assert_error(
        &app.get("baton_not-a-real-token", "/api/v1/me").await,
        401,
        "unauthorized",
    );
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn deactivated_user_token_is_401() {
    let app = TestApp::spawn().await;
    let bob = app.ws.bob.clone();
    // Warm the cache with bob's token first: deactivation must still bite at once.
    assert_eq!(app.get(&bob.token, "/api/v1/me").await.0, StatusCode::OK);
    let (status, body) = app
        .patch(
            &app.ws.admin.token,
            &format!("/api/v1/users/{}", bob.id()),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    assert_error(&app.get(&bob.token, "/api/v1/me").await, 401, "unauthorized");
    assert_error(
        &app.post(
            &bob.token,
            &format!("/api/v1/conversations/{}/read", uuid::Uuid::nil()),
            json!({}),
        )
        .await,
        401,
        "unauthorized",
    );
}

#[tokio::test]
async fn deactivation_made_elsewhere_is_honoured_within_the_cache_ttl() {
    let config = ServerConfig {
        auth_cache_ttl: Duration::from_millis(200),
        ..Default::default()
    };
    let app = TestApp::spawn_with(config).await;
    let bob = app.ws.bob.clone();
    assert_eq!(app.get(&bob.token, "/api/v1/me").await.0, StatusCode::OK);
    // As another node or the CLI would: straight through the store.
    let patch = UserPatch {
        active: Some(false),
        ..Default::default()
    };
    app.store
        .update_user(app.ws.id, &system(), bob.user.id, patch)
        .await
        .expect("deactivate");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_error(&app.get(&bob.token, "/api/v1/me").await, 401, "unauthorized");
}

async fn with_password(app: &TestApp, email: &str, role: &str) -> String {
    let (status, body) = app
        .post(
            &app.ws.admin.token,
            "/api/v1/users",
            json!({"email": email, "name": "Pat Password", "role": role, "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().expect("id").to_string()
}

/// Sign in; returns (session cookie value, csrf token).
async fn sign_in(app: &TestApp, email: &str) -> (String, String) {
    let res = app
        .client
        .post(app.url("/api/v1/auth/sign_in"))
        .json(&json!({"email": email, "password": "correct horse battery"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_string())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("baton_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    let csrf_cookie = cookies
        .iter()
        .find(|c| c.starts_with("baton_csrf="))
        .expect("csrf cookie");
    let value = |c: &str| {
        c.split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .map(|(_, v)| v.to_string())
    };
    let body: serde_json::Value = res.json().await.expect("json");
    let csrf = value(csrf_cookie).expect("csrf value");
    assert_eq!(body["csrf_token"], csrf.as_str());
    assert_eq!(body["user"]["email"], email);
    (value(session).expect("session value"), csrf)
}

#[tokio::test]
async fn password_sign_in_sets_session_and_csrf_cookies() {
    let app = TestApp::spawn().await;
    with_password(&app, "pat@acme.example", "agent").await;
    let (session, _) = sign_in(&app, "pat@acme.example").await;
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("baton_session={session}"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let me: serde_json::Value = res.json().await.expect("json");
    assert_eq!(me["user"]["email"], "pat@acme.example");
    assert_eq!(me["role"], "agent");
}

#[tokio::test]
async fn wrong_password_or_unknown_email_is_401() {
    let app = TestApp::spawn().await;
    with_password(&app, "pat@acme.example", "agent").await;
    for (email, password) in [
        ("pat@acme.example", "wrong password"),
        ("nobody@acme.example", "whatever1"),
    ] {
        let got = app
            .call(
                Method::POST,
                None,
                "/api/v1/auth/sign_in",
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_error(&got, 401, "invalid_credentials");
    }
}

#[tokio::test]
async fn cookie_request_without_csrf_is_403() {
    let app = TestApp::spawn().await;
    with_password(&app, "pat@acme.example", "agent").await;
    let (session, csrf) = sign_in(&app, "pat@acme.example").await;
    let conv = app.conversation().await;
    let url = app.url(&format!("/api/v1/conversations/{conv}/messages"));
    let cookie = format!("baton_session={session}; baton_csrf={csrf}");
    let body = json!({"body": "Hi there", "kind": "outgoing"});

    let res = app
        .client
        .post(&url)
        .header("cookie", &cookie)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let err: serde_json::Value = res.json().await.expect("json");
    assert_eq!(err["error"]["code"], "csrf");

    let res = app
        .client
        .post(&url)
        .header("cookie", &cookie)
        .header("x-csrf-token", "forged")
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Nothing was posted by the refused requests.
    let (_, msgs) = app
        .get(
            &app.ws.admin.token,
            &format!("/api/v1/conversations/{conv}/messages"),
        )
        .await;
    assert_eq!(msgs["items"].as_array().map(Vec::len), Some(1));

    let res = app
        .client
        .post(&url)
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::CREATED);

    // Reads need no CSRF token.
    let res = app
        .client
        .get(&url)
        .header("cookie", &cookie)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = TestApp::spawn().await;
    with_password(&app, "pat@acme.example", "viewer").await;
    let (session, csrf) = sign_in(&app, "pat@acme.example").await;
    let cookie = format!("baton_session={session}");
    let res = app
        .client
        .post(app.url("/api/v1/auth/sign_out"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_page_signs_in_and_home_says_who() {
    let app = TestApp::spawn().await;
    with_password(&app, "pat@acme.example", "agent").await;
    let res = app.client.get(app.url("/login")).send().await.expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .expect("html")
            .contains("<form method=\"post\" action=\"/login\"")
    );

    let res = app
        .client
        .post(app.url("/login"))
        .form(&[("email", "pat@acme.example"), ("password", "wrong")])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let res = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", "pat@acme.example"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/");
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("baton_session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_string();
    let res = app
        .client
        .get(app.url("/"))
        .header("cookie", &session)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("Pat Password") && html.contains("csrf-token"),
        "{html}"
    );

    let res = app.client.get(app.url("/")).send().await.expect("request");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login");
}

#[tokio::test]
async fn sign_in_is_rate_limited_after_repeated_failures() {
    let app = TestApp::spawn().await;
    with_password(&app, "pat@acme.example", "agent").await;
    let attempt = |password: &'static str| {
        app.call(
            Method::POST,
            None,
            "/api/v1/auth/sign_in",
            Some(json!({"email": "pat@acme.example", "password": password})),
        )
    };
    for _ in 0..5 {
        assert_error(&attempt("wrong password").await, 401, "invalid_credentials");
    }
    // Even the right password waits now.
    assert_error(&attempt("correct horse battery").await, 429, "rate_limited");
}
