//! `/api/approvals`: a manager decides on others' submitted entries, never their own; the
//! whole life cycle ends locked.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{fixtures::*, helpers::TestApp};

#[tokio::test]
async fn a_manager_approves_with_an_empty_body_and_never_their_own_entries() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let own: Value = app
        .call(
            Method::POST,
            "/api/timesheets",
            &manager,
            Some(&entry_body("2026-11-23", 1.0)),
        )
        .await
        .json()
        .await
        .unwrap();
    let ann: Value = app
        .call(
            Method::POST,
            "/api/timesheets",
            &app.employee_token(),
            Some(&entry_body("2026-11-23", 1.0)),
        )
        .await
        .json()
        .await
        .unwrap();
    let pending = awaiting(&app, &manager).await;
    let ids: Vec<&Value> = pending
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["id"])
        .collect();
    assert_eq!(ids, [&ann["id"]], "one's own entries are not listed");

    let own_id = own["id"].as_str().unwrap();
    let response = app
        .client
        .put(app.url(&format!("/api/approvals/{own_id}")))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let ann_id = ann["id"].as_str().unwrap();
    let response = app
        .client
        .put(app.url(&format!("/api/approvals/{ann_id}")))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let approved: Value = response.json().await.unwrap();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approved"], true);
    assert_eq!(approved["version"], 2);

    // Approved entries are locked: neither approved again nor deleted.
    let again = app
        .client
        .put(app.url(&format!("/api/approvals/{ann_id}")))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let delete = app
        .call(
            Method::DELETE,
            &format!("/api/timesheets/{ann_id}"),
            &app.employee_token(),
            None,
        )
        .await;
    assert_eq!(delete.status(), StatusCode::CONFLICT);

    let some = |value: &str| Some(value.to_owned());
    assert_eq!(
        app.audit_trail(ann_id).await,
        [
            [
                some("create"),
                None,
                some("submitted"),
                some("user-ann"),
                None
            ],
            [
                some("approve"),
                some("submitted"),
                some("approved"),
                some(MANAGER.0),
                None
            ],
        ]
    );
}

