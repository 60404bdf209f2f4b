#!/usr/bin/env bash
# Real-time fan-out benchmark: how many GraphQL subscribers (walletEvents over
# /graphql/ws, graphql-transport-ws) one crm360 server feeds, how fast, and
# what an idle subscription costs it in memory.
#
#   scripts/bench-realtime.sh                    # from the repository root
#   CRM360_SKIP_SPA=1 scripts/bench-realtime.sh --postgres
#   SUBSCRIBERS="1000 5000 10000" DEPOSITS=400 RATE=40 scripts/bench-realtime.sh
#
# 1. builds the server and the load generator (release);
# 2. for each subscriber count: a fresh database (SQLite file, or PostgreSQL
#    database crm360_bench_realtime with --postgres or DB=postgres), a fresh
#    `crm360 serve` on 127.0.0.1:$PORT, then `realtime-load`: it opens the
#    sockets, reads the server's VmRSS before and after (idle), publishes
#    $DEPOSITS deposits at $RATE/s on one customer, and measures commit ->
#    receipt latency of every event at every subscriber; then the server is
#    stopped;
# 3. prints every run's summary and a table.
#
# The server, the load generator and (with --postgres) PostgreSQL share the
# machine's cores; the table shows how busy the server and the client were.
# Outputs, server logs (and perf profiles) go to target/bench-realtime/.
#
# Environment (defaults in brackets): SUBSCRIBERS ["1000 10000"],
# DEPOSITS [200], RATE [20] deposits per second (0: back to back),
# CONNECT_CONCURRENCY [64] handshakes in flight, CLIENT_THREADS [1],
# IDLE_SECS [3], DRAIN_SECS [30], PORT [18090], DB [sqlite] or postgres,
# PG_HOST [127.0.0.1], PG_PORT [5432], PG_USER [postgres],
# PERF=1 to sample the server with `perf record` for PERF_SECS [10] seconds
# once publishing starts and print where its CPU goes, CRM360_SKIP_SPA=1 (passed to cargo) to skip the
# WebAssembly SPA build.
set -euo pipefail

SUBSCRIBERS=${SUBSCRIBERS:-"1000 10000"}
DEPOSITS=${DEPOSITS:-200}
RATE=${RATE:-20}
CONNECT_CONCURRENCY=${CONNECT_CONCURRENCY:-64}
CLIENT_THREADS=${CLIENT_THREADS:-1}
IDLE_SECS=${IDLE_SECS:-3}
DRAIN_SECS=${DRAIN_SECS:-30}
PORT=${PORT:-18090}
DB=${DB:-sqlite}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
PERF=${PERF:-0}
PERF_SECS=${PERF_SECS:-10}

for arg in "$@"; do
    case $arg in
        --postgres) DB=postgres ;;
        --sqlite) DB=sqlite ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench-realtime: unknown argument $arg (see --help)" >&2
            exit 1
            ;;
    esac
done

ADMIN_EMAIL=admin@crm360.local
ADMIN_PASSWORD=bench-password-123
BIND=127.0.0.1:$PORT
PG_DB=crm360_bench_realtime

cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=target/bench-realtime
SERVER=target/release/crm360
LOAD=target/release/realtime-load

case $DB in
    sqlite) DATABASE_URL="sqlite://$PWD/$OUT/realtime.db?mode=rwc" ;;
    postgres) DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB" ;;
    *)
        echo "bench-realtime: DB must be sqlite or postgres, not $DB" >&2
        exit 1
        ;;
esac
PSQL=(env PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER")
# The server's whole configuration.
CRM360_ENV=(
    env
    DATABASE_URL="$DATABASE_URL"
    CRM360_BIND="$BIND"
    CRM360_ADMIN_EMAIL="$ADMIN_EMAIL"
    CRM360_ADMIN_PASSWORD="$ADMIN_PASSWORD"
    CRM360_DEMO_DATA=false
    CRM360_GRAPHIQL=false
    JWT_SECRET=crm360-bench-realtime-jwt-secret-not-for-production
    RUST_LOG=warn
)

SERVER_PID=
load_pid=
tail_pid=
trap 'echo "bench-realtime: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR
trap cleanup EXIT

say() { printf '\n==> %s\n' "$*"; }
die() {
    echo "bench-realtime: FAILED: $*" >&2
    exit 1
}

stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}

cleanup() {
    for pid in $load_pid $tail_pid; do
        kill "$pid" 2>/dev/null || true
    done
    stop_server
}

fresh_database() {
    if [[ $DB == postgres ]]; then
        "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB"
    else
        rm -f "$OUT"/realtime.db "$OUT"/realtime.db-*
    fi
}

