# Everyday recipes. `just` is optional: each recipe is a plain cargo command.

_default:
    @just --list

# Run the server (SQLite under ./data, demo data on first start, SPA at /)
run:
    cargo run --release

# Run the server without rebuilding the SPA (backend work; serves a placeholder page)
dev:
    CRM360_SKIP_SPA=1 cargo run

# Every test: unit tests and the black-box suite on SQLite and (when reachable) PostgreSQL
test:
    cargo test --workspace

# The black-box suite on PostgreSQL + Redis only, failing if they are down
test-pg:
    CRM360_REQUIRE_PG=1 cargo test -p crm360-tests -- postgres

# Format the code
fmt:
    cargo fmt --all

# Lints as CI runs them
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Regenerate schema.graphql from the code
schema:
    cargo run -- export-schema --out schema.graphql

# Add N demo customers (idempotent)
seed n="100000":
    cargo run --release -- seed --customers {{n}}

# Benchmark: seeding 100,000 customers on SQLite and on PostgreSQL (fresh databases)
bench n="100000":
    cargo build --release
    rm -f /tmp/crm360-bench.db*
    time env DATABASE_URL="sqlite:///tmp/crm360-bench.db?mode=rwc" CRM360_DEMO_DATA=false ./target/release/crm360 seed --customers {{n}}
    psql -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS crm360_bench" -c "CREATE DATABASE crm360_bench"
    time env DATABASE_URL="postgres://postgres@127.0.0.1:5432/crm360_bench" ./target/release/crm360 seed --customers {{n}}

# Benchmark: wallet deposits / withdraws on PostgreSQL over HTTP, next to pgbench (DURATION=30 s per run)
bench-wallet:
    scripts/bench-wallet.sh

# Benchmark: walletEvents fan-out to 1,000 and 10,000 WebSocket subscribers (SQLite; `just bench-realtime --postgres`)
bench-realtime *args:
    scripts/bench-realtime.sh {{args}}

# Benchmark: full RFM recalculation and dashboard query latency on PostgreSQL (CUSTOMERS=1000000 ORDERS=5000000 by default)
bench-analytics:
    scripts/bench-analytics.sh

# Benchmark: previewSegment, a 1,000,000-customer audience snapshot and delivery throughput through the simulated vendor (PostgreSQL)
bench-campaign:
    scripts/bench-campaign.sh

# Benchmark: a 1,000,000-row customers CSV through POST /imports (rows/s, peak RSS), then the whole list exported (ROWS=… for another size)
bench-import:
    scripts/bench-import.sh

# The SPA: release bundle size (raw and gzip) and first render in headless Chromium (cold and warm cache)
bench-spa:
    scripts/spa-size.sh
    cargo test --release -p crm360-tests --test e2e -- --ignored first_render --nocapture

# Screenshots of every screen on demo data (wide / phone, light / dark) into target/e2e-screenshots/shots/
screenshots:
    cargo test -p crm360-tests --test e2e -- --ignored screenshots
