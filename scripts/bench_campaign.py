#!/usr/bin/env python3
"""Campaign benchmark against a running crm360 server (issue 8).

1. `previewSegment` on a three-condition segment, RUNS sequential calls
   after two warm-ups: p50 / p90 / p99 / max in milliseconds.
2. The audience snapshot: `startCampaign` on a segment of every customer
   (the mutation takes the snapshot, one INSERT ... SELECT, before it
   answers): wall time of that call and the audience size.
3. Delivery through the built-in simulated vendor, receipts included:
   the campaign's counts are read every 2 s; messages settled (receipt
   back: delivered or failed) per second over the window, until the
   campaign completes or DELIVERY_SECONDS pass (then it is cancelled).

Standard library only; any GraphQL error fails the run.
"""

import argparse
import json
import sys
import time
import urllib.request


def call(url, token, query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=600) as response:
        answer = json.loads(response.read())
    if answer.get("errors"):
        sys.exit("GraphQL error: " + json.dumps(answer["errors"]))
    return answer["data"]


def pct(sorted_ms, p):
    return sorted_ms[min(len(sorted_ms) - 1, int(round(p / 100 * (len(sorted_ms) - 1))))]


PREVIEW = "query($r: SegmentRulesInput!) { previewSegment(rules: $r, sample: 10) { count sample { id } } }"
THREE = {
    "op": "AND",
    "conditions": [
        {"field": "tier", "operator": "in", "values": ["SILVER", "GOLD", "PLATINUM"]},
        {"field": "city", "operator": "contains", "value": "ha"},
        {"field": "birthdayMonth", "operator": "between", "values": ["1", "6"]},
    ],
}
COUNTS = "query($id: ID!) { campaign(id: $id) { status counts { audience pending awaitingReceipt sent failed } } }"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--email", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--delivery-seconds", type=int, default=180)
    a = ap.parse_args()
    login = call(a.url, None, "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                 {"e": a.email, "p": a.password})
    token = login["login"]["token"]

    for _ in range(2):
        call(a.url, token, PREVIEW, {"r": THREE})
    times = []
    count = None
    for _ in range(a.runs):
        t0 = time.perf_counter()
        count = call(a.url, token, PREVIEW, {"r": THREE})["previewSegment"]["count"]
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(f"previewSegment (tier in 3 values AND city contains 'ha' AND birthday month 1-6): {count} customers, "
          f"{a.runs} calls: p50 {pct(times, 50):.0f} ms, p90 {pct(times, 90):.0f} ms, "
          f"p99 {pct(times, 99):.0f} ms, max {times[-1]:.0f} ms")

    name = f"everyone-{int(time.time())}"
    seg = call(a.url, token, "mutation($i: SegmentInput!) { saveSegment(input: $i) { id } }",
               {"i": {"name": name, "rules": {"op": "AND"}}})["saveSegment"]["id"]
    camp = call(a.url, token, "mutation($i: CampaignInput!) { createCampaign(input: $i) { id } }",
                {"i": {"name": "Bench " + name, "channel": "SMS", "segmentId": seg,
                       "template": "Hi {{name}}, {{tier}} members get {{discount_code}} this week",
                       "discountCode": "BENCH10"}})["createCampaign"]["id"]
    t0 = time.perf_counter()
    call(a.url, token, "mutation($id: ID!) { startCampaign(id: $id) { status } }", {"id": camp})
    snap = time.perf_counter() - t0
    first = call(a.url, token, COUNTS, {"id": camp})["campaign"]
    audience = first["counts"]["audience"]
    print(f"snapshot: {audience} messages rendered into the communication log in {snap:.1f} s "
          f"(startCampaign wall time)")

    start = time.perf_counter()
    last = first
    samples = []
    while True:
        time.sleep(2)
        c = call(a.url, token, COUNTS, {"id": camp})["campaign"]
        elapsed = time.perf_counter() - start
        settled = c["counts"]["sent"] + c["counts"]["failed"]
        handed = settled + c["counts"]["awaitingReceipt"]
        samples.append((elapsed, settled, handed))
        print(f"  t={elapsed:6.1f} s  handed to vendor {handed:>8}  receipts back {settled:>8}  "
              f"({settled / elapsed:,.0f} settled/s)", flush=True)
        last = c
        if c["status"] == "COMPLETED" or elapsed > a.delivery_seconds:
            break
    elapsed, settled, handed = samples[-1]
    print(f"delivery: {settled} messages settled (receipt back) in {elapsed:.1f} s = {settled / elapsed:,.0f} msg/s "
          f"end to end; {handed / elapsed:,.0f} msg/s handed to the vendor; status {last['status']}; "
          f"failed {last['counts']['failed']} ({100 * last['counts']['failed'] / max(1, settled):.1f} %)")
    if last["status"] != "COMPLETED":
        call(a.url, token, "mutation($id: ID!) { cancelCampaign(id: $id) { status } }", {"id": camp})
        print("(window over: the campaign was cancelled)")


if __name__ == "__main__":
    main()
