#!/usr/bin/env python3
"""Scale probes, one request at a time on one kept-alive connection:
the read time of the big organization, and the cost of a customer list page
at the start of the list against one deep in it (walking `after` cursors).

usage: probe.py PORT AUTH BIG_ORG_ID MAX_PAGES BUDGET_SECONDS

Prints one JSON object: big_ms (median), big_members, page1_ms (median),
deep_page (the page reached), deep_ms (median over repeats of that page).
"""
import http.client
import json
import statistics
import sys
import time


def main():
    port, auth, big, max_pages, budget = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                                          int(sys.argv[4]), float(sys.argv[5]))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": auth}

    def get(path):
        t = time.perf_counter()
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        dt = (time.perf_counter() - t) * 1000.0
        if r.status != 200:
            raise SystemExit("probe: GET %s answered %d: %s" % (path, r.status, body[:200]))
        return dt, body

    out = {"big_tries": 7}
    times = []
    members = 0
    for _ in range(out["big_tries"]):
        dt, body = get("/customer-organizations/" + big)
        times.append(dt)
        members = len(json.loads(body)["members"])
    out["big_ms"] = statistics.median(times)
    out["big_members"] = members

    first = "/customers?limit=100"
    out["page1_ms"] = statistics.median(get(first)[0] for _ in range(7))
    deadline = time.monotonic() + budget
    path, page = first, 1
    while page < max_pages and time.monotonic() < deadline:
        _, body = get(path)
        after = json.loads(body)["pagination"].get("after")
        if not after:
            break
        path, page = first + "&after=" + after, page + 1
    out["deep_page"] = page
    out["deep_ms"] = statistics.median(get(path)[0] for _ in range(7))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
