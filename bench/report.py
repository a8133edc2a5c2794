#!/usr/bin/env python3
"""Prints the benchmark's one table (markdown) and the checks against the
issue's bars, from the records bench/run.sh collected.

usage: report.py RESULTS.jsonl NOTES.jsonl HEADER.md

RESULTS: one record a run of wrk or pgbench (store, case, conns, rps,
p50_us, p99_us, non2xx, ...; kinship's runs also cpu_us and switches, the
server's CPU time and context switches over the run). NOTES: everything
else (rss, probe, problem). HEADER: the machine and the command, printed
first.
"""
import json
import sys

CASES = [
    ("post_customers", "POST /customers"),
    ("post_orgs", "POST /customer-organizations"),
    ("post_members", "POST /customer-organizations/{id}/members"),
    ("get_org", "GET /customer-organizations/{id}"),
    ("get_customer", "GET /customers/{id}"),
    ("list_customers", "GET /customers?limit=100 (walking cursors)"),
]
NAMES = dict(CASES)
NAMES["nginx"] = "nginx, fixed body (yardstick, before)"
NAMES["nginx_after"] = "nginx, fixed body (yardstick, after)"
# PostgreSQL's ceilings (bench/run.sh, "PostgreSQL's ceilings").
CEILINGS = [
    ("pgbench_select", "pgbench -S (select-only, pgbench's own tables)"),
    ("pgbench_get_customer", "pgbench: GET /customers/{id} as one statement"),
    ("pgbench_get_org", "pgbench: GET /customer-organizations/{id} as one statement"),
    ("pgbench_org", "pgbench: the create-organization transaction, no retries"),
]
NAMES.update(CEILINGS)
# How a ratio names its ceiling.
AGAINST = {
    "pgbench_select": "pgbench -S",
    "pgbench_get_customer": "pgbench running the same read as one statement",
    "pgbench_get_org": "pgbench running the same read as one statement",
    "pgbench_org": "pgbench running the create-organization transaction",
}
# kinship's case -> the ceilings it is held to, the first one with a bar.
HELD_TO = {
    "get_customer": (("pgbench_get_customer", 0.6), ("pgbench_select", None)),
    "get_org": (("pgbench_get_org", 0.6), ("pgbench_select", None)),
    "post_orgs": (("pgbench_org", 0.9),),
}
P99_BAR_MS = {"get_customer": 25.0, "get_org": 25.0, "post_orgs": 50.0}
SAME = "same run, same server, same isolation, no retries"
STORE_ORDER = {"-": 0, "sqlite": 1, "pg": 2}
CASE_ORDER = {c: i for i, (c, _) in enumerate(CASES)}
CASE_ORDER["nginx"] = -2
CASE_ORDER["nginx_after"] = -1
YARD = ("nginx", "nginx_after")
for i, (c, _) in enumerate(CEILINGS):
    CASE_ORDER[c] = 90 + i

MIB = 1024.0