# start_server LOG
start_server() {
    if curl -s -o /dev/null --max-time 2 "http://$BIND/readyz"; then
        die "something already answers on $BIND; stop it or choose another PORT"
    fi
    "${CRM360_ENV[@]}" "$SERVER" serve >"$1" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 120); do
        if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$BIND/readyz") == 200 ]]; then
            echo "server ready on $BIND (pid $SERVER_PID, $DB)"
            return
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            tail -n 20 "$1" >&2
            SERVER_PID=
            die "the server exited during start-up (log: $1)"
        fi
        sleep 0.5
    done
    tail -n 20 "$1" >&2
    die "the server was not ready within 60 s (log: $1)"
}

# Both processes hold one descriptor per socket, plus a margin.
max_n=0
for n in $SUBSCRIBERS; do ((n > max_n)) && max_n=$n; done
want=$((max_n + 1024))
hard=$(ulimit -Hn)
if [[ $hard != unlimited ]] && ((hard < want)); then
    die "ulimit -Hn is $hard; $want descriptors are needed for $max_n subscribers"
fi
ulimit -n "$want"

mkdir -p "$OUT"
say "building (release)"
cargo build --release -p crm360 -p crm360-tests

for n in $SUBSCRIBERS; do
    say "realtime-load: $n subscribers, $DEPOSITS deposits at $RATE/s ($DB)"
    fresh_database
    start_server "$OUT/server-$n.log"
    status=0
    "$LOAD" --url "http://$BIND" --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" \
        --subscribers "$n" --deposits "$DEPOSITS" --rate "$RATE" \
        --connect-concurrency "$CONNECT_CONCURRENCY" --threads "$CLIENT_THREADS" \
        --idle-secs "$IDLE_SECS" --drain-secs "$DRAIN_SECS" --server-pid "$SERVER_PID" \
        >"$OUT/run-$n.txt" 2>&1 &
    load_pid=$!
    tail -n +1 -f --pid="$load_pid" "$OUT/run-$n.txt" &
    tail_pid=$!
    if [[ $PERF == 1 ]]; then
        # Profile the publishing phase only: it starts after the probe.
        while kill -0 "$load_pid" 2>/dev/null && ! grep -q '^probe event' "$OUT/run-$n.txt"; do sleep 0.2; done
        if kill -0 "$load_pid" 2>/dev/null; then
            perf record -q -F 199 -p "$SERVER_PID" -o "$OUT/perf-$n.data" -- sleep "$PERF_SECS" \
                >"$OUT/perf-record-$n.log" 2>&1 || echo "note: perf record failed (see $OUT/perf-record-$n.log)"
        fi
    fi
    wait "$load_pid" || status=$?
    wait "$tail_pid" 2>/dev/null || true
    stop_server
    grep -q '^{' "$OUT/run-$n.txt" || die "realtime-load ($n) stopped without a result (exit $status)"
    ((status == 0)) || echo "note: realtime-load ($n) exited with $status: something was missing (see above)"
    if [[ $PERF == 1 && -s $OUT/perf-$n.data ]]; then
        perf report -i "$OUT/perf-$n.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
            grep '%' | cut -c1-150 | head -n 40 >"$OUT/perf-$n.txt" || true
        perf report -i "$OUT/perf-$n.data" --no-children --sort dso --stdio 2>/dev/null |
            grep '%' | head -n 5 >"$OUT/perf-dso-$n.txt" || true
        echo "server CPU by object while publishing (perf, ${PERF_SECS} s; $OUT/perf-dso-$n.txt):"
        cat "$OUT/perf-dso-$n.txt"
        echo "hottest server symbols (self time; $OUT/perf-$n.txt):"
        head -n 20 "$OUT/perf-$n.txt"
    fi
done

say "summary ($DEPOSITS deposits at $RATE/s, $DB, client threads $CLIENT_THREADS)"
printf '%-11s %10s %9s %9s %9s %17s %10s %12s %9s %9s\n' subscribers subscribed p50_ms p99_ms max_ms \
    delivered/expect events/s "KiB/idle sub" "srv cpu%" "cli cpu%"
for n in $SUBSCRIBERS; do
    grep '^{' "$OUT/run-$n.txt" | jq -r '[.subscribers, .subscribed, .p50_ms, .p99_ms, .max_ms,
        "\(.delivered_events)/\(.expected_events)", .events_per_sec, (.kib_per_subscription // "-"),
        (.server_cpu_pct // "-"), (.client_cpu_pct // "-")] | @tsv' |
        while IFS=$'\t' read -r s ok p50 p99 max del eps kib scpu ccpu; do
            printf '%-11s %10s %9s %9s %9s %17s %10s %12s %9s %9s\n' "$s" "$ok" "$p50" "$p99" "$max" "$del" "$eps" \
                "$kib" "$scpu" "$ccpu"
        done
done
