#!/usr/bin/env python3
"""Latency of the analytics queries against a running crm360 server.

Signs in, then calls each query RUNS times one after the other (after two
warm-up calls) and prints p50 / p90 / p99 / max in milliseconds, measured
from sending the request to having read the whole answer. Standard library
only. Any GraphQL error fails the run.

    python3 scripts/bench_dashboard.py --url http://127.0.0.1:18090/graphql \\
        --email bench@crm360.local --password bench-password-123 --runs 50
"""

import argparse
import datetime
import json
import sys
import time
import urllib.request


def call(url, token, query, variables):
    body = json.dumps({"query": query, "variables": variables}).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    if answer.get("errors"):
        sys.exit("GraphQL error: " + json.dumps(answer["errors"]))
    return answer["data"]


DASHBOARD = """query($f: NaiveDate!, $t: NaiveDate!) { dashboard(from: $f, to: $t) {
  customersTotal customersNew orders revenue averageOrderValue clv daily { date orders revenue }
  walletReal walletVirtual expiringWithin7Days transfersLinked transfersPending
  ticketsByStatus { key count } ticketsOverdue tiers { key count } segments { key count } lifecycle { key count }
  walletDaily { date deposited withdrawn creditsIssued creditsExpired corrections }
  resolutionByType { type completed averageSeconds } agents { userId name completed open overdue } } }"""
KPIS = "{ kpis { customers newCustomersToday walletReal walletVirtual openTickets overdueTickets pendingTransfers } }"


def percentile(sorted_ms, p):
    k = max(0, min(len(sorted_ms) - 1, round(p / 100 * len(sorted_ms) + 0.5) - 1))
    return sorted_ms[k]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    login = call(args.url, None, "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                 {"e": args.email, "p": args.password})
    token = login["login"]["token"]
    today = datetime.date.today()
    cases = [
        ("dashboard, 7 days", DASHBOARD, {"f": str(today - datetime.timedelta(days=6)), "t": str(today)}),
        ("dashboard, 30 days", DASHBOARD, {"f": str(today - datetime.timedelta(days=29)), "t": str(today)}),
        ("dashboard, 92 days", DASHBOARD, {"f": str(today - datetime.timedelta(days=91)), "t": str(today)}),
        ("kpis", KPIS, {}),
    ]
    print(f"{'query':<22}{'calls':>6}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, query, variables in cases:
        for _ in range(2):
            call(args.url, token, query, variables)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            data = call(args.url, token, query, variables)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(f"{name:<22}{len(times):>6}{percentile(times, 50):>9.1f}{percentile(times, 90):>9.1f}"
              f"{percentile(times, 99):>9.1f}{times[-1]:>9.1f}")
        if name.startswith("dashboard"):
            d = data["dashboard"]
            print(f"{'':<22}  orders {d['orders']}, revenue {d['revenue']}, customers {d['customersTotal']}")


if __name__ == "__main__":
    main()
