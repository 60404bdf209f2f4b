//! The `crm360` binary: see [`crm360::cli`].

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm360::cli::run(crm360::cli::Cli::parse()).await
}