def load(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def ms(us):
    if us is None:
        return "-"
    return "%.2f" % (us / 1000.0)


def rate(x):
    if x is None:
        return "-"
    return "%.0f" % x if x >= 100 else "%.1f" % x


def per_req(r, field):
    """kinship's `field` (cpu_us, switches) per request of the run r, or None."""
    if r.get(field) is None or not r.get("requests"):
        return None
    return r[field] / float(r["requests"])


def num(x, unit=""):
    if x is None:
        return "-"
    return ("%.0f" % x if x >= 100 else "%.1f" % x) + unit


def flags(r):
    """Why a run is not clean, or the empty list."""
    why = []
    if r.get("non2xx"):
        if r["case"].startswith("pgbench"):
            why.append("%d failed transactions" % r["non2xx"])
        else:
            why.append("%d non-2xx" % r["non2xx"])
    if r.get("aborted"):
        why.append("%d pgbench clients aborted" % r["aborted"])
    sock = sum(r.get(k, 0) for k in ("err_connect", "err_read", "err_write", "err_timeout"))
    if sock:
        why.append("%d socket errors/timeouts" % sock)
    if r.get("exhausted"):
        why.append("pool of fresh customers ran out")
    if r.get("missing_rows"):
        why.append("%d answered 2xx but not in the database" % r["missing_rows"])
    if r.get("failed"):
        why.append("the load generator failed")
    return why


def main():
    results = load(sys.argv[1])
    notes = load(sys.argv[2])
    with open(sys.argv[3]) as f:
        sys.stdout.write(f.read())

    # The yardstick at each connection count: the mean of nginx before and
    # after the kinship cases.
    nginx = {}
    for c in sorted({r["conns"] for r in results if r["case"] in YARD}):
        runs = [r for r in results if r["case"] in YARD and r["conns"] == c and r.get("rps")]
        if runs:
            nginx[c] = {"rps": sum(r["rps"] for r in runs) / len(runs),
                        "p50_us": sum(r["p50_us"] for r in runs) / len(runs),
                        "spread": max(r["rps"] for r in runs) / min(r["rps"] for r in runs)}
    results.sort(key=lambda r: (STORE_ORDER.get(r["store"], 9), CASE_ORDER.get(r["case"], 50),
                                r["conns"]))

    print("| case | conns | store | req/s | p50 ms | p99 ms | ratio to nginx | µs CPU/req "
          "| switches/req | non-2xx |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        base = nginx.get(r["conns"])
        ratio = "-"
        if r["case"].startswith("pgbench"):
            ratio = "-"
        elif base and base.get("rps") and r.get("rps") is not None:
            ratio = "%.3f" % (r["rps"] / base["rps"])
        bad = str(r.get("non2xx", 0)) if not r.get("failed") else "-"
        if flags(r):
            bad += " ⚠"
        print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            NAMES.get(r["case"], r["case"]), r["conns"], r["store"], rate(r.get("rps")),
            ms(r.get("p50_us")), ms(r.get("p99_us")), ratio, num(per_req(r, "cpu_us")),
            num(per_req(r, "switches")), bad))
    print()

    for c, b in sorted(nginx.items()):
        print("- yardstick at %d conns: nginx's mean %s req/s, p50 %s ms (the ratios use these)%s"
              % (c, rate(b["rps"]), ms(b["p50_us"]),
                 "" if b["spread"] < 1.25 else "; before and after differ by %.0f%%: the "
                 "machine was busy, the ratios are rough" % (100 * (b["spread"] - 1))))
    # Memory, probes, pgbench.
    for n in notes:
        if n["kind"] == "rss":
            print("- memory (%s): idle before load %.1f MiB, peak under load %.1f MiB, "
                  "idle after load %.1f MiB" % (n["store"], n["idle_kib"] / MIB,
                                                n["peak_kib"] / MIB, n["after_kib"] / MIB))
    for n in notes:
        if n["kind"] == "probe":
            print("- scale probe (%s): organization of %d members read in %.1f ms (median of %d); "
                  "list page 1 %.1f ms, page %d %.1f ms (medians)" % (
                      n["store"], n["big_members"], n["big_ms"], n["big_tries"],
                      n["page1_ms"], n["deep_page"], n["deep_ms"]))
    for r in results:
        if r["case"].startswith("pgbench") and r.get("requests") is not None:
            print("- %s (%d clients): %d transactions, %d failed (no retries), %d clients "
                  "aborted; its clients took %.0f ms to connect (left out of its rate)%s" % (
                      NAMES.get(r["case"], r["case"]), r["conns"], r["requests"],
                      r.get("non2xx", 0), r.get("aborted", 0), r.get("connect_ms") or 0,
                      "; pgbench -i -s 1 took %.1f s before it" % (r["init_ms"] / 1000.0)
                      if r.get("init_ms") is not None else ""))
    for r in results:
        if r["case"] == "list_customers" and r.get("first_pages"):
            print("- list walk (%s, %d conns): %d pages, %.1f pages per walk, %d walks "
                  "reached the end" % (r["store"], r["conns"], r["requests"],
                                       r["requests"] / max(1, r["first_pages"]),
                                       r.get("walks_done", 0)))
    print()

    def find(store, case, conns):
        for r in results:
            if r["store"] == store and r["case"] == case and r["conns"] == conns:
                return r
        return None

    def to_ceiling(case, ceiling, conns):
        """kinship's pg rate over the ceiling's at conns, or None."""
        k, p = find("pg", case, conns), find("pg", ceiling, conns)
        if not k or not p or not p.get("rps") or k.get("rps") is None:
            return None
        return k["rps"] / p["rps"]

    # kinship against PostgreSQL's ceilings, and its CPU per request on
    # PostgreSQL against SQLite's.
    lines = []
    for case, held in HELD_TO.items():
        for ceiling, _ in held:
            for p in results:
                x = to_ceiling(case, ceiling, p["conns"]) if p["case"] == ceiling else None
                if x is not None:
                    lines.append("- PostgreSQL, %d conns: %s at %.2f of %s (%s tx/s; %s)" % (
                        p["conns"], NAMES[case], x, AGAINST[ceiling], rate(p["rps"]), SAME))
    conns_all = sorted({r["conns"] for r in results})
    for c in conns_all:
        for case in ("get_org", "get_customer", "list_customers", "post_orgs"):
            k, q = find("pg", case, c), find("sqlite", case, c)
            kc = per_req(k, "cpu_us") if k else None
            sc = per_req(q, "cpu_us") if q else None
            if kc is not None and sc:
                lines.append("- kinship's CPU per request, PostgreSQL/SQLite, %d conns: %s %.1fx "
                             "(%s µs against %s µs; %s against %s context switches)" % (
                                 c, NAMES[case], kc / sc, num(kc), num(sc),
                                 num(per_req(k, "switches")), num(per_req(q, "switches"))))
    if lines:
        print("kinship against PostgreSQL's ceilings, and its CPU on PostgreSQL against SQLite's:")
        print()
        for line in lines:
            print(line)
        print()

    # The bars of the issue.
    checks = []

    def ratio_of(store, case, conns):
        r, b = find(store, case, conns), nginx.get(conns)
        if not r or not b or not b.get("rps"):
            return None
        return r["rps"] / b["rps"]

    for case, bar in (("post_orgs", 0.06), ("post_customers", 0.06), ("get_org", 0.20),
                      ("get_customer", 0.20)):
        x = ratio_of("sqlite", case, 64)
        if x is not None:
            checks.append((x >= bar, "SQLite, 64 conns: %s at %.3f of nginx (bar %.2f)" % (
                NAMES[case], x, bar)))
    kin = [r for r in results if r["store"] == "sqlite" and r["case"] in dict(CASES)]
    p99_bad = [r for r in kin if r.get("p99_us") is not None and r["p99_us"] > 15000]
    sq = kin
    if sq:
        checks.append((not p99_bad, "SQLite: p99 <= 15 ms in every case%s" % (
            "" if not p99_bad else " (over: " + ", ".join(
                "%s @%d %.1f ms" % (r["case"], r["conns"], r["p99_us"] / 1000.0)
                for r in p99_bad) + ")")))
    b1 = nginx.get(1)
    for case in ("get_org", "get_customer", "list_customers"):
        r = find("sqlite", case, 1)
        if r and b1 and b1.get("p50_us"):
            x = r["p50_us"] / b1["p50_us"]
            checks.append((x <= 3.0, "SQLite, 1 conn: %s p50 at %.1fx nginx's (bar 3x)" % (
                NAMES[case], x)))
    for n in notes:
        if n["kind"] == "rss":
            checks.append((n["peak_kib"] <= 100 * MIB,
                           "%s: resident size under load %.1f MiB (bar 100 MiB)" % (
                               n["store"], n["peak_kib"] / MIB)))
            checks.append((n["idle_kib"] <= 20 * MIB,
                           "%s: resident size idle %.1f MiB (bar 20 MiB)" % (
                               n["store"], n["idle_kib"] / MIB)))
    for case, held in HELD_TO.items():
        ceiling, bar = held[0]
        x = to_ceiling(case, ceiling, 64)
        if x is not None:
            checks.append((x >= bar, "PostgreSQL, 64 conns: %s at %.2f of %s (bar %.1f; %s)" % (
                NAMES[case], x, AGAINST[ceiling], bar, SAME)))
        k = find("pg", case, 64)
        if k and k.get("p99_us") is not None:
            checks.append((k["p99_us"] <= P99_BAR_MS[case] * 1000,
                           "PostgreSQL, 64 conns: %s p99 %.1f ms (bar %.0f ms)" % (
                               NAMES[case], k["p99_us"] / 1000.0, P99_BAR_MS[case])))
    for case, _ in CASES:
        k, q = find("pg", case, 64), find("sqlite", case, 64)
        kc = per_req(k, "cpu_us") if k else None
        sc = per_req(q, "cpu_us") if q else None
        if kc is not None and sc:
            checks.append((kc <= 2 * sc, "64 conns: kinship's CPU per request for %s on "
                           "PostgreSQL at %.1fx SQLite's (%s µs against %s µs; bar 2x)" % (
                               NAMES[case], kc / sc, num(kc), num(sc))))
    kin_all = [r for r in results if r["store"] in ("sqlite", "pg") and r["case"] in NAMES
               and not r["case"].startswith("pgbench")]
    if kin_all:
        bad = [r for r in kin_all if r.get("non2xx")]
        checks.append((not bad, "every kinship case answered 2xx only (bar 0 non-2xx)%s" % (
            "" if not bad else " (" + ", ".join("%s %s @%d: %d%s" % (
                r["store"], r["case"], r["conns"], r["non2xx"],
                ", its pool ran out" if r.get("exhausted") else "") for r in bad) + ")")))
    for n in notes:
        if n["kind"] == "probe":
            checks.append((n["big_ms"] < 20.0, "%s: organization of %d members read in "
                           "%.1f ms (bar 20 ms)" % (n["store"], n["big_members"], n["big_ms"])))
    if checks:
        print("Against the issue's bars (one run; figures on a shared machine are noisy):")
        print()
        for ok, text in checks:
            print("- %s %s" % ("PASS" if ok else "FAIL", text))
        print()

    # What went wrong.
    problems = []
    for r in results:
        why = flags(r)
        if why:
            line = "%s %s @%d conns: %s" % (r["store"], r["case"], r["conns"], "; ".join(why))
            if r.get("sample"):
                line += ". First: " + r["sample"].replace("\n", " ")[:240]
            problems.append(line)
    problems += [n["text"] for n in notes if n["kind"] == "problem"]
    if problems:
        print("Problems seen:")
        print()
        for p in problems:
            print("- " + p)
        print()


if __name__ == "__main__":
    main()
