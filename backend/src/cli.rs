//! The `crm360` command line (clap): `serve` (default), `migrate`, `seed`,
//! `export-schema`, `create-user`, `backup`, `restore`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::app::{AppCtx, Application};
use crate::auth::{Principal, Role};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::imports::ImportKind;

/// crm360: a customer-360 CRM server.
#[derive(Debug, Parser)]
#[command(name = "crm360", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default): GraphQL, WebSocket, SPA, health.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Add realistic demo customers (Vietnamese names and phones). Running it
    /// again with the same N adds nothing.
    Seed {
        /// How many customers the seeded set should hold.
        #[arg(long, default_value_t = 1000)]
        customers: u64,
        /// About how many orders to give them (over the last year; 0: none).
        /// Customer totals and RFM are brought up to date afterwards.
        #[arg(long, default_value_t = 0)]
        orders: u64,
    },
    /// Run a scheduled job now (`rfm`, `fraud`, `credit-expiry`, …) and
    /// print its run: recorded like a scheduled run, under the same lock.
    RunJob {
        /// The job's name, as `jobs` lists it.
        name: String,
    },
    /// Print the GraphQL SDL (or write it to a file; `--check` fails when
    /// the file differs).
    ExportSchema {
        /// File to write or check, e.g. `schema.graphql`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Compare with `--out` instead of writing; exit 1 when stale.
        #[arg(long, requires = "out")]
        check: bool,
    },
    /// Import customers or orders from a CSV file, with a progress bar; bad
    /// rows are reported by line (and written to `<file>.errors.csv`) and
    /// skipped. Running it again adds nothing new.
    Import {
        /// `customers` or `orders` (columns in the README).
        #[arg(value_enum)]
        what: ImportKind,
        #[arg(long)]
        file: PathBuf,
        /// Where to write the error report (default `<file>.errors.csv`).
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Copy the database to FILE while the server runs: a consistent online
    /// copy (`VACUUM INTO` on SQLite, `pg_dump --format=custom` on
    /// PostgreSQL), checked before it takes the name.
    Backup {
        #[arg(long)]
        out: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Replace the database with a backup. Stop the server first. A database
    /// that holds data is replaced only when confirmed (`--yes`, or typing
    /// `restore` at the prompt); on SQLite the replaced one is kept as
    /// `<db>.before-restore-<time>`.
    Restore {
        #[arg(long)]
        from: PathBuf,
        /// Confirm replacing a database that holds data.
        #[arg(long)]
        yes: bool,
    },
    /// Write the persisted-query manifest of the SPA's own operations
    /// (Apollo's format), for operators to extend with integrators'
    /// operations and name in `persisted_queries_manifest`.
    Safelist {
        /// File to write (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Create a staff user. The password comes from `--password`, or
    /// `CRM360_NEW_USER_PASSWORD`, or is generated and printed once.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, env = "CRM360_NEW_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::ExportSchema { out, check } => export_schema(out, check),
        Command::Serve => serve().await,
        Command::Migrate => {
            let ctx = connect().await?;
            ctx.db.migrate().await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Seed { customers, orders } => {
            let ctx = connect().await?;
            ctx.db.migrate().await?;
            let report = crate::seed::customers(&ctx, customers, true).await?;
            println!(
                "seed: {} customers added, {} already there, in {:.1}s",
                report.added,
                report.existing,
                report.elapsed.as_secs_f64()
            );
            if orders > 0 {
                let o = crate::seed::orders::orders(&ctx, orders, true).await?;
                println!("seed: {} orders added in {:.1}s", o.added, o.seconds);
                if o.added > 0 {
                    let run = crate::jobs::run_job(&ctx, "rfm", "seed").await?;
                    println!("seed: rfm in {:.1}s: {}", run.duration_ms as f64 / 1000.0, run.summary);
                }
            }
            Ok(())
        }
        Command::RunJob { name } => {
            let ctx = connect().await?;
            ctx.db.migrate().await?;
            let run = crate::jobs::run_job(&ctx, &name, "cli").await?;
            println!("{name}: {} in {} ms: {}", if run.ok { "ok" } else { "FAILED" }, run.duration_ms, run.summary);
            if !run.ok {
                bail!("the {name} job failed");
            }
            Ok(())
        }
        Command::Import { what, file, report } => {
            let ctx = connect().await?;
            ctx.db.migrate().await?;
            let summary = crate::imports::file(&ctx, what, &file, report, true).await?;
            println!(
                "import: {} rows, {} created, {} already there, {} skipped",
                summary.rows,
                summary.created,
                summary.existing,
                summary.errors.len()
            );
            for e in summary.errors.iter().take(20) {
                println!(
                    "  line {}: {}{}",
                    e.line,
                    e.column.as_deref().map(|c| format!("{c}: ")).unwrap_or_default(),
                    e.message
                );
            }
            if let Some(path) = &summary.report {
                println!("every skipped row is in {}", path.display());
            }
            Ok(())
        }
        Command::Backup { out, force } => {
            let config = Config::load()?;
            let b = crate::backup::backup(&config.database_url, &out, force).await?;
            let customers = b.customers.map(|n| format!(", {n} customers")).unwrap_or_default();
            println!("backup: {} ({} bytes{customers})", b.file.display(), b.bytes);
            Ok(())
        }
        Command::Restore { from, yes } => {
            let config = Config::load()?;
            let url = &config.database_url;
            let confirmed = yes || (crate::backup::holds_data(url).await? && confirm_restore(url)?);
            let r = crate::backup::restore(url, &from, confirmed).await?;
            println!(
                "restored {} into {}{}",
                from.display(),
                crate::db::redact_url(url),
                r.customers.map(|n| format!(" ({n} customers)")).unwrap_or_default()
            );
            if let Some(previous) = r.previous {
                println!("the database it replaced is kept at {}", previous.display());
            }
            Ok(())
        }
        Command::Safelist { out } => {
            let manifest = crate::http::persisted::spa_manifest();
            let json = serde_json::to_string_pretty(&manifest)? + "\n";
            match out {
                Some(path) => {
                    std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
                    println!("wrote {} operations to {}", manifest.operations.len(), path.display());
                }
                None => print!("{json}"),
            }
            Ok(())
        }
        Command::CreateUser { email, role, name, password } => {
            let role = Role::parse(&role)
                .with_context(|| format!("unknown role {role:?}: ADMIN, MANAGER, AGENT or VIEWER"))?;
            let ctx = connect().await?;
            ctx.db.migrate().await?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (crate::auth::service::generate_password(), true),
            };
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or("staff").to_owned());
            let user = crate::auth::service::create_user(
                &ctx,
                &Principal::system(),
                crate::auth::service::NewUser { email, name, role, password: password.clone() },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created {} user {} (id {})", role.as_str(), user.email, user.id);
            if generated {
                println!("password (shown once): {password}");
            }
            Ok(())
        }
    }
}

/// Asks on a terminal before a restore replaces a database with data; off
/// a terminal the answer is no (pass `--yes`).
fn confirm_restore(url: &str) -> anyhow::Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    print!("{} holds data and will be replaced. Type `restore` to go on: ", crate::db::redact_url(url));
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "restore")
}

