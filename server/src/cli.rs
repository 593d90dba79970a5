//! The command line: `timesheets [serve]` and the administration subcommands.

use anyhow::Context;

use crate::{
    config::{DatabaseArgs, ServeArgs},
    db::Db,
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
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let shutdown_timeout = args.shutdown_timeout();
    let app = Application::build(args).await?;
    tracing::info!("Timesheets is listening on http://{}", app.address());
    app.run_until_stopped(crate::startup::shutdown_signal(), shutdown_timeout)
        .await
        .context("the server stopped with an error")
}
