#!/usr/bin/env bash
# Campaign benchmark on PostgreSQL (issue 8): previewSegment on a
# three-condition segment, the snapshot of a 1,000,000-customer audience
# into the communication log, and delivery throughput through the
# simulated vendor with its receipts.
#
#   scripts/bench-campaign.sh                 # from the repository root
#   CUSTOMERS=100000 scripts/bench-campaign.sh
#
# 1. builds the server (release, without the SPA);
# 2. creates the database crm360_bench_campaign if missing and runs
#    `crm360 seed --customers N` (idempotent), then ANALYZE;
# 3. starts `crm360 serve` with campaign delivery on (batch $BATCH, rate
#    $RATE per second per channel) and runs scripts/bench_campaign.py.
#
# Needs PostgreSQL at $PG_HOST:$PG_PORT (user $PG_USER, trust auth), psql,
# curl and python3. The database is left in place (campaign rows are
# removed first, so reruns start alike); outputs and the server log go to
# target/bench-campaign/.
#
# Environment (defaults in brackets): SKIP_BUILD [unset: build], CUSTOMERS [1000000], RUNS [30],
# DELIVERY_SECONDS [180], BATCH [2000], RATE [100000], PORT [18091],
# PG_HOST [127.0.0.1], PG_PORT [5432], PG_USER [postgres].
set -euo pipefail

CUSTOMERS=${CUSTOMERS:-1000000}
RUNS=${RUNS:-30}
DELIVERY_SECONDS=${DELIVERY_SECONDS:-180}
BATCH=${BATCH:-2000}
RATE=${RATE:-100000}
PORT=${PORT:-18091}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}

DB=crm360_bench_campaign
EMAIL=bench@crm360.local
PASSWORD=bench-password-123
BIND=127.0.0.1:$PORT

cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=target/bench-campaign
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
    CRM360_DELIVERY_BATCH="$BATCH"
    CRM360_DELIVERY_RATE_PER_SECOND="$RATE"
    CRM360_DB_MAX_CONNECTIONS=16
    JWT_SECRET=crm360-bench-campaign-jwt-secret-not-for-production
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
    echo "bench-campaign: FAILED: $*" >&2
    exit 1
}

if [[ -z ${SKIP_BUILD:-} ]]; then
    say "building the server (release)"
    CRM360_SKIP_SPA=1 cargo build --release -q -p crm360
fi

say "data set: $CUSTOMERS customers (database $DB)"
if [[ -z $("${PSQL[@]}" -d postgres -At -c "SELECT 1 FROM pg_database WHERE datname = '$DB'") ]]; then
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
fi
/usr/bin/time -f "seed: %e s wall, %M KiB max RSS" "${CRM360_ENV[@]}" "$SERVER" seed --customers "$CUSTOMERS" 2>&1 \
    | grep -v "INFO" | tee "$OUT/seed.txt"
# Earlier runs' campaigns go, so every run snapshots into an empty log.
"${PSQL[@]}" -d "$DB" -c "DELETE FROM activities WHERE kind = 'campaign.message'" \
    -c "DELETE FROM communication_log" -c "DELETE FROM sim_vendor_messages" -c "DELETE FROM campaigns" \
    -c "DELETE FROM segments" -c "VACUUM ANALYZE"
"${PSQL[@]}" -d "$DB" -At -F ' ' -c "SELECT 'customers:', count(*) FROM customers" | tee -a "$OUT/seed.txt"

say "campaign queries and delivery against the server"
"${CRM360_ENV[@]}" "$SERVER" serve >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$BIND/readyz") == 200 ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited (log: $OUT/server.log)"
    sleep 0.5
done
python3 scripts/bench_campaign.py --url "http://$BIND/graphql" --email "$EMAIL" --password "$PASSWORD" \
    --runs "$RUNS" --delivery-seconds "$DELIVERY_SECONDS" | tee "$OUT/campaign.txt"
