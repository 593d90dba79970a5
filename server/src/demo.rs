//! The demo company, ExampleCo: people at the embedded provider, projects, and a week of
//! entries awaiting approval, so `make run` shows a working product at once.

use anyhow::Context;
use app::{
    admin::{ProjectDetails, Role},
    auth::{Scope, ScopeSet, User},
    domain::{EntryId, EntryStatus, Minutes, Note, ProjectCode, ProjectName, WorkDate},
};
use db::{clock::now_ms, Db};
use provider::{admin, store as accounts, ProviderSettings};

use crate::store::{
    audit::{self, Actor},
    entries::{self, NewRow},
    projects, users,
};

/// The demo company's people: (email, name, role, password).
pub const DEMO_USERS: [(&str, &str, Role, &str); 4] = [
    (
        "emma@exampleco.test",
        "Emma Employee",
        Role::Employee,
        "emma-demo-pass",
    ),
    (
        "carl@exampleco.test",
        "Carl Contractor",
        Role::Contractor,
        "carl-demo-pass",
    ),
    (
        "maria@exampleco.test",
        "Maria Manager",
        Role::Manager,
        "maria-demo-pass",
    ),
    (
        "adam@exampleco.test",
        "Adam Admin",
        Role::Admin,
        "adam-demo-pass",
    ),
];
/// The rest of Maria's team: people whose weeks await her approval too. Their passwords
/// are random (an admin can send them an invitation link to choose one).
const DEMO_TEAM: [(&str, &str, Role); 8] = [
    ("noah@exampleco.test", "Noah Novak", Role::Employee),
    ("olivia@exampleco.test", "Olivia Ortiz", Role::Employee),
    ("liam@exampleco.test", "Liam Larsen", Role::Contractor),
    ("sofia@exampleco.test", "Sofia Silva", Role::Employee),
    ("yusuf@exampleco.test", "Yusuf Yilmaz", Role::Employee),
    ("hana@exampleco.test", "Hana Hashimoto", Role::Contractor),
    ("jonas@exampleco.test", "Jonas Jensen", Role::Employee),
    ("priya@exampleco.test", "Priya Patel", Role::Employee),
];
/// Whose Thursday ran long (10:30): the approvals screen points it out.
const LONG_DAY: &str = "hana@exampleco.test";
/// The demo batch client and its secret.
pub const DEMO_CLIENT: (&str, &str) = ("exampleco-payroll", "exampleco-payroll-demo-secret");
const DEMO_PROJECTS: [(&str, &str); 3] = [
    ("ACME", "Acme website"),
    ("INTERNAL", "Internal work"),
    ("TRAINING", "Training"),
];

/// Seeds ExampleCo once (a second start finds it and leaves everything as it is).
pub async fn seed(db: &Db, settings: &ProviderSettings) -> anyhow::Result<()> {
    {
        let mut conn = db.acquire().await?;
        if accounts::account_by_email(&mut conn, DEMO_USERS[0].0)
            .await?
            .is_some()
        {
            return Ok(());
        }
    }
    let mut subjects = Vec::new();
    for (email, name, role, password) in DEMO_USERS {
        let subject = admin::add_user(db, email, name, role, password).await?;
        // Maria approves and Adam administers; the others log time.
        if matches!(role, Role::Employee | Role::Contractor) {
            subjects.push((subject, email, name));
        }
    }
    for (email, name, role) in DEMO_TEAM {
        let password = uuid::Uuid::new_v4().to_string();
        subjects.push((
            admin::add_user(db, email, name, role, &password).await?,
            email,
            name,
        ));
    }
    admin::add_confidential_client_with_secret(
        db,
        DEMO_CLIENT.0,
        "ExampleCo payroll import",
        &[Scope::BatchUpload],
        DEMO_CLIENT.1,
    )
    .await?;

    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let mut project_ids = Vec::new();
    for (code, name) in DEMO_PROJECTS {
        let code = ProjectCode::parse(code).map_err(|e| anyhow::anyhow!("{}", e.message))?;
        let name = ProjectName::parse(name).map_err(|e| anyhow::anyhow!("{}", e.message))?;
        let details = ProjectDetails {
            name,
            customer: None,
            colour: None,
        };
        let project = match projects::by_code(&mut tx, &code).await? {
            Some(project) => project,
            None => projects::add(&mut tx, &code, &details, now).await?,
        };
        project_ids.push(project.id);
    }
    // Last week's entries of Emma, Carl and the team, awaiting Maria's approval.
    let today = time::OffsetDateTime::now_utc().date();
    let monday =
        today - time::Duration::days(i64::from(today.weekday().number_days_from_monday()) + 7);
    let note = Note::parse("Demo entry")
        .ok()
        .flatten()
        .context("the demo note")?;
    let source = "demo".to_owned();
    let mut rows = Vec::new();
    let mut owners = Vec::new();
    for (subject, email, name) in &subjects {
        let user = User {
            issuer: settings.issuer.to_string(),
            subject: subject.clone(),
            name: Some((*name).to_owned()),
            email: Some((*email).to_owned()),
            scopes: ScopeSet::default(),
            auth_time: None,
        };
        owners.push(users::upsert(&mut tx, &user, now).await?);
    }
    for (person, (user_id, (_, email, _))) in owners.iter().zip(&subjects).enumerate() {
        for day in 0..5 {
            let date = WorkDate::from_date(monday + time::Duration::days(day));
            let minutes = match day {
                3 if *email == LONG_DAY => 630,
                4 => 240,
                _ => 450,
            };
            rows.push((
                EntryId::from_uuid(uuid::Uuid::new_v4()),
                user_id.clone(),
                project_ids[(person + day as usize) % project_ids.len()].clone(),
                date,
                Minutes::new(minutes).map_err(|e| anyhow::anyhow!("{}", e.message))?,
            ));
        }
    }
    let new_rows: Vec<NewRow> = rows
        .iter()
        .map(|(id, user_id, project_id, date, minutes)| NewRow {
            id: *id,
            user_id,
            project_id,
            date: *date,
            minutes: *minutes,
            note: Some(&note),
            status: EntryStatus::Submitted,
            source: &source,
            external_id: None,
            now,
        })
        .collect();
    entries::insert_many(&mut tx, &new_rows).await?;
    let ids: Vec<String> = rows.iter().map(|row| row.0.to_string()).collect();
    audit::record_imports(&mut tx, &ids, Actor::Client { client_id: "demo" }, now).await?;
    tx.commit().await?;
    Ok(())
}

/// What `make run` prints in demo mode.
pub fn credentials(settings: &ProviderSettings) -> String {
    let mut text = format!(
        "Demo mode (ExampleCo). Open {} and sign in as:\n",
        settings.issuer
    );
    for (email, _, role, password) in DEMO_USERS {
        text.push_str(&format!("  {role:<10} {email:<24} password: {password}\n"));
    }
    text.push_str(&format!(
        "  batch client: {} secret: {} (client credentials at {}/oauth/token)\n",
        DEMO_CLIENT.0, DEMO_CLIENT.1, settings.issuer
    ));
    text
}
