#!/usr/bin/env bash
# Wallet benchmark: deposit / withdraw throughput of crm360 on PostgreSQL,
# next to pgbench's TPC-B-like run on the same machine as a yardstick.
#
#   scripts/bench-wallet.sh                      # from the repository root
#   CRM360_SKIP_SPA=1 DURATION=60 scripts/bench-wallet.sh
#
# 1. builds the server and the load generator (release);
# 2. recreates the database crm360_bench_wallet, migrates it and seeds
#    $CUSTOMERS customers;
# 3. starts `crm360 serve` on 127.0.0.1:$PORT and runs `wallet-load` twice:
#    spread over $WALLETS wallets, then every client on one hot wallet;
#    after each run it checks the ledger invariants in SQL (balance = sum of
#    the ledger, no balance below zero, every row starts where the previous
#    one of its wallet ended, at least one ledger row per completed operation);
# 4. runs pgbench (-s 10, then -s 1: one branch row, the hot case) with the
#    same number of clients on a fresh database crm360_pgbench;
# 5. prints a table: wallet ops/s, latency, pgbench TPS, and the ratio.
#
# Needs PostgreSQL at $PG_HOST:$PG_PORT (user $PG_USER, trust auth), psql,
# pgbench and curl. Both databases are left in place for inspection; outputs
# and the server log go to target/bench-wallet/.
#
# Environment (defaults in brackets): DURATION [30] seconds per run,
# WARMUP [3], CLIENTS [32], CUSTOMERS [10000], WALLETS [10000],
# WITHDRAW_RATIO [0.3], PORT [18080], DB_MAX_CONNECTIONS [40],
# PG_HOST [127.0.0.1], PG_PORT [5432], PG_USER [postgres],
# BENCH_SKIP_WALLET=1 / BENCH_SKIP_PGBENCH=1 to run only one half,
# CRM360_SKIP_SPA=1 (passed to cargo) to skip the WebAssembly SPA build.
set -euo pipefail

DURATION=${DURATION:-30}
WARMUP=${WARMUP:-3}
CLIENTS=${CLIENTS:-32}
CUSTOMERS=${CUSTOMERS:-10000}
WALLETS=${WALLETS:-10000}
WITHDRAW_RATIO=${WITHDRAW_RATIO:-0.3}
PORT=${PORT:-18080}
DB_MAX_CONNECTIONS=${DB_MAX_CONNECTIONS:-40}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
BENCH_SKIP_WALLET=${BENCH_SKIP_WALLET:-0}
BENCH_SKIP_PGBENCH=${BENCH_SKIP_PGBENCH:-0}

DB=crm360_bench_wallet
PGBENCH_DB=crm360_pgbench
ADMIN_EMAIL=bench@crm360.local
ADMIN_PASSWORD=bench-password-123
BIND=127.0.0.1:$PORT

cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=target/bench-wallet
SERVER=target/release/crm360
LOAD=target/release/wallet-load