#[tokio::test]
async fn a_rejection_keeps_the_managers_note() {
    let (app, submitted, _) = app_with_entries().await;
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let path = format!("/api/approvals/{submitted}/reject");
    let no_note = app
        .call(Method::POST, &path, &manager, Some(&json!({"note": "  "})))
        .await;
    assert_eq!(no_note.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let rejected: Value = app
        .call(
            Method::POST,
            &path,
            &manager,
            Some(&json!({"note": "Wrong project"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["decision_note"], "Wrong project");
    let trail = app.audit_trail(&submitted).await;
    assert_eq!(trail.last().unwrap()[0].as_deref(), Some("reject"));
    assert_eq!(trail.last().unwrap()[4].as_deref(), Some("Wrong project"));
    // A rejected entry may be deleted by its owner.
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/timesheets/{submitted}"),
            &app.user_token(ALL_USER_SCOPES),
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn the_full_life_cycle_ends_locked() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    app.add_project("BETA", "Beta").await;
    let ann = app.user_token(ALL_USER_SCOPES);
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let mut ids = Vec::new();
    for date in ["2026-11-23", "2026-11-24"] {
        let mut body = entry_body(date, 4.0);
        body["status"] = json!("draft");
        let entry: Value = app
            .call(Method::POST, "/api/timesheets", &ann, Some(&body))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(entry["status"], "draft");
        ids.push(entry["id"].as_str().unwrap().to_owned());
    }
    let pending = awaiting(&app, &manager).await;
    assert_eq!(pending, json!([]), "drafts are not awaiting approval");

    // Submit the week.
    let submitted = submit_week_48(&app, &ann).await;
    assert_eq!(submitted.as_array().unwrap().len(), 2);
    assert!(submitted
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["status"] == "submitted"));

    // Submitted entries cannot be deleted (corrected, they leave approval: see
    // `a_decision_is_made_on_the_version_seen_and_applied_once`).
    let locked = app
        .call(
            Method::DELETE,
            &format!("/api/timesheets/{}", ids[0]),
            &ann,
            None,
        )
        .await;
    assert_eq!(locked.status(), StatusCode::CONFLICT);

    // The manager rejects one with a note; Ann edits and resubmits it.
    let rejected: Value = app
        .call(
            Method::POST,
            &format!("/api/approvals/{}/reject", ids[0]),
            &manager,
            Some(&json!({"note": "Book it on BETA"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rejected["status"], "rejected");
    let version = rejected["version"].as_i64().unwrap();
    let mut edit = entry_body("2026-11-23", 4.5);
    edit["project"] = json!("BETA");
    // Only a draft is what an edit makes.
    let mut resubmit_by_edit = edit.clone();
    resubmit_by_edit["status"] = json!("submitted");
    let refused = edit_with_version(&app, &ann, &ids[0], version, &resubmit_by_edit).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["field"], "status");
    // Sending back the status an edit leaves ("draft") is fine.
    edit["status"] = json!("draft");
    let stale = edit_with_version(&app, &ann, &ids[0], version - 1, &edit).await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let edited = edit_with_version(&app, &ann, &ids[0], version, &edit).await;
    assert_eq!(edited.status(), StatusCode::OK);
    assert_eq!(
        edited.headers()["etag"],
        format!("\"{}\"", version + 1).as_str()
    );
    let edited: Value = edited.json().await.unwrap();
    assert_eq!(edited["status"], "draft");
    assert_eq!(edited["project"], "BETA");
    assert_eq!(edited["minutes"], 270);
    let resubmitted: Value = app
        .call(
            Method::POST,
            "/api/timesheets/weeks/2026-W48/submit",
            &ann,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resubmitted.as_array().unwrap().len(), 1);

    // The manager approves Ann's whole week; everything is locked.
    let approved: Value = app
        .call(
            Method::POST,
            "/api/approvals/weeks/2026-W48",
            &manager,
            Some(&json!({"user_id": "user-ann"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(approved.as_array().unwrap().len(), 2);
    for id in &ids {
        let entry: Value = app
            .get_as(&ann, &format!("/api/timesheets/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(entry["status"], "approved");
        assert_eq!(entry["approved"], true);
        let edit = app
            .call(
                Method::PUT,
                &format!("/api/timesheets/{id}"),
                &ann,
                Some(&entry_body("2026-11-23", 1.0)),
            )
            .await;
        assert_eq!(edit.status(), StatusCode::CONFLICT);
        let delete = app
            .call(Method::DELETE, &format!("/api/timesheets/{id}"), &ann, None)
            .await;
        assert_eq!(delete.status(), StatusCode::CONFLICT);
    }
    let actions: Vec<String> = app
        .audit_trail(&ids[0])
        .await
        .into_iter()
        .map(|row| row[0].clone().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["create", "submit", "reject", "update", "submit", "approve"]
    );

    // Nobody approves their own week.
    let own = app
        .call(
            Method::POST,
            "/api/approvals/weeks/2026-W48",
            &manager,
            Some(&json!({"user_id": MANAGER.0})),
        )
        .await;
    assert_eq!(own.status(), StatusCode::FORBIDDEN);
}

/// `GET /api/approvals` as `token`: what awaits that manager's decision.
async fn awaiting(app: &TestApp, token: &str) -> Value {
    let response = app.get_as(token, "/api/approvals").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("JSON")
}

/// Submits the owner's drafts of 2026-W48; the entries submitted.
async fn submit_week_48(app: &TestApp, token: &str) -> Value {
    let response = app
        .call(
            Method::POST,
            "/api/timesheets/weeks/2026-W48/submit",
            token,
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("JSON")
}

/// `PUT /api/approvals/{id}` (approve) or, with a note, `POST …/reject`, as `token`.
async fn decide(app: &TestApp, token: &str, id: &str, reject_note: Option<&str>) -> Value {
    let response = match reject_note {
        None => {
            app.call(Method::PUT, &format!("/api/approvals/{id}"), token, None)
                .await
        }
        Some(note) => {
            app.call(
                Method::POST,
                &format!("/api/approvals/{id}/reject"),
                token,
                Some(&json!({ "note": note })),
            )
            .await
        }
    };
    assert_eq!(response.status(), StatusCode::OK, "deciding on {id}");
    response.json().await.expect("an entry")
}

/// A 409 whose message says `text`.
async fn conflict_saying(response: reqwest::Response, text: &str) {
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.expect("JSON");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|message| message.contains(text)),
        "{body}"
    );
}

async fn undo(app: &TestApp, token: &str, ids: &[&str]) -> reqwest::Response {
    app.call(
        Method::POST,
        "/api/approvals/undo",
        token,
        Some(&json!({ "ids": ids })),
    )
    .await
}

#[tokio::test]
async fn a_manager_takes_back_their_own_decisions_moments_later() {
    let (app, first, _, second) = app_with_more_entries().await;
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    decide(&app, &manager, &first, None).await;
    decide(&app, &manager, &second, Some("Wrong project")).await;
    let before = app.fingerprint().await;

    // Nobody else takes them back: not another manager, not someone without the scope.
    let carol = app.token_for("user-carol", "carol@example.com", ALL_USER_SCOPES);
    let refused = undo(&app, &carol, &[&first]).await;
    conflict_saying(refused, "no decision of yours").await;
    let employee = undo(&app, &app.employee_token(), &[&first]).await;
    assert_eq!(employee.status(), StatusCode::FORBIDDEN);
    for bad in [json!({ "ids": [] }), json!({ "ids": ["not-an-id"] })] {
        let response = app
            .call(Method::POST, "/api/approvals/undo", &manager, Some(&bad))
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    assert_eq!(app.fingerprint().await, before, "refusals change nothing");

    let response = undo(&app, &manager, &[&first, &second]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let undone: Value = response.json().await.expect("JSON");
    let undone = undone.as_array().expect("a list");
    assert_eq!(undone.len(), 2);
    for entry in undone {
        assert_eq!(entry["status"], "submitted", "{entry}");
        assert_eq!(entry["approved"], false);
        assert_eq!(entry["decision_note"], Value::Null, "{entry}");
    }
    let pending = awaiting(&app, &manager).await;
    assert_eq!(pending.as_array().map(Vec::len), Some(2), "{pending}");
    let trail = app.audit_trail(&second).await;
    let last = trail.last().expect("records");
    assert_eq!(last[0].as_deref(), Some("undo"));
    assert_eq!(last[1].as_deref(), Some("rejected"));
    assert_eq!(last[2].as_deref(), Some("submitted"));
    assert_eq!(last[3].as_deref(), Some(MANAGER.0));

    // Once taken back there is nothing left to undo.
    let again = undo(&app, &manager, &[&first]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn an_undo_takes_back_all_its_entries_or_none() {
    let (app, mine, _, carols) = app_with_more_entries().await;
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let carol = app.token_for("user-carol", "carol@example.com", ALL_USER_SCOPES);
    decide(&app, &manager, &mine, None).await;
    decide(&app, &carol, &carols, None).await;
    let before = app.fingerprint().await;
    // One of the two is Carol's decision: neither is taken back.
    let mixed = undo(&app, &manager, &[&mine, &carols]).await;
    assert_eq!(mixed.status(), StatusCode::CONFLICT);
    assert_eq!(app.fingerprint().await, before);
    let pending = awaiting(&app, &manager).await;
    assert_eq!(pending, json!([]), "both stay approved");

    // An id given twice is taken back once.
    let response = undo(&app, &manager, &[&mine, &mine]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let undone: Value = response.json().await.expect("JSON");
    assert_eq!(undone.as_array().map(Vec::len), Some(1), "{undone}");
}

#[tokio::test]
async fn a_rejection_the_owner_has_acted_on_is_not_undone() {
    let (app, id, _) = app_with_entries().await;
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let rejected = decide(&app, &manager, &id, Some("Which client?")).await;
    let version = rejected["version"].as_i64().expect("a version");
    let ann = app.user_token(ALL_USER_SCOPES);
    let edited = edit_with_version(&app, &ann, &id, version, &entry_body("2026-11-23", 6.0)).await;
    assert_eq!(edited.status(), StatusCode::OK);
    let late = undo(&app, &manager, &[&id]).await;
    assert_eq!(late.status(), StatusCode::CONFLICT);
    let stored: Value = app
        .get_as(&ann, &format!("/api/timesheets/{id}"))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(stored["status"], "draft", "the owner's edit stands");
}

#[tokio::test]
async fn a_resubmitted_entry_keeps_the_rejection_note_through_an_undone_approval() {
    let (app, id, _) = app_with_entries().await;
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let ann = app.user_token(ALL_USER_SCOPES);
    let rejected = decide(&app, &manager, &id, Some("Which client?")).await;
    let version = rejected["version"].as_i64().expect("a version");
    let edited = edit_with_version(&app, &ann, &id, version, &entry_body("2026-11-23", 6.0)).await;
    assert_eq!(edited.status(), StatusCode::OK);
    let submitted = submit_week_48(&app, &ann).await;
    let resubmitted = submitted
        .as_array()
        .and_then(|entries| entries.iter().find(|entry| entry["id"] == id.as_str()))
        .expect("the entry, submitted again");
    // The next decision is made knowing why it came back.
    assert_eq!(resubmitted["decision_note"], "Which client?");

    let approved = decide(&app, &manager, &id, None).await;
    assert_eq!(approved["decision_note"], Value::Null);
    let response = undo(&app, &manager, &[&id]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let undone: Value = response.json().await.expect("JSON");
    assert_eq!(undone[0]["status"], "submitted");
    assert_eq!(undone[0]["decision_note"], "Which client?");
}

#[tokio::test]
async fn a_decision_is_final_once_the_undo_window_has_passed() {
    let app = TestApp::spawn_with(|args| args.decision_undo_secs = 0).await;
    app.add_project("ACME", "Acme website").await;
    let entry = create_entry(&app, &app.employee_token(), &entry_body("2026-11-23", 2.0)).await;
    let id = entry.id.to_string();
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    decide(&app, &manager, &id, None).await;
    // A window of 0: final at once.
    conflict_saying(undo(&app, &manager, &[&id]).await, "too late").await;
    let stored: Value = app
        .get_as(&app.employee_token(), &format!("/api/timesheets/{id}"))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(stored["status"], "approved");
}

/// A manager's token signed `age` seconds after their sign-in (`auth_time`), or with no
/// `auth_time` at all.
fn manager_token_signed_in(app: &TestApp, age: Option<u64>) -> String {
    let mut claims = app.issuer.user_claims(ALL_USER_SCOPES);
    claims["sub"] = MANAGER.0.into();
    claims["email"] = MANAGER.1.into();
    match age {
        Some(age) => claims["auth_time"] = (crate::issuer::now() - age).into(),
        None => {
            claims.as_object_mut().expect("claims").remove("auth_time");
        }
    }
    app.issuer.sign(&claims)
}

/// 401 with RFC 9470's challenge naming the max age, and the JSON error.
async fn assert_step_up(response: reqwest::Response, max_age: u64, case: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        challenge.starts_with(r#"Bearer error="insufficient_user_authentication""#)
            && challenge.ends_with(&format!("max_age={max_age}")),
        "{case}: {challenge}"
    );
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "insufficient_user_authentication", "{case}");
    assert_eq!(body["max_age"], max_age, "{case}");
}

#[tokio::test]
async fn deciding_needs_a_sign_in_within_the_max_age_and_changes_nothing_without() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme website").await;
    // Submitted as it is created.
    let entry = create_entry(&app, &app.employee_token(), &entry_body("2026-11-23", 2.0)).await;
    let id = entry.id.to_string();
    for (age, case) in [(Some(901), "signed in 901 s ago"), (None, "no auth_time")] {
        let stale = manager_token_signed_in(&app, age);
        let approve = app
            .call(Method::PUT, &format!("/api/approvals/{id}"), &stale, None)
            .await;
        assert_step_up(approve, 900, case).await;
        let reject = app
            .call(
                Method::POST,
                &format!("/api/approvals/{id}/reject"),
                &stale,
                Some(&json!({ "note": "no" })),
            )
            .await;
        assert_step_up(reject, 900, case).await;
        let week = app
            .call(
                Method::POST,
                "/api/approvals/weeks/2026-W48",
                &stale,
                Some(&json!({ "user_id": "user-ann" })),
            )
            .await;
        assert_step_up(week, 900, case).await;
        // Reading the queue needs no fresh sign-in; nothing was decided.
        let queue = awaiting(&app, &stale).await;
        assert_eq!(queue[0]["status"], "submitted", "{case}");
    }
    let fresh = manager_token_signed_in(&app, Some(899));
    assert_eq!(decide(&app, &fresh, &id, None).await["status"], "approved");
}

#[tokio::test]
async fn a_max_age_of_zero_lets_any_sign_in_decide() {
    let app = TestApp::spawn_with(|args| args.approval_max_auth_age_secs = 0).await;
    app.add_project("ACME", "Acme website").await;
    // Submitted as it is created.
    let entry = create_entry(&app, &app.employee_token(), &entry_body("2026-11-23", 2.0)).await;
    let old = manager_token_signed_in(&app, Some(30 * 24 * 3600));
    let decided = decide(&app, &old, &entry.id.to_string(), Some("too long")).await;
    assert_eq!(decided["status"], "rejected");
}

/// `PUT /api/approvals/{id}` with `If-Match: "<version>"`.
async fn approve_version(app: &TestApp, token: &str, id: &str, version: &str) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/approvals/{id}")))
        .bearer_auth(token)
        .header("if-match", version)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_decision_is_made_on_the_version_seen_and_applied_once() {
    let (app, submitted, _, second) = app_with_more_entries().await;
    let ann = app.user_token(ALL_USER_SCOPES);
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let other_manager = app.token_for("user-carl", "carl@example.com", ALL_USER_SCOPES);

    // What the manager decides on, with its version.
    let seen = app
        .get_as(&manager, &format!("/api/approvals/{submitted}"))
        .await;
    assert_eq!(seen.status(), StatusCode::OK);
    assert_eq!(seen.headers()["etag"], "\"1\"");
    let employee = app
        .get_as(
            &app.employee_token(),
            &format!("/api/approvals/{submitted}"),
        )
        .await;
    assert_eq!(employee.status(), StatusCode::FORBIDDEN);

    // Approved on version 1, then the same decision sent again (its answer lost): one
    // approval, answered twice.
    let first = approve_version(&app, &manager, &submitted, "\"1\"").await;
    assert_eq!(first.status(), StatusCode::OK);
    let before_retry = app.fingerprint().await;
    let again = approve_version(&app, &manager, &submitted, "\"1\"").await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        (again["status"].as_str(), again["version"].as_i64()),
        (Some("approved"), Some(2))
    );
    assert_eq!(app.fingerprint().await, before_retry);
    let approvals = app
        .audit_trail(&submitted)
        .await
        .into_iter()
        .filter(|row| row[0].as_deref() == Some("approve"))
        .count();
    assert_eq!(approvals, 1);
    // Someone else sending that version is refused: the entry changed since.
    let late = approve_version(&app, &other_manager, &submitted, "\"1\"").await;
    assert_eq!(late.status(), StatusCode::PRECONDITION_FAILED);

    // Ann corrects her other submitted entry: it leaves approval, and a decision made on
    // what it was is refused and changes nothing.
    let corrected = edit_with_version(&app, &ann, &second, 1, &entry_body("2026-11-25", 2.0)).await;
    assert_eq!(corrected.status(), StatusCode::OK);
    let corrected: Value = corrected.json().await.unwrap();
    assert_eq!(
        (corrected["status"].as_str(), corrected["version"].as_i64()),
        (Some("draft"), Some(2))
    );
    assert_eq!(awaiting(&app, &manager).await, json!([]));
    let before = app.fingerprint().await;
    let stale = approve_version(&app, &manager, &second, "\"1\"").await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let stale_rejection = app
        .client
        .post(app.url(&format!("/api/approvals/{second}/reject")))
        .bearer_auth(&manager)
        .header("if-match", "\"1\"")
        .json(&json!({"note": "Which project?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale_rejection.status(), StatusCode::PRECONDITION_FAILED);
    let unreadable = approve_version(&app, &manager, &second, "one").await;
    assert_eq!(unreadable.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.fingerprint().await, before);
    // What it is now, for the manager's phone to say what changed.
    let now: Value = app
        .get_as(&manager, &format!("/api/approvals/{second}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (now["status"].as_str(), now["minutes"].as_i64()),
        (Some("draft"), Some(120))
    );
}

#[tokio::test]
async fn a_week_is_approved_only_as_the_manager_saw_it() {
    let (app, submitted, draft, second) = app_with_more_entries().await;
    let ann = app.user_token(ALL_USER_SCOPES);
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let approve = |versions: Value| {
        let body = json!({"user_id": "user-ann", "versions": versions});
        let (app, manager) = (&app, &manager);
        async move {
            app.call(
                Method::POST,
                "/api/approvals/weeks/2026-W48",
                manager,
                Some(&body),
            )
            .await
        }
    };
    // The manager's list shows two submitted entries at version 1; Ann corrects one and
    // submits the week again meanwhile (with her draft): versions 3 and 2 now.
    let corrected = edit_with_version(&app, &ann, &second, 1, &entry_body("2026-11-25", 2.0)).await;
    assert_eq!(corrected.status(), StatusCode::OK);
    submit_week_48(&app, &ann).await;
    let before = app.fingerprint().await;
    let stale = approve(json!({ &submitted: 1, &second: 1 })).await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.fingerprint().await, before, "nothing approved");
    // Missing an entry the week now has is stale too.
    let partial = approve(json!({ &submitted: 1 })).await;
    assert_eq!(partial.status(), StatusCode::PRECONDITION_FAILED);
    // As it is now (the list reloaded): approved.
    let approved = approve(json!({ &submitted: 1, &second: 3, &draft: 2 })).await;
    assert_eq!(approved.status(), StatusCode::OK);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved.as_array().unwrap().len(), 3);
}
