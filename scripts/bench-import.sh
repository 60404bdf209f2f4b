#!/usr/bin/env bash
# Import/export benchmark on PostgreSQL (issue 9): a ROWS-row customers CSV
# uploaded to `POST /imports`, imported in the background (rows/s, peak
# RSS of the server), then the whole customer list exported through
# `GET /exports/customers.csv` (time, size, peak RSS).
#
#   scripts/bench-import.sh                   # from the repository root
#   ROWS=100000 scripts/bench-import.sh
#
# 1. builds the server (release, without the SPA) unless SKIP_BUILD=1
#    (BIN points at another binary);
# 2. writes the CSV (python3; Vietnamese names, 1 row in 1,000 with a bad
#    phone, 1 in 1,000 a repeated phone) to target/bench-import/;
# 3. drops and creates the database crm360_bench_import, starts
#    `crm360 serve`, uploads, starts, polls `importJob` until the end,
#    reading VmHWM (peak RSS) from /proc;
# 4. exports every customer with curl and reads VmHWM again.
#
# Needs PostgreSQL at $PG_HOST:$PG_PORT (user $PG_USER, trust auth), psql,
# curl and python3.
set -euo pipefail

ROWS=${ROWS:-1000000}
PORT=${PORT:-18093}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
BIN=${BIN:-target/release/crm360}
DB=crm360_bench_import
EMAIL=bench@crm360.local
PASSWORD=bench-password-123
OUT=target/bench-import
mkdir -p "$OUT"

if [ -z "${SKIP_BUILD:-}" ]; then
    CRM360_SKIP_SPA=1 cargo build --release -p crm360
fi

CSV=$OUT/customers-$ROWS.csv
if [ ! -f "$CSV" ]; then
    python3 - "$ROWS" "$CSV" <<'PY'
import random, sys
rows, path = int(sys.argv[1]), sys.argv[2]
first = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
middle = ["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Hữu", "Đức", "Quốc"]
last = ["An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Mai", "Nam", "Tâm", "Yến"]
cities = ["Hà Nội", "TP HCM", "Đà Nẵng", "Huế", "Cần Thơ", "Hải Phòng"]
random.seed(9)
with open(path, "w", encoding="utf-8") as f:
    f.write("SĐT,Họ tên,Email,Thành phố,Ngày sinh,Tags\n")
    for i in range(rows):
        phone = f"09{(10_000_000 + i) % 100_000_000:08d}"
        if i % 1000 == 999:
            phone = "12345"                      # bad phone
        elif i % 1000 == 500:
            phone = f"09{(10_000_000 + i - 1) % 100_000_000:08d}"  # repeated
        name = f"{random.choice(first)} {random.choice(middle)} {random.choice(last)}"
        email = f"kh{i}@example.vn" if i % 3 == 0 else ""
        bday = f"19{random.randint(50, 99)}-{random.randint(1, 12):02d}-{random.randint(1, 28):02d}"
        f.write(f"{phone},{name},{email},{random.choice(cities)},{bday},{'vip' if i % 10 == 0 else ''}\n")
PY
fi
echo "CSV: $CSV ($(du -h "$CSV" | cut -f1), $ROWS rows)"

psql -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
psql -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -c "CREATE DATABASE $DB"

export DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$DB"
export CRM360_BIND=127.0.0.1:$PORT CRM360_DEMO_DATA=false CRM360_ADMIN_EMAIL=$EMAIL CRM360_ADMIN_PASSWORD=$PASSWORD
export CRM360_IMPORT_DIR=$OUT/uploads CRM360_LOG_FORMAT=json CRM360_DELIVERY_ENABLED=false
"$BIN" serve >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

gql() {
    curl -sf "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' ${TOKEN:+-H "authorization: Bearer $TOKEN"} -d "$1"
}
TOKEN=$(gql "{\"query\":\"mutation { login(email: \\\"$EMAIL\\\", password: \\\"$PASSWORD\\\") { token } }\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["token"])')
rss() { grep VmHWM "/proc/$SERVER/status" | awk '{print $2 / 1024 " MiB"}'; }
echo "server peak RSS before: $(rss)"

T0=$(date +%s.%N)
ID=$(curl -sf "http://127.0.0.1:$PORT/imports?kind=customers&filename=bench.csv" -H "authorization: Bearer $TOKEN" \
    --data-binary "@$CSV" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
T1=$(date +%s.%N)
echo "upload: $(python3 -c "print(round($T1 - $T0, 1))") s, job $ID, peak RSS $(rss)"
gql "{\"query\":\"mutation { startImport(id: \\\"$ID\\\") { status } }\"}" >/dev/null
while :; do
    STATE=$(gql "{\"query\":\"{ importJob(id: \\\"$ID\\\") { status rowsRead created existing failed } }\"}")
    case "$STATE" in *COMPLETED*|*FAILED*|*CANCELLED*) break ;; esac
    sleep 1
done
T2=$(date +%s.%N)
echo "import: $STATE"
python3 -c "s = $T2 - $T1; print(f'import: {s:.1f} s, {$ROWS / s:,.0f} rows/s')"
echo "server peak RSS after the import: $(rss)"

T3=$(date +%s.%N)
curl -sf "http://127.0.0.1:$PORT/exports/customers.csv" -H "authorization: Bearer $TOKEN" -o "$OUT/export.csv"
T4=$(date +%s.%N)
python3 -c "print(f'export: {$T4 - $T3:.1f} s, {sum(1 for _ in open(\"$OUT/export.csv\", encoding=\"utf-8\")) - 1:,} rows')"
echo "export size: $(du -h "$OUT/export.csv" | cut -f1); server peak RSS after the export: $(rss)"