PSQL=(env PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER")
PGBENCH=(pgbench -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER")
# The server's whole configuration, given on every call.
CRM360_ENV=(
    env
    DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$DB"
    CRM360_BIND="$BIND"
    CRM360_DB_MAX_CONNECTIONS="$DB_MAX_CONNECTIONS"
    CRM360_ADMIN_EMAIL="$ADMIN_EMAIL"
    CRM360_ADMIN_PASSWORD="$ADMIN_PASSWORD"
    CRM360_DEMO_DATA=false
    CRM360_GRAPHIQL=false
    JWT_SECRET=crm360-bench-wallet-jwt-secret-not-for-production
    RUST_LOG=warn
)

SERVER_PID=
trap 'echo "bench-wallet: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR
trap stop_server EXIT

say() { printf '\n==> %s\n' "$*"; }
die() {
    echo "bench-wallet: FAILED: $*" >&2
    exit 1
}

stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}

# recreate_db NAME
recreate_db() {
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
}

start_server() {
    if curl -s -o /dev/null --max-time 2 "http://$BIND/readyz"; then
        die "something already answers on $BIND; stop it or choose another PORT"
    fi
    "${CRM360_ENV[@]}" "$SERVER" serve >"$OUT/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 120); do
        if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$BIND/readyz") == 200 ]]; then
            echo "server ready on $BIND (pid $SERVER_PID)"
            return
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            tail -n 20 "$OUT/server.log" >&2
            SERVER_PID=
            die "the server exited during start-up (log: $OUT/server.log)"
        fi
        sleep 0.5
    done
    tail -n 20 "$OUT/server.log" >&2
    die "the server was not ready within 60 s (log: $OUT/server.log)"
}

# result_field FILE KEY: a value from wallet-load's `RESULT k=v …` line.
result_field() {
    local value
    value=$(awk -v k="$2" '$1 == "RESULT" { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1")
    [[ -n $value ]] || die "no $2 in the RESULT line of $1"
    echo "$value"
}

ledger_rows() {
    "${PSQL[@]}" -d "$DB" -At -c "SELECT count(*) FROM wallet_transactions"
}

# check_invariants CASE ROWS_BEFORE: the ledger agrees with the balances.
check_invariants() {
    local case=$1 rows_before=$2 counts bad_wallets broken_chain rows_after deposits withdraws completed added
    deposits=$(result_field "$OUT/$case.txt" all_deposits)
    withdraws=$(result_field "$OUT/$case.txt" all_withdraws)
    counts=$("${PSQL[@]}" -d "$DB" -At -F ' ' <<'SQL'
WITH sums AS (
    SELECT wallet_id,
           sum(real_after - real_before) AS real_sum,
           sum(virtual_after - virtual_before) AS virtual_sum
    FROM wallet_transactions
    GROUP BY wallet_id
), bad_wallets AS (
    SELECT w.id
    FROM wallets w
    LEFT JOIN sums s ON s.wallet_id = w.id
    WHERE w.real_balance <> coalesce(s.real_sum, 0)
       OR w.virtual_balance <> coalesce(s.virtual_sum, 0)
       OR w.real_balance < 0 OR w.virtual_balance < 0 OR w.points < 0
), chain AS (
    SELECT real_before, virtual_before,
           lag(real_after) OVER w AS prev_real_after,
           lag(virtual_after) OVER w AS prev_virtual_after
    FROM wallet_transactions
    WINDOW w AS (PARTITION BY wallet_id ORDER BY id)
)
SELECT (SELECT count(*) FROM bad_wallets),
       (SELECT count(*) FROM chain
        WHERE real_before IS DISTINCT FROM prev_real_after AND prev_real_after IS NOT NULL
           OR virtual_before IS DISTINCT FROM prev_virtual_after AND prev_virtual_after IS NOT NULL),
       (SELECT count(*) FROM wallet_transactions);
SQL
    )
    read -r bad_wallets broken_chain rows_after <<<"$counts"
    completed=$((deposits + withdraws))
    added=$((rows_after - rows_before))
    echo "invariants ($case): $bad_wallets wallets off their ledger or below zero," \
        "$broken_chain ledger rows not starting where the previous one ended," \
        "$added ledger rows for $completed completed deposits + withdraws"
    if ((bad_wallets > 0)); then
        "${PSQL[@]}" -d "$DB" <<'SQL'
SELECT w.id AS wallet_id, w.real_balance, coalesce(sum(t.real_after - t.real_before), 0) AS ledger_real,
       w.virtual_balance, coalesce(sum(t.virtual_after - t.virtual_before), 0) AS ledger_virtual, w.points
FROM wallets w
LEFT JOIN wallet_transactions t ON t.wallet_id = w.id
GROUP BY w.id, w.real_balance, w.virtual_balance, w.points
HAVING w.real_balance <> coalesce(sum(t.real_after - t.real_before), 0)
    OR w.virtual_balance <> coalesce(sum(t.virtual_after - t.virtual_before), 0)
    OR w.real_balance < 0 OR w.virtual_balance < 0 OR w.points < 0
ORDER BY w.id
LIMIT 10;
SQL
    fi
    if ((broken_chain > 0)); then
        "${PSQL[@]}" -d "$DB" <<'SQL'
SELECT * FROM (
    SELECT id, wallet_id, real_before, lag(real_after) OVER w AS prev_real_after,
           virtual_before, lag(virtual_after) OVER w AS prev_virtual_after
    FROM wallet_transactions
    WINDOW w AS (PARTITION BY wallet_id ORDER BY id)
) c
WHERE real_before IS DISTINCT FROM prev_real_after AND prev_real_after IS NOT NULL
   OR virtual_before IS DISTINCT FROM prev_virtual_after AND prev_virtual_after IS NOT NULL
ORDER BY wallet_id, id
LIMIT 10;
SQL
    fi
    if ((bad_wallets > 0 || broken_chain > 0 || added < completed)); then
        die "invariants violated after the $case run"
    fi
    if ((added != completed)); then
        echo "note: more ledger rows than completed operations (requests that timed out but committed?)"
    fi
    echo "invariants: OK"
}

# wallet_case NAME ARGS…: one wallet-load run and its invariant check.
wallet_case() {
    local case=$1 rows_before status=0
    shift
    say "wallet-load: $case ($CLIENTS clients, ${DURATION}s after ${WARMUP}s warm-up)"
    rows_before=$(ledger_rows)
    "$LOAD" --url "http://$BIND/graphql" --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" \
        --clients "$CLIENTS" --duration-secs "$DURATION" --warmup-secs "$WARMUP" \
        --withdraw-ratio "$WITHDRAW_RATIO" "$@" | tee "$OUT/$case.txt" || status=$?
    grep -q '^RESULT ' "$OUT/$case.txt" || die "wallet-load ($case) stopped without a result (exit $status)"
    check_invariants "$case" "$rows_before"
    ((status == 0)) || die "wallet-load ($case) reported failures (exit $status)"
}

# pgbench_tps SCALE: initialise at that scale, run, print the TPS.
pgbench_tps() {
    local out="$OUT/pgbench-s$1.txt" tps
    say "pgbench -s $1: $CLIENTS clients, ${DURATION}s" >&2
    "${PGBENCH[@]}" -i -q -s "$1" "$PGBENCH_DB" >"$OUT/pgbench-init-s$1.txt" 2>&1 ||
        { cat "$OUT/pgbench-init-s$1.txt" >&2; die "pgbench -i -s $1"; }
    "${PGBENCH[@]}" -c "$CLIENTS" -j 2 -T "$DURATION" -n "$PGBENCH_DB" >"$out" 2>&1 ||
        { cat "$out" >&2; die "pgbench -s $1"; }
    grep -E '^(latency average|tps) = ' "$out" >&2
    # pgbench ≥ 14: "tps = N (without initial connection time)"; older:
    # "tps = N (excluding connections establishing)".
    tps=$(awk '/^tps = .*(without initial connection time|excluding connections establishing)/ { printf "%.1f", $3 }' "$out")
    [[ -n $tps ]] || die "no tps line in $out"
    echo "$tps"
}

mkdir -p "$OUT"
spread_ops=- spread_p50=- spread_p99=- hot_ops=- hot_p50=- hot_p99=- tps10=- tps1=-

if [[ $BENCH_SKIP_WALLET != 1 ]]; then
    say "building (release)"
    cargo build --release -p crm360 -p crm360-tests

    say "database $DB: $CUSTOMERS customers"
    recreate_db "$DB"
    "${CRM360_ENV[@]}" "$SERVER" migrate
    "${CRM360_ENV[@]}" "$SERVER" seed --customers "$CUSTOMERS"

    say "starting the server"
    start_server

    wallet_case spread --wallets "$WALLETS"
    spread_ops=$(result_field "$OUT/spread.txt" ops_per_sec)
    spread_p50=$(result_field "$OUT/spread.txt" p50_ms)
    spread_p99=$(result_field "$OUT/spread.txt" p99_ms)

    wallet_case hot --hot
    hot_ops=$(result_field "$OUT/hot.txt" ops_per_sec)
    hot_p50=$(result_field "$OUT/hot.txt" p50_ms)
    hot_p99=$(result_field "$OUT/hot.txt" p99_ms)

    stop_server
fi

if [[ $BENCH_SKIP_PGBENCH != 1 ]]; then
    recreate_db "$PGBENCH_DB"
    tps10=$(pgbench_tps 10)
    tps1=$(pgbench_tps 1)
fi

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.1f", 100 * a / b }'
}

say "summary ($CLIENTS clients, ${DURATION}s per run)"
printf '%-40s %12s %9s %9s %12s %8s\n' case "wallet ops/s" "p50 ms" "p99 ms" "pgbench TPS" "ratio %"
printf '%-40s %12s %9s %9s %12s %8s\n' "spread: $WALLETS wallets vs pgbench -s 10" \
    "$spread_ops" "$spread_p50" "$spread_p99" "$tps10" "$(ratio "$spread_ops" "$tps10")"
printf '%-40s %12s %9s %9s %12s %8s\n' "hot: 1 wallet vs pgbench -s 1" \
    "$hot_ops" "$hot_p50" "$hot_p99" "$tps1" "$(ratio "$hot_ops" "$tps1")"
