#!/usr/bin/env bash
# Analytics benchmark on PostgreSQL: a full RFM recalculation over
# $CUSTOMERS customers and about $ORDERS orders, and the latency of the
# dashboard queries against the running server.
#
#   scripts/bench-analytics.sh                    # from the repository root
#   CUSTOMERS=100000 ORDERS=500000 scripts/bench-analytics.sh
#
# 1. builds the server (release; the SPA is skipped, it plays no part);
# 2. creates the database crm360_bench_analytics if missing and runs
#    `crm360 seed --customers N --orders M` (idempotent: a rerun only
#    tops up, so the data set is built once), then ANALYZE;
# 3. times `crm360 run-job rfm` (the nightly job: scores, segments, tier,
#    type, lifecycle, temperature and drop-off risk of every customer,
#    set-based) $RFM_RUNS times;
# 4. starts `crm360 serve` and runs scripts/bench_dashboard.py: $RUNS
#    sequential calls of each dashboard query (`dashboard` over 7, 30 and
#    92 days, `kpis`), printing p50 / p90 / p99 / max per query.
#
# Needs PostgreSQL at $PG_HOST:$PG_PORT (user $PG_USER, trust auth), psql,
# curl and python3. The database is left in place; outputs and the server
# log go to target/bench-analytics/.
#
# Environment (defaults in brackets): CUSTOMERS [1000000], ORDERS [5000000],
# RFM_RUNS [2], RUNS [50], PORT [18090], PG_HOST [127.0.0.1], PG_PORT [5432],
# PG_USER [postgres].
set -euo pipefail

CUSTOMERS=${CUSTOMERS:-1000000}
ORDERS=${ORDERS:-5000000}
RFM_RUNS=${RFM_RUNS:-2}
RUNS=${RUNS:-50}
PORT=${PORT:-18090}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}

DB=crm360_bench_analytics
EMAIL=bench@crm360.local
PASSWORD=bench-password-123
BIND=127.0.0.1:$PORT

cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=target/bench-analytics
SERVER=target/release/crm360
mkdir -p "$OUT"

PSQL=(env PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER")
CRM360_ENV=(
    env
    DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$DB"
    CRM360_BIND="$BIND"
    CRM360_ADMIN_EMAIL="$EMAIL"
    CRM360_ADMIN_PASSWORD="$PASSWORD"
    CRM360_DEMO_DATA=false
    CRM360_GRAPHIQL=false
    CRM360_JOBS_ENABLED=false
    JWT_SECRET=crm360-bench-analytics-jwt-secret-not-for-production
    RUST_LOG=warn
)

SERVER_PID=
stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}
trap stop_server EXIT
say() { printf '\n==> %s\n' "$*"; }
die() {
    echo "bench-analytics: FAILED: $*" >&2
    exit 1
}

say "building the server (release)"
CRM360_SKIP_SPA=1 cargo build --release -q -p crm360

say "data set: $CUSTOMERS customers, about $ORDERS orders (database $DB)"
if [[ -z $("${PSQL[@]}" -d postgres -At -c "SELECT 1 FROM pg_database WHERE datname = '$DB'") ]]; then
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
fi
# The first admin is created on first start; seed needs none.
/usr/bin/time -f "seed: %e s wall, %M KiB max RSS" "${CRM360_ENV[@]}" "$SERVER" seed --customers "$CUSTOMERS" --orders "$ORDERS" 2>&1 \
    | grep -v "INFO" | tee "$OUT/seed.txt"
"${PSQL[@]}" -d "$DB" -c "ANALYZE"
"${PSQL[@]}" -d "$DB" -At -F ' ' -c "SELECT 'rows:', (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM orders) AS orders" | tee -a "$OUT/seed.txt"

say "full RFM recalculation, $RFM_RUNS run(s)"
for run in $(seq 1 "$RFM_RUNS"); do
    /usr/bin/time -f "rfm run $run: %e s wall, %M KiB max RSS of the process" "${CRM360_ENV[@]}" "$SERVER" run-job rfm 2>&1 \
        | grep -v "INFO" | tee -a "$OUT/rfm.txt"
done

say "dashboard queries against the server, $RUNS calls each"
"${CRM360_ENV[@]}" "$SERVER" serve >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$BIND/readyz") == 200 ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited (log: $OUT/server.log)"
    sleep 0.5
done
python3 scripts/bench_dashboard.py --url "http://$BIND/graphql" --email "$EMAIL" --password "$PASSWORD" --runs "$RUNS" \
    | tee "$OUT/dashboard.txt"
