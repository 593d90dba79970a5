//! The command line: `timesheets [serve]` and the administration subcommands.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context};
use app::admin::Role;
use app::auth::Scope;
use db::Db;
use provider::{admin, PublicUrl};

use app::{
    admin::{NewPerson, NewProject, ProjectUpdate},
    entries::Project,
};

use crate::{
    batch,
    config::{DatabaseArgs, ServeArgs},
    error::ApiError,
    services::{Operator, ServerServices},
    startup::Application,
    telemetry::LogFormat,
};

#[derive(Debug, clap::Parser)]
#[command(
    name = "timesheets",
    version,
    about = "Log working time from your phone; managers approve it."
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// Without a subcommand, `timesheets` serves (as `timesheets serve`).
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run the web server (API, app, sign-in): the default.
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// People who sign in with the embedded provider.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Projects time is booked on (any provider).
    #[command(subcommand)]
    Projects(ProjectsCommand),
    /// Apps registered with the embedded provider.
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// The embedded provider's signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Passkeys at the embedded provider: list, reset, require for approvers.
    #[command(subcommand)]
    Passkeys(PasskeysCommand),
    /// Upload a CSV file of entries as a batch client (client credentials).
    Import(ImportArgs),
    /// Download entries of a date range as CSV (the import's format) with an access token.
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The CSV file (`-` for standard input). Header row; columns external_id,
    /// user_email (or user_issuer + user_subject), date, project, duration (1.5, 1:30,
    /// 90m; or minutes, or hours), note.
    pub file: std::path::PathBuf,
    /// The Timesheets server.
    #[arg(
        long,
        env = "TIMESHEETS_API_URL",
        default_value = "http://127.0.0.1:3000"
    )]
    pub api_url: String,
    /// The OpenID Connect issuer that gives the token (default: `OIDC_ISSUER`, else the
    /// server itself, i.e. its embedded provider).
    #[arg(long, env = "TIMESHEETS_ISSUER")]
    pub issuer: Option<String>,
    /// The batch client's id.
    #[arg(long, env = "TIMESHEETS_CLIENT_ID")]
    pub client_id: Option<String>,
    /// A file holding the client secret (else `TIMESHEETS_CLIENT_SECRET`). Never a flag.
    #[arg(long)]
    pub client_secret_file: Option<std::path::PathBuf>,
    /// `audience` for the token request (Auth0 needs the API identifier; default
    /// `OIDC_AUDIENCE`).
    #[arg(long, env = "TIMESHEETS_AUDIENCE")]
    pub audience: Option<String>,
    /// Rows per upload request (at most 10,000).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub chunk_size: u32,
    /// Where refused rows and their reasons go (default: `<file>.rejected.csv`).
    #[arg(long)]
    pub rejected_file: Option<std::path::PathBuf>,
    /// Check every row and report, without sending anything.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// First day, YYYY-MM-DD.
    #[arg(long)]
    pub from: String,
    /// Last day, inclusive.
    #[arg(long)]
    pub to: String,
    /// Only entries in this status (draft, submitted, approved, rejected).
    #[arg(long)]
    pub status: Option<String>,
    /// Everyone's approved entries (needs approve:timesheets), not one's own.
    #[arg(long)]
    pub everyone: bool,
    /// The Timesheets server.
    #[arg(
        long,
        env = "TIMESHEETS_API_URL",
        default_value = "http://127.0.0.1:3000"
    )]
    pub api_url: String,
    /// Write here instead of standard output.
    #[arg(long, short)]
    pub output: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum UsersCommand {
    /// Add a person. The password comes from `TIMESHEETS_PASSWORD`, `--password-file`, or
    /// a prompt (never a flag, which would land in the shell history).
    Add {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// employee, contractor, manager or admin.
        #[arg(long)]
        role: Role,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Add a person who chooses their own password: prints a one-time link (7 days) to
    /// send them.
    Invite {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// employee, contractor, manager or admin.
        #[arg(long)]
        role: Role,
        #[command(flatten)]
        public_url: PublicUrlArg,
    },
    /// Give a person another role; their sign-ins end, so it applies from their next one.
    SetRole {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        email: String,
        /// employee, contractor, manager or admin.
        #[arg(long)]
        role: Role,
        #[command(flatten)]
        public_url: PublicUrlArg,
    },
    /// List people, their roles and whether they are disabled.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Stop a person from signing in; their sessions end at the next token refresh.
    Disable {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        email: String,
        #[command(flatten)]
        public_url: PublicUrlArg,
    },
    /// Let a disabled person sign in again.
    Enable {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        email: String,
        #[command(flatten)]
        public_url: PublicUrlArg,
    },
    /// Set a new password (from `TIMESHEETS_PASSWORD`, `--password-file` or a prompt);
    /// the person's sign-ins end and their passkeys are removed (account recovery).
    SetPassword {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordSource,
    },
}

/// Where the server is reached, for the links the CLI prints.
#[derive(Debug, Clone, clap::Args)]
pub struct PublicUrlArg {
    /// The server's public URL (as `serve` has it), e.g. `https://time.example.com`.
    #[arg(long, env = "PUBLIC_URL", default_value = "http://127.0.0.1:3000")]
    public_url: PublicUrl,
}

#[derive(Debug, clap::Subcommand)]
pub enum ProjectsCommand {
    /// Add a project; time can be logged on it at once.
    Add {
        #[command(flatten)]
        database: DatabaseArgs,
        /// 1-32 of A-Z 0-9 - _ . (stored upper-case).
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// Whom the work is for.
        #[arg(long)]
        customer: Option<String>,
        /// #rrggbb.
        #[arg(long)]
        colour: Option<String>,
    },
    /// List projects, active ones first.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Rename a project or change its customer or colour (the ones not given stay).
    Rename {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: Option<String>,
        /// Whom the work is for; "" for none.
        #[arg(long)]
        customer: Option<String>,
        /// #rrggbb; "" for none.
        #[arg(long)]
        colour: Option<String>,
    },
    /// Archive a project: it keeps its entries and reports, and takes no new time.
    Archive {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        code: String,
    },
    /// Reactivate an archived project.
    Activate {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        code: String,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct PasswordSource {
    /// A file holding the password on its first line (`-` for standard input).
    #[arg(long)]
    password_file: Option<std::path::PathBuf>,
}

impl PasswordSource {
    fn read(&self) -> anyhow::Result<String> {
        if let Ok(password) = std::env::var("TIMESHEETS_PASSWORD") {
            return Ok(password);
        }
        let first_line = |reader: &mut dyn BufRead| -> anyhow::Result<String> {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            Ok(line.trim_end_matches(['\r', '\n']).to_owned())
        };
        match &self.password_file {
            Some(path) if path.as_os_str() == "-" => first_line(&mut std::io::stdin().lock()),
            Some(path) => {
                let file = std::fs::File::open(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                first_line(&mut std::io::BufReader::new(file))
            }
            None if std::io::stdin().is_terminal() => {
                let password = rpassword::prompt_password("Password: ")?;
                if rpassword::prompt_password("Again: ")? != password {
                    bail!("the passwords differ");
                }
                Ok(password)
            }
            None => bail!("give the password in TIMESHEETS_PASSWORD or with --password-file"),
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum ClientsCommand {
    /// Register an app. `--public` with redirect URIs for apps that sign people in (PKCE);
    /// otherwise a confidential batch client, whose secret is printed once.
    Add {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The client id.
        #[arg(long)]
        id: String,
        /// A name people see on the login page.
        #[arg(long)]
        name: Option<String>,
        /// An app that signs people in (no secret, PKCE).
        #[arg(long)]
        public: bool,
        /// Exact redirect URI (repeatable; public clients).
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// Exact post-logout redirect URI (repeatable; public clients).
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// Scopes a confidential client may get (repeatable; default batch:upload).
        #[arg(long = "scope")]
        scopes: Vec<Scope>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key; the old one stays published until its tokens expire.
    Rotate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Show the Web Push (VAPID) public key browsers subscribe with (made if missing).
    Push {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum PasskeysCommand {
    /// List passkeys (everyone's, or one person's) and whether approvers must use one.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Only this person's.
        #[arg(long)]
        email: Option<String>,
    },
    /// Remove all of a person's passkeys (a lost phone) and end their sign-ins: they sign
    /// in with their password again.
    Reset {
        #[command(flatten)]
        database: DatabaseArgs,
        email: String,
    },
    /// Who must sign in with a passkey: `managers` (everyone who may approve time:
    /// managers and admins; their sign-ins end now) or `nobody`.
    Require {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(value_enum)]
        who: PasskeysRequiredOf,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PasskeysRequiredOf {
    /// Managers and admins: everyone who may approve time.
    Managers,
    Nobody,
}

async fn passkeys(command: PasskeysCommand) -> anyhow::Result<()> {
    match command {
        PasskeysCommand::List {
            database: args,
            email,
        } => {
            let (rows, required) =
                admin::list_passkeys(&database(&args).await?, email.as_deref()).await?;
            for row in &rows {
                let used = row.passkey.last_used_at.map_or_else(
                    || "never used".to_owned(),
                    |at| format!("used {}", utc_minute(at)),
                );
                println!(
                    "{:<32} {:<24} added {} {}",
                    row.email,
                    row.passkey.name,
                    utc_minute(row.passkey.created_at),
                    used
                );
            }
            println!(
                "{} passkey(s); passkeys are required of {}",
                rows.len(),
                if required {
                    "managers and admins"
                } else {
                    "nobody"
                }
            );
        }
        PasskeysCommand::Reset {
            database: args,
            email,
        } => {
            let removed = admin::reset_passkeys(&database(&args).await?, &email).await?;
            println!(
                "removed {removed} passkey(s) of {}; their sign-ins ended",
                email.trim()
            );
        }
        PasskeysCommand::Require {
            database: args,
            who,
        } => {
            let on = matches!(who, PasskeysRequiredOf::Managers);
            let covered = admin::require_passkeys_of_approvers(&database(&args).await?, on).await?;
            if on {
                println!(
                    "managers and admins ({covered}) now sign in with a passkey; their sign-ins ended, \
                     and whoever has none adds one at their next sign-in"
                );
            } else {
                println!("passkeys are optional for everyone");
            }
        }
    }
    Ok(())
}

/// Unix ms as a UTC day and minute, e.g. `2026-12-07 09:30Z`.
fn utc_minute(unix_ms: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix_ms.div_euclid(1000)) {
        Ok(at) => format!(
            "{}-{:02}-{:02} {:02}:{:02}Z",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute()
        ),
        Err(_) => unix_ms.to_string(),
    }
}

async fn database(args: &DatabaseArgs) -> anyhow::Result<Db> {
    let db = args.connect().await?;
    db.migrate().await?;
    Ok(db)
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(*args).await,
        Some(Command::Migrate(args)) => {
            let db = args.connect().await?;
            db.migrate().await?;
            tracing::info!(backend = %db.backend(), "database is up to date");
            Ok(())
        }
        Some(Command::Users(command)) => users(command).await,
        Some(Command::Import(args)) => import(args).await,
        Some(Command::Export(args)) => export(args).await,
        Some(Command::Projects(command)) => projects(command).await,
        Some(Command::Clients(command)) => clients(command).await,
        Some(Command::Passkeys(command)) => passkeys(command).await,
        Some(Command::Keys(KeysCommand::Rotate { database: args })) => {
            let kid = admin::rotate_keys(&database(&args).await?).await?;
            println!("new signing key {kid}; the previous one stays published for 2 hours");
            Ok(())
        }
        Some(Command::Keys(KeysCommand::Push { database: args })) => {
            let key = crate::push::keys::ensure(&database(&args).await?).await?;
            println!("{}", key.public_key);
            Ok(())
        }
    }
}

async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let credentials = if args.dry_run {
        None
    } else {
        let client_id = args
            .client_id
            .clone()
            .context("give the batch client's id with --client-id or TIMESHEETS_CLIENT_ID")?;
        let client_secret = match &args.client_secret_file {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .trim()
                .to_owned(),
            None => std::env::var("TIMESHEETS_CLIENT_SECRET").map_err(|_| {
                anyhow::anyhow!("give the client secret in TIMESHEETS_CLIENT_SECRET or with --client-secret-file")
            })?,
        };
        Some(batch::Credentials {
            // The server's own settings, when this runs beside it: its issuer, else the
            // server itself (the embedded provider).
            issuer: args
                .issuer
                .clone()
                .or_else(|| std::env::var("OIDC_ISSUER").ok())
                .unwrap_or_else(|| args.api_url.clone()),
            client_id,
            client_secret,
            audience: args
                .audience
                .clone()
                .or_else(|| std::env::var("OIDC_AUDIENCE").ok()),
        })
    };
    let rejected_file = args.rejected_file.clone().unwrap_or_else(|| {
        if args.file.as_os_str() == "-" {
            "rejected.csv".into()
        } else {
            let mut name = args.file.clone().into_os_string();
            name.push(".rejected.csv");
            name.into()
        }
    });
    let options = batch::ImportOptions {
        input: args.file,
        api_url: args.api_url,
        credentials,
        chunk_size: args.chunk_size as usize,
        rejected_file: rejected_file.clone(),
        dry_run: args.dry_run,
    };
    let summary = batch::import(&options).await?;
    println!("{}", summary.describe(options.dry_run));
    if !summary.rejected.is_empty() {
        bail!(
            "{} rows were rejected; their lines and reasons are in {}",
            summary.rejected.len(),
            rejected_file.display()
        );
    }
    Ok(())
}

async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let token = std::env::var("TIMESHEETS_ACCESS_TOKEN")
        .map_err(|_| anyhow::anyhow!("give an access token in TIMESHEETS_ACCESS_TOKEN"))?;
    let mut query = vec![("from", args.from.as_str()), ("to", args.to.as_str())];
    if let Some(status) = &args.status {
        query.push(("status", status));
    }
    if args.everyone {
        query.push(("everyone", "true"));
    }
    let mut api = batch::ApiClient::with_token(&args.api_url, token)?;
    let csv = api.export(&query).await?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, csv).with_context(|| format!("cannot write {}", path.display()))?
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(csv.as_bytes())?;
        }
    }
    Ok(())
}

async fn users(command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Add {
            database: args,
            email,
            name,
            role,
            password,
        } => {
            let email = admin::normalize_email(&email)?;
            let password = password.read()?;
            let id =
                admin::add_user(&database(&args).await?, &email, &name, role, &password).await?;
            println!("added {email} ({role}), subject {id}");
        }
        UsersCommand::Invite {
            database: args,
            email,
            name,
            role,
            public_url,
        } => {
            let services = people_services(database(&args).await?, &public_url);
            let new = NewPerson {
                email,
                name,
                role: role.to_string(),
            };
            let invitation = services
                .invite_person(Operator::Shell, &new)
                .await
                .map_err(shell_error)?;
            println!(
                "invited {} ({}); send them this link to choose their password (valid 7 days, shown once):\n{}",
                invitation.person.email, invitation.person.role, invitation.link
            );
        }
        UsersCommand::SetRole {
            database: args,
            email,
            role,
            public_url,
        } => {
            let db = database(&args).await?;
            let id = account_id(&db, &email).await?;
            let services = people_services(db, &public_url);
            let person = services
                .set_person_role(Operator::Shell, &id, role.as_str())
                .await
                .map_err(shell_error)?;
            println!(
                "{} is now {}; they sign in again to use it",
                person.email, person.role
            );
        }
        UsersCommand::List { database: args } => {
            for account in admin::list_users(&database(&args).await?).await? {
                let state = if account.disabled {
                    "disabled"
                } else {
                    "active"
                };
                println!(
                    "{:<32} {:<24} {:<10} {:<8} {}",
                    account.email, account.name, account.role, state, account.id
                );
            }
        }
        UsersCommand::Disable {
            database: args,
            email,
            public_url,
        } => {
            let person = shell_set_disabled(&args, &public_url, &email, true).await?;
            println!("{} is disabled", person.email);
        }
        UsersCommand::Enable {
            database: args,
            email,
            public_url,
        } => {
            let person = shell_set_disabled(&args, &public_url, &email, false).await?;
            println!("{} may sign in again", person.email);
        }
        UsersCommand::SetPassword {
            database: args,
            email,
            password,
        } => {
            let password = password.read()?;
            admin::set_password(&database(&args).await?, &email, &password).await?;
            println!("the password of {email} is changed; their sign-ins ended and their passkeys were removed");
        }
    }
    Ok(())
}

/// Disables or enables someone through the service layer, so the change is in the trail.
async fn shell_set_disabled(
    args: &DatabaseArgs,
    public_url: &PublicUrlArg,
    email: &str,
    disabled: bool,
) -> anyhow::Result<app::admin::Person> {
    let db = database(args).await?;
    let id = account_id(&db, email).await?;
    people_services(db, public_url)
        .set_person_disabled(Operator::Shell, &id, disabled)
        .await
        .map_err(shell_error)
}

/// The service layer for the embedded provider's people, whose links start at the
/// server's public URL.
fn people_services(db: Db, public_url: &PublicUrlArg) -> ServerServices {
    ServerServices::new(db, None, Some(public_url.public_url.to_string()))
}

/// The subject of the account with this email.
async fn account_id(db: &Db, email: &str) -> anyhow::Result<String> {
    let mut conn = db.acquire().await?;
    Ok(provider::store::account_by_email(&mut conn, email.trim())
        .await?
        .with_context(|| format!("no user with email {}", email.trim()))?
        .id)
}

/// A server on the same SQLite file sees another process's commit within
/// `OTHERS_SEEN_WITHIN` (its page cache looks that often): waiting that out means that
/// once this command returns, every page the server serves shows the change.
async fn let_a_server_notice(services: &ServerServices) {
    if services.db().backend() == db::Backend::Sqlite {
        tokio::time::sleep(db::sqlite_reader::OTHERS_SEEN_WITHIN * 2).await;
    }
}

/// A refusal of the service layer, as the shell shows it (its message, not a status).
fn shell_error(error: ApiError) -> anyhow::Error {
    match error {
        ApiError::App(app::error::AppError::NotFound) => {
            anyhow::anyhow!("no such project or person")
        }
        ApiError::App(error) => anyhow::anyhow!("{error}"),
        ApiError::Internal(error) => error,
    }
}

async fn projects(command: ProjectsCommand) -> anyhow::Result<()> {
    let activate = matches!(command, ProjectsCommand::Activate { .. });
    let show = |project: &Project| {
        let state = if project.active { "active" } else { "archived" };
        format!(
            "{:<16} {:<32} {:<24} {:<8} {}",
            project.code,
            project.name,
            project.customer.as_deref().unwrap_or("-"),
            project.colour.as_deref().unwrap_or("-"),
            state
        )
    };
    match command {
        ProjectsCommand::Add {
            database: args,
            code,
            name,
            customer,
            colour,
        } => {
            let services = ServerServices::new(database(&args).await?, None, None);
            let new = NewProject {
                code,
                name,
                customer,
                colour,
            };
            let project = services
                .add_project(Operator::Shell, &new)
                .await
                .map_err(shell_error)?;
            let_a_server_notice(&services).await;
            println!("added {}", show(&project));
        }
        ProjectsCommand::List { database: args } => {
            let services = ServerServices::new(database(&args).await?, None, None);
            let projects = services
                .projects(Operator::Shell)
                .await
                .map_err(shell_error)?;
            if projects.is_empty() {
                println!("no projects yet: add one with `timesheets projects add --code CODE --name NAME`");
            }
            for project in &projects {
                println!("{}", show(project));
            }
        }
        ProjectsCommand::Rename {
            database: args,
            code,
            name,
            customer,
            colour,
        } => {
            let services = ServerServices::new(database(&args).await?, None, None);
            let current = services
                .project(Operator::Shell, &code)
                .await
                .map_err(shell_error)?;
            // What is not given stays as it is.
            let update = ProjectUpdate {
                name: name.unwrap_or(current.name),
                customer: customer.or(current.customer),
                colour: colour.or(current.colour),
            };
            let project = services
                .update_project(Operator::Shell, &code, &update)
                .await
                .map_err(shell_error)?;
            let_a_server_notice(&services).await;
            println!("changed {}", show(&project));
        }
        ProjectsCommand::Archive {
            database: args,
            code,
        }
        | ProjectsCommand::Activate {
            database: args,
            code,
        } => {
            let services = ServerServices::new(database(&args).await?, None, None);
            let project = services
                .set_project_active(Operator::Shell, &code, activate)
                .await
                .map_err(shell_error)?;
            let done = if activate { "reactivated" } else { "archived" };
            let_a_server_notice(&services).await;
            println!("{done} {}", show(&project));
        }
    }
    Ok(())
}

async fn clients(command: ClientsCommand) -> anyhow::Result<()> {
    let ClientsCommand::Add {
        database: args,
        id,
        name,
        public,
        redirect_uris,
        post_logout_redirect_uris,
        scopes,
    } = command;
    let db = database(&args).await?;
    let name = name.unwrap_or_else(|| id.clone());
    if public {
        admin::add_public_client(&db, &id, &name, &redirect_uris, &post_logout_redirect_uris)
            .await?;
        println!("registered the public client {id}");
    } else {
        if !redirect_uris.is_empty() {
            bail!("redirect URIs are for --public clients; batch clients use client credentials");
        }
        let scopes = if scopes.is_empty() {
            vec![Scope::BatchUpload]
        } else {
            scopes
        };
        let secret = admin::add_confidential_client(&db, &id, &name, &scopes).await?;
        println!("registered the batch client {id}");
        println!("client secret (shown once, store it now): {secret}");
    }
    Ok(())
}

/// What a new instance still needs before anyone can log time, as commands to run: an
/// admin (embedded provider) and a first project.
async fn first_steps(app: &Application) -> anyhow::Result<Option<String>> {
    let mut conn = app.db().acquire().await?;
    let mut steps = Vec::new();
    let embedded = app.provider_settings();
    if let Some(settings) = embedded {
        let has_admin = provider::store::accounts(&mut conn)
            .await?
            .iter()
            .any(|account| account.role == Role::Admin && !account.disabled);
        if !has_admin {
            steps.push(format!(
                "  1. Make the first admin (prints a link to choose the password):\n     timesheets users invite --role admin --email you@example.com --name \"Your Name\" --public-url {}\n     (or `timesheets users add --role admin …` to type the password here)",
                settings.issuer
            ));
        }
    }
    if !crate::store::projects::any(&mut conn).await? {
        steps.push(format!(
            "  {}. Add the first project (or sign in as an admin and use the Admin screen):\n     timesheets projects add --code ACME --name \"Acme website\"",
            steps.len() + 1
        ));
    }
    if steps.is_empty() {
        return Ok(embedded.map(|settings| {
            format!(
                "Open {} and sign in; add people on the Admin screen or with `timesheets users invite`.",
                settings.issuer
            )
        }));
    }
    let sign_in = match embedded {
        Some(settings) => format!("Then open {} and sign in.", settings.issuer),
        None => "People sign in at your OpenID Connect provider; give admins the manage:projects permission there.".to_owned(),
    };
    Ok(Some(format!(
        "This instance is new: nobody can log time yet.\n{}\n{sign_in}\nSee docs/OPERATIONS.md, \"First day in production\".",
        steps.join("\n")
    )))
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let shutdown_timeout = args.shutdown_timeout();
    let shutdown = crate::startup::shutdown_signal();
    let app = Application::build(args).await?;
    tracing::info!("Timesheets is listening on http://{}", app.address());
    if let Some(settings) = app.provider_settings() {
        if settings.demo {
            println!("{}", crate::demo::credentials(settings));
        }
    }
    if let Some(advice) = first_steps(&app).await? {
        println!("{advice}");
    }
    app.run_until_stopped(shutdown, shutdown_timeout)
        .await
        .context("the server stopped with an error")
}