async fn connect() -> anyhow::Result<AppCtx> {
    let config = Config::load()?;
    crate::telemetry::init_logs(config.log_format);
    AppCtx::connect(config, std::sync::Arc::new(SystemClock)).await
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::load()?;
    crate::telemetry::init_logs(config.log_format);
    let db = crate::db::redact_url(&config.database_url);
    let app = Application::build(config).await?;
    if let Some(password) = &app.generated_admin_password {
        println!();
        println!("  First run: created the admin account (the password is shown only this once)");
        println!("    email:    {}", app.ctx().config.admin_email);
        println!("    password: {password}");
        println!();
    }
    let addr = app.local_addr();
    tracing::info!(%addr, database = %db, event_bus = app.ctx().bus.kind(), "crm360 listening");
    println!("  crm360 is running: open http://{addr}/  (GraphQL at http://{addr}/graphql)");
    app.run().await
}

fn export_schema(out: Option<PathBuf>, check: bool) -> anyhow::Result<()> {
    let sdl = crate::graphql::sdl();
    match (out, check) {
        (None, _) => {
            print!("{sdl}");
            Ok(())
        }
        (Some(path), false) => {
            std::fs::write(&path, &sdl).with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
            Ok(())
        }
        (Some(path), true) => {
            let current = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            if current != sdl {
                bail!("{} is stale: run `cargo run -- export-schema --out {}`", path.display(), path.display());
            }
            println!("{} is up to date", path.display());
            Ok(())
        }
    }
}
