//! `GET /api/team/hours`: everyone's hours of a week or month for managers, with the
//! working days someone logged nothing on.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{fixtures::*, helpers::TestApp};

#[tokio::test]
async fn a_managers_week_shows_everyones_hours_and_missing_days() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    app.add_project("BETA", "Beta").await;
    let ann = app.employee_token();
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let carl = app.token_for("user-carl", "carl@example.com", ALL_USER_SCOPES);
    for (token, date, project, hours) in [
        (&ann, "2026-11-23", "ACME", 6.0),
        (&ann, "2026-11-23", "BETA", 1.5),
        (&ann, "2026-11-25", "ACME", 8.0),
        (&manager, "2026-11-24", "BETA", 2.0),
        // Two weeks before: Carl is on the team, with nothing logged in week 48.
        (&carl, "2026-11-10", "ACME", 1.0),
        // After the week: not counted.
        (&ann, "2026-11-30", "ACME", 3.0),
    ] {
        let mut body = entry_body(date, hours);
        body["project"] = json!(project);
        create_entry(&app, token, &body).await;
    }
    let week: Value = app
        .get_as(&manager, "/api/team/hours?period=2026-W48&today=2026-11-26")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(week["period"], "2026-W48");
    assert_eq!(week["days"].as_array().unwrap().len(), 7);
    assert_eq!(week["minutes"], 17 * 60 + 30);
    let names: Vec<&str> = week["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|person| person["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ann Example", "user-bob", "user-carl"]);
    let ann_week = &week["people"][0];
    assert_eq!(ann_week["per_day"], json!([450, 0, 480, 0, 0, 0, 0]));
    assert_eq!(ann_week["missing"], json!(["2026-11-24", "2026-11-26"]));
    assert_eq!(ann_week["projects"][0]["code"], "ACME");
    assert_eq!(ann_week["projects"][0]["minutes"], 840);
    assert_eq!(week["people"][2]["minutes"], 0);
    assert_eq!(week["people"][2]["missing"].as_array().unwrap().len(), 4);
    assert_eq!(week["projects"][0]["code"], "ACME");

    let month: Value = app
        .get_as(&manager, "/api/team/hours?period=2026-11&today=2026-12-01")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(month["days"].as_array().unwrap().len(), 30);
    // Carl's hour of 10 November and Ann's three hours of 30 November count too.
    assert_eq!(month["minutes"], 17 * 60 + 30 + 60 + 180);

    // Managers only; a clear error for a bad period or date.
    let employee = app.get_as(&ann, "/api/team/hours?period=2026-W48").await;
    assert_eq!(employee.status(), StatusCode::FORBIDDEN);
    for (query, field) in [
        ("period=2026-W60", "period"),
        ("period=", "period"),
        ("", "period"),
        ("period=2026-11&today=tomorrow", "today"),
    ] {
        let response = app
            .get_as(&manager, &format!("/api/team/hours?{query}"))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["field"], field, "{query}");
    }
}
