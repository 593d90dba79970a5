//! The command line: `timesheets [serve]` and the administration subcommands.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context};
use app::auth::Scope;

use crate::{
    config::{DatabaseArgs, ServeArgs},
    db::Db,
    provider::{admin, roles::Role},
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
    /// Apps registered with the embedded provider.
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// The embedded provider's signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
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
    },
    /// Let a disabled person sign in again.
    Enable {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        email: String,
    },
    /// Set a new password (from `TIMESHEETS_PASSWORD`, `--password-file` or a prompt).
    SetPassword {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordSource,
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
}

async fn database(args: &DatabaseArgs) -> anyhow::Result<Db> {
    let db = Db::connect(args).await?;
    db.migrate().await?;
    Ok(db)
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(*args).await,
        Some(Command::Migrate(args)) => {
            let db = Db::connect(&args).await?;
            db.migrate().await?;
            tracing::info!(backend = %db.backend(), "database is up to date");
            Ok(())
        }
        Some(Command::Users(command)) => users(command).await,
        Some(Command::Clients(command)) => clients(command).await,
        Some(Command::Keys(KeysCommand::Rotate { database: args })) => {
            let kid = admin::rotate_keys(&database(&args).await?).await?;
            println!("new signing key {kid}; the previous one stays published for 2 hours");
            Ok(())
        }
    }
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
        } => {
            admin::set_disabled(&database(&args).await?, &email, true).await?;
            println!("{email} is disabled");
        }
        UsersCommand::Enable {
            database: args,
            email,
        } => {
            admin::set_disabled(&database(&args).await?, &email, false).await?;
            println!("{email} may sign in again");
        }
        UsersCommand::SetPassword {
            database: args,
            email,
            password,
        } => {
            let password = password.read()?;
            admin::set_password(&database(&args).await?, &email, &password).await?;
            println!("the password of {email} is changed");
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

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let shutdown_timeout = args.shutdown_timeout();
    let app = Application::build(args).await?;
    tracing::info!("Timesheets is listening on http://{}", app.address());
    if let Some(settings) = app.provider_settings() {
        if settings.demo {
            println!("{}", admin::demo_credentials(settings));
        } else {
            println!(
                "Open {} and sign in; add people with `timesheets users add`.",
                settings.issuer
            );
        }
    }
    app.run_until_stopped(crate::startup::shutdown_signal(), shutdown_timeout)
        .await
        .context("the server stopped with an error")
}
