#!/usr/bin/env bash
# kinship's benchmark, behind `make bench`:
#
#   bench/run.sh build/kinship
#
# Starts nginx (a fixed ~300-byte JSON body: the yardstick) and, for each
# store, kinship on a fresh database with a preload, runs wrk for each case
# at each connection count, and prints one markdown table: requests/s, p50,
# p99, the ratio to nginx in the same run and the answers that were not 2xx,
# then memory, scale probes, the issue's bars and the problems seen. Around
# every kinship run it also reads the server's CPU time and context switches
# (per request in the table). On PostgreSQL, right after kinship's cases, it
# measures PostgreSQL's own ceilings with pgbench on the same server (see
# "PostgreSQL's ceilings" below) and the report gives kinship's ratio to each.
# Everything listens on 127.0.0.1; every step is bounded in time; every
# process started here is stopped on exit (also on Ctrl-C).
#
# Knobs (environment):
#   BENCH_DURATION  per timed run: 10s (also 30, 1m)
#   BENCH_PRELOAD   small (10,000 customers, 1,000 organizations, one of
#                   100 members) or large (1,000,000 customers, 100,000
#                   organizations, one of 10,000 members); default small.
#                   Either way 1% of the customers are in the big one.
#                   BENCH_CUSTOMERS / BENCH_ORGS / BENCH_BIG_ORG override.
#   BENCH_STORES    sqlite,pg (default); sqlite alone skips PostgreSQL
#   BENCH_CONNS     1,64 (default)
#   BENCH_CASES     all (default) or a comma list of: post_customers
#                   post_orgs post_members get_org get_customer list_customers
#   BENCH_POOL_RATE requests/s the pools of fresh customers are sized for
#                   (default: 3x the best write rate so far, at least 2000;
#                   before any write case, a quarter of nginx's rate)
#   BENCH_PROBE_PAGES  how deep the list probe walks (1000; 60 s at most)
#   BENCH_OUT       also write the report to this file
#   BENCH_KEEP=1    keep the temp dir (databases, logs, wrk output)
#   BENCH_SERVE_ARGS  extra arguments for `kinship serve`
#   BENCH_PGBENCH_DIR where the pgbench scripts pgbench_*.sql are (bench/)
#
# Needs wrk, nginx, python3, cc, sqlite3 and (for pg) PostgreSQL 15 with
# pgbench: scripts/deps.sh bench installs them (make bench runs it).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 path/to/kinship" >&2; exit 2; }
BIN=$(readlink -f "$1")
[ -x "$BIN" ] || { echo "bench: $1 is not an executable (make build)" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

DURATION=${BENCH_DURATION:-10s}
PRELOAD=${BENCH_PRELOAD:-small}
STORES=${BENCH_STORES:-sqlite,pg}
CONNS=${BENCH_CONNS:-1,64}
CASES=${BENCH_CASES:-all}
POOL_RATE=${BENCH_POOL_RATE:-}
PROBE_PAGES=${BENCH_PROBE_PAGES:-1000}
SERVE_ARGS=${BENCH_SERVE_ARGS:-}
PGB_DIR=$(cd "${BENCH_PGBENCH_DIR:-$HERE}" && pwd) ||
    { echo "bench: BENCH_PGBENCH_DIR is not a directory" >&2; exit 2; }
NPROC=$(nproc)
CLK_TCK=$(getconf CLK_TCK)

case "$DURATION" in
*m) SECS=$((${DURATION%m} * 60)) ;;
*s) SECS=${DURATION%s} ;;
*) SECS=$DURATION ;;
esac
[[ "$SECS" =~ ^[0-9]+$ ]] && [ "$SECS" -ge 1 ] && [ "$SECS" -le 600 ] ||
    { echo "bench: BENCH_DURATION must be 1s to 10m" >&2; exit 2; }

case "$PRELOAD" in
small) N_CUST=10000 N_ORGS=1000 N_BIG=100 ;;
large) N_CUST=1000000 N_ORGS=100000 N_BIG=10000 ;;
*) echo "bench: BENCH_PRELOAD must be small or large" >&2; exit 2 ;;
esac
N_CUST=${BENCH_CUSTOMERS:-$N_CUST}
N_ORGS=${BENCH_ORGS:-$N_ORGS}
N_BIG=${BENCH_BIG_ORG:-$N_BIG}

ALL_CASES=(get_org get_customer list_customers post_customers post_orgs post_members)
want_case() { [ "$CASES" = all ] || [[ ",$CASES," == *",$1,"* ]]; }
if [ "$CASES" != all ]; then
    IFS=, read -r -a picked <<<"$CASES"
    for c in "${picked[@]}"; do
        [[ " ${ALL_CASES[*]} " == *" $c "* ]] ||
            { echo "bench: unknown case $c (${ALL_CASES[*]})" >&2; exit 2; }
    done
fi
IFS=, read -r -a CONN_LIST <<<"$CONNS"
IFS=, read -r -a STORE_LIST <<<"$STORES"

for tool in wrk nginx python3 cc curl sqlite3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/deps.sh bench)" >&2; exit 2; }
done
NGINX=$(command -v nginx)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

log() { printf 'bench: %s\n' "$*" >&2; }

# ---- processes and cleanup ----

TMP=$(mktemp -d /tmp/kbench.XXXXXX)
chmod 711 "$TMP" # the PostgreSQL and nginx workers' users pass through
NGINX_PID="" KIN_PID="" CUR_PID="" PG_DIR=""
RESULTS=$TMP/results.jsonl NOTES=$TMP/notes.jsonl
: >"$RESULTS"
: >"$NOTES"

stop_pid() { # pid seconds: SIGTERM, then SIGKILL after `seconds`
    local pid=$1 i
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "$CUR_PID" ] && stop_pid "$CUR_PID" 5
    [ -n "$KIN_PID" ] && stop_pid "$KIN_PID" 15
    [ -n "$NGINX_PID" ] && stop_pid "$NGINX_PID" 10
    [ -n "$PG_DIR" ] && "$ROOT/scripts/pg-test-server.sh" stop "$PG_DIR" --rm >/dev/null 2>&1 || true
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs a command with a hard time limit, in the background so that a signal
# to this script reaches the cleanup at once.
bounded() { # seconds command...
    local limit=$1
    shift
    timeout -k 5 "$limit" "$@" &
    CUR_PID=$!
    local rc=0
    wait "$CUR_PID" || rc=$?
    CUR_PID=""
    return "$rc"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() { # port path pid what
    local i
    for ((i = 0; i < 300; i++)); do
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1$2" && return 0
        kill -0 "$3" 2>/dev/null || { log "$4 exited at start"; return 1; }
        sleep 0.1
    done
    log "$4 did not answer on 127.0.0.1:$1 within 30 s"
    return 1
}

note() { printf '%s\n' "$1" >>"$NOTES"; }
problem() {
    log "PROBLEM: $*"
    note "$(python3 -c 'import json, sys; print(json.dumps({"kind": "problem", "text": sys.argv[1]}))' "$*")"
}

kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# ---- the header: what ran where ----

# The command that reproduces this run: make bench with the knobs that
# differ from their defaults.
command_line() {
    local cmd="BENCH_DURATION=$DURATION BENCH_PRELOAD=$PRELOAD" v
    for v in BENCH_STORES BENCH_CONNS BENCH_CASES BENCH_CUSTOMERS BENCH_ORGS BENCH_BIG_ORG \
        BENCH_POOL_RATE BENCH_SERVE_ARGS BENCH_PGBENCH_DIR; do
        if [[ "${!v:-}" =~ ^[A-Za-z0-9_,.:=/-]+$ ]]; then
            cmd="$cmd $v=${!v}"
        elif [ -n "${!v:-}" ]; then
            cmd="$cmd $v='${!v}'"
        fi
    done
    echo "$cmd make bench"
}

machine() {
    local cpu mem disk rev
    cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
    mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
    disk=$(df -T "$TMP" | awk 'NR == 2 {print $2 " on " $1}')
    rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -1)" ]; then rev="$rev+changes"; fi
    cat <<EOF
## kinship benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)

Machine: ${cpu:-unknown CPU}, $NPROC cores, $mem RAM, Linux $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null || echo ?); databases on ${disk}.
Software: kinship $rev, SQLite $(sqlite3 --version | cut -d' ' -f1), $("$PGBIN/postgres" --version 2>/dev/null | sed 's/postgres (PostgreSQL) /PostgreSQL /' || echo "no PostgreSQL"), $("$NGINX" -v 2>&1 | sed 's|.*/|nginx |'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}').
Run: \`$(command_line)\` ($SECS s a case; preload $N_CUST customers, $N_ORGS organizations, one of $N_BIG members; stores $STORES; connections $CONNS; wrk threads = min(connections, $NPROC)).

EOF
}

# ---- nginx ----

start_nginx() {
    local dir=$TMP/nginx port user=""
    mkdir -p "$dir"
    port=$(free_port)
    [ "$(id -u)" -eq 0 ] && user="user nobody nogroup;"
    sed -e "s|@PREFIX@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@WORKERS@|$NPROC|g" \
        -e "s|@USER@|$user|g" "$HERE/nginx.conf.in" >"$dir/nginx.conf"
    "$NGINX" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" &
    NGINX_PID=$!
    wait_http "$port" / "$NGINX_PID" nginx || { cat "$dir/error.log" >&2; exit 1; }
    NGINX_PORT=$port
}

# ---- wrk ----

threads_for() { echo $(($1 < NPROC ? $1 : NPROC)); }

# What a process has cost so far: "TICKS SWITCHES". TICKS is its CPU time,
# user + system, in clock ticks (fields 14 and 15 of /proc/PID/stat, which
# count every thread, those already gone included); SWITCHES its voluntary +
# involuntary context switches, summed over /proc/PID/task/*/status (the
# process's own status file counts its first thread only; a thread that
# ends takes its count with it).
proc_usage() { # pid
    local ticks sw
    ticks=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}')
    sw=$(cat /proc/"$1"/task/*/status 2>/dev/null |
        awk '/^(non)?voluntary_ctxt_switches:/ {s += $2} END {print s + 0}')
    echo "${ticks:-0} ${sw:-0}"
}

# run_wrk store case conns port auth [VAR=value...]: one timed run; appends
# its record to RESULTS. For kinship (store not -), the record also has
# the server's CPU time (cpu_us) and context switches (switches) over the
# run of wrk.
run_wrk() {
    local store=$1 case=$2 conns=$3 port=$4 auth=$5
    shift 5
    local t out rc=0 u0="" u1="" usage="" t0 s0 t1 s1
    t=$(threads_for "$conns")
    out=$TMP/wrk-$store-$case-$conns.out
    log "$store: $case, $conns connections, ${SECS}s"
    [ "$store" = - ] || u0=$(proc_usage "$KIN_PID")
    bounded $((SECS + 60)) env BENCH_DIR="$HERE" BENCH_AUTH="$auth" BENCH_THREADS="$t" \
        BENCH_RUN="$RUN_TAG-$store-$conns" "$@" \
        wrk -t"$t" -c"$conns" -d"${SECS}s" --timeout 10s -s "$HERE/${case%_after}.lua" \
        "http://127.0.0.1:$port/" >"$out" 2>&1 || rc=$?
    if [ -n "$u0" ]; then
        u1=$(proc_usage "$KIN_PID")
        read -r t0 s0 <<<"$u0"
        read -r t1 s1 <<<"$u1"
        usage=$(printf ',"cpu_us":%d,"switches":%d' $(((t1 - t0) * 1000000 / CLK_TCK)) $((s1 - s0)))
    fi
    local line
    line=$(sed -n 's/^BENCHRESULT //p' "$out" | tail -1)
    if [ $rc -ne 0 ] || [ -z "$line" ]; then
        problem "$store $case @$conns: wrk failed (exit $rc): $(tail -3 "$out" | tr '\n' ' ')"
        printf '{"store":"%s","case":"%s","conns":%d,"failed":true,"requests":0}\n' \
            "$store" "$case" "$conns" >>"$RESULTS"
        return 0
    fi
    printf '{"store":"%s","case":"%s","conns":%d%s,%s\n' "$store" "$case" "$conns" "$usage" \
        "${line#\{}" >>"$RESULTS"
    [ "$store" = - ] || settle "$store" "$case" "$conns" "$port" "$auth"
}

# When wrk stops, requests it sent may still be queued in the server (their
# connections are gone, but the work is done all the same). Before the next
# run, wait for one request sent now to come back: the backlog ahead of it
# has then drained. A slow drain is reported.
settle() { # store case conns port auth
    local t0 t1 org
    org=$(head -1 "$IDS/orgs.ids")
    t0=$(date +%s%N)
    curl -s -o /dev/null --max-time 300 -H "Authorization: $5" \
        "http://127.0.0.1:$4/customer-organizations/$org" ||
        problem "$1: the server did not answer within 300 s after $2 @$3"
    t1=$(date +%s%N)
    if [ $(((t1 - t0) / 1000000)) -gt 1000 ]; then
        problem "$1: after $2 @$3 the server took $(((t1 - t0) / 1000000)) ms to answer a new request (requests of closed connections still queued)"
    fi
}

# The last record's field (numbers only), or empty.
result_field() { # store case conns field
    python3 - "$RESULTS" "$@" <<'EOF'
import json, sys
path, store, case, conns, field = sys.argv[1:]
val = ""
for line in open(path):
    r = json.loads(line)
    if r["store"] == store and r["case"] == case and r["conns"] == int(conns) and field in r:
        val = r[field]
print(val)
EOF
}

# Adds fields to the last record of RESULTS.
amend_last() { # json-object-of-fields
    python3 - "$RESULTS" "$1" <<'EOF'
import json, sys
path, extra = sys.argv[1], json.loads(sys.argv[2])
lines = open(path).read().splitlines()
r = json.loads(lines[-1]); r.update(extra); lines[-1] = json.dumps(r)
open(path, "w").write("\n".join(lines) + "\n")
EOF
}

# ---- the stores ----

count_rows() { # store table
    if [ "$1" = sqlite ]; then
        sqlite3 -cmd ".timeout 10000" "$DB_PATH" "SELECT count(*) FROM $2"
    else
        "$PGBIN/psql" -X -q -tA "$DB" -c "SELECT count(*) FROM $2"
    fi
}

# Size of a pool of fresh customers for a write case at `conns`: enough for
# BENCH_POOL_RATE requests/s when set, else for 3x the best rate a write
# case reached so far at `conns` (rates of one case vary by 2x from run to
# run on a busy machine), at least 2,000/s; before any write case, for a
# quarter of nginx's rate.
pool_size() { # store conns ids-per-request
    python3 - "$RESULTS" "$1" "$2" "$3" "$SECS" "$POOL_RATE" <<'EOF'
import json, math, sys
path, store, conns, per, secs, fixed = sys.argv[1:]
best, nginx = 0, 0
for line in open(path):
    r = json.loads(line)
    if r["conns"] != int(conns) or not r.get("rps"):
        continue
    if r["case"] == "nginx":
        nginx = r["rps"]
    elif r["store"] == store and r["case"].startswith("post_") and not r.get("exhausted"):
        best = max(best, r["rps"])
rate = float(fixed) if fixed else max(3 * best if best else nginx / 4, 2000)
print(min(5000000, math.ceil(rate * int(secs) * int(per))))
EOF
}

make_pool() { # store file count
    bounded 600 "$TMP/preload" --db "$DB" --account bench --pool "$3" --out "$2" 2>>"$TMP/$1/preload.log" ||
        { problem "$1: making a pool of $3 customers failed (see preload.log)"; return 1; }
    # The pool is setup: a bulk load of up to a few hundred MB that the
    # kernel would otherwise still be writing back during the timed run,
    # where it showed as a p99 of 100-300 ms on the writes (an fsync of the
    # WAL waits behind that writeback). Flush it, and let the disk settle.
    # (The same after the preload.)
    settle_disk "$1"
}

settle_disk() { # store
    bounded 300 sync || problem "$1: sync after a load took over 300 s"
    sleep 2
}

# Reads the store's files once, so that the cases start from the page cache
# a server that has been running holds. Machines of this kind (a VM) page out
# file cache left idle for about a minute (DAMON proactive reclaim): after
# the minutes of the large preload, a read case otherwise began by reading
# the evicted part of a 1 GB file from the virtual disk (docs/performance.md).
warm_files() { # store
    if [ "$1" = sqlite ]; then
        cat "$DB_PATH"* >/dev/null 2>&1
    elif [ -n "${PG_DIR:-}" ]; then
        find "$PG_DIR" -type f -size +1M -exec cat {} + >/dev/null 2>&1
    fi
    true
}

write_case() { # store case conns port auth
    local store=$1 case=$2 conns=$3 port=$4 auth=$5 table pool n before after ok
    case $case in
    post_customers) table=customers ;;
    post_orgs) table=organizations ;;
    post_members) table=organization_members ;;
    esac
    local env=()
    if [ "$case" = post_orgs ] || [ "$case" = post_members ]; then
        pool=$TMP/$store/pool-$case-$conns.ids
        n=$(pool_size "$store" "$conns" "$([ "$case" = post_orgs ] && echo 3 || echo 1)")
        log "$store: a pool of $n fresh customers for $case @$conns"
        make_pool "$store" "$pool" "$n" || return 0
        env=(BENCH_POOL="$pool" BENCH_ORGS="$IDS/orgs.ids")
    fi
    before=$(count_rows "$store" "$table")
    run_wrk "$store" "$case" "$conns" "$port" "$auth" "${env[@]}"
    after=$(count_rows "$store" "$table")
    # Every 2xx answer must be in the database. A request in flight when wrk
    # stopped may have been written without wrk reading its answer, so the
    # rows may exceed the answers, never the other way round. (Members: one
    # row per answer.)
    # (A spent pool makes requests that change nothing: no check then.)
    ok=$(python3 - "$RESULTS" <<'EOF'
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
print(0 if r.get("exhausted") else max(0, r.get("requests", 0) - r.get("non2xx", 0)))
EOF
    )
    if [ $((after - before)) -lt "$ok" ]; then
        amend_last "{\"missing_rows\": $((ok - (after - before)))}"
    fi
}

start_kinship() { # store
    local store=$1 port
    port=$(free_port)
    # shellcheck disable=SC2086
    "$BIN" serve --listen "127.0.0.1:$port" --db "$DB" $SERVE_ARGS 2>"$TMP/$store/server.log" &
    KIN_PID=$!
    wait_http "$port" /healthz "$KIN_PID" "kinship ($store)" || { tail -20 "$TMP/$store/server.log" >&2; exit 1; }
    KIN_PORT=$port
}

stop_kinship() { # store
    local store=$1 rc=0 i
    kill -TERM "$KIN_PID" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        kill -0 "$KIN_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$KIN_PID" 2>/dev/null; then
        problem "$store: kinship did not stop within 30 s of SIGTERM"
        kill -KILL "$KIN_PID" 2>/dev/null || true
    fi
    wait "$KIN_PID" || rc=$?
    [ $rc -eq 0 ] || problem "$store: kinship exited $rc on SIGTERM (see server.log)"
    KIN_PID=""
    local lvl n
    for lvl in error warn; do
        n=$(grep -c "level=$lvl" "$TMP/$store/server.log" || true)
        [ "${n:-0}" -eq 0 ] ||
            problem "$store: $n $lvl lines in the server log, the first: $(grep -m1 "level=$lvl" "$TMP/$store/server.log" | cut -c1-300)"
    done
}

# ---- PostgreSQL's ceilings ----
#
# Right after kinship's cases on PostgreSQL, at the highest connection
# count, pgbench runs on the same server and database (prepared statements,
# -c = -j-capped connections as for wrk, every transaction's latency logged):
#
#   pgbench_select        pgbench -S, select-only, on pgbench's own tables
#                         (pgbench -i -s 1 into the same database first:
#                         pgbench_accounts etc., timed)
#   pgbench_get_customer  $BENCH_PGBENCH_DIR/pgbench_get_customer.sql
#   pgbench_get_org       $BENCH_PGBENCH_DIR/pgbench_get_org.sql
#   pgbench_org           $BENCH_PGBENCH_DIR/pgbench_org.sql, --max-tries=1
#
# A ceiling whose case was not asked for (BENCH_CASES) is not run; one whose
# file is missing is skipped with a problem line.
#
# The contract of the scripts (the .sql files follow it; checked on both
# sides when either changes):
#
#   - Every script gets the same variables (pgbench -D):
#       account     the bench account's id (accounts.id)
#       client      the id of the API client that kinship's requests
#                   authenticate as (api_clients.id: the part of the key
#                   before ':'), for a statement that authenticates as
#                   kinship's does
#       ncustomers  how many customer ids bench_ids holds (kind 'customer')
#       norgs       how many organization ids bench_ids holds (kind 'org')
#       nclients    pgbench's -c
#       i           0 (pgbench_org.sql counts its transactions in it)
#   - The database holds, made just before the ceilings,
#       bench_ids (kind text, n int, id text COLLATE "C", PRIMARY KEY (kind, n))
#     with the ids the wrk scripts pick from: kind 'customer', n = 1..ncustomers
#     (customers.ids of the preload: not members of the big organization)
#     and kind 'org', n = 1..norgs (orgs.ids: every organization but the big
#     one). COLLATE "C" as kinship's own id columns, so that comparing with
#     them needs no cast.
#   - pgbench_get_customer.sql and pgbench_get_org.sql: one transaction, one
#     statement: the same logical read as kinship's GET /customers/{id} or
#     GET /customer-organizations/{id} (the same statement kinship sends,
#     authentication included), for an id picked at random, e.g.
#         \set k random(1, :ncustomers)
#         ... WHERE id = (SELECT id FROM bench_ids
#                         WHERE kind = 'customer' AND n = :k) ...
#     (the lookup in bench_ids is a primary-key probe: a few µs of the
#     statement). No BEGIN/COMMIT around it unless kinship sends them.
#     End the statement with \gset instead of ';': a read that finds no
#     row then stops its client and is reported, instead of passing for a
#     fast answer.
#   - pgbench_org.sql: the create-organization transaction as kinship sends
#     it, at the isolation kinship uses (READ COMMITTED), over the pool of
#     fresh customers made by `preload --pgbench-pool` (ids
#     0b000000-0000-7000-8000-%012x, three a transaction, numbered from
#     :client_id, :nclients and :i as the file says; organizations
#     0c000000-0000-7000-8000-%012x). Run with --max-tries=1: no retries;
#     a serialization failure or deadlock counts as a failed transaction,
#     any other error aborts the client; both are reported as failures.

# Makes bench_ids (the contract above) from the preload's id lists.
fill_bench_ids() {
    local csv=$TMP/pg/bench_ids.csv
    {
        awk 'NF {n++; print "customer," n "," $1}' "$IDS/customers.ids"
        awk 'NF {n++; print "org," n "," $1}' "$IDS/orgs.ids"
    } >"$csv"
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$DB" >/dev/null <<EOF
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_ids;
CREATE TABLE bench_ids (kind text, n int, id text COLLATE "C", PRIMARY KEY (kind, n));
\copy bench_ids FROM '$csv' WITH (FORMAT csv)
ANALYZE bench_ids;
EOF
}

# pgbench_run case conns pgbench-arguments...: one timed run of pgbench on
# the benchmark's database; appends its record (store pg) to RESULTS: tx/s
# (without the time its clients take to connect: seconds for 64 on a busy
# machine, hence 5 s more of -T), p50/p99 from its per-transaction log, the
# failed transactions as non2xx, the clients that aborted.
pgbench_run() {
    local case=$1 conns=$2 t out logd rc=0
    shift 2
    t=$(threads_for "$conns")
    out=$TMP/$case-$conns.out
    logd=$TMP/$case-log
    rm -rf "$logd"
    mkdir -p "$logd"
    log "pg: $case, $conns clients, ${SECS}s"
    bounded $((SECS + 120)) "$PGBIN/pgbench" -n -M prepared -c "$conns" -j "$t" \
        -T $((SECS + 5)) -l --log-prefix="$logd/tx" "$@" "$DB" >"$out" 2>&1 || rc=$?
    # Exit 2 is "clients aborted": counted below, reported as failures.
    if [ $rc -ne 0 ] && [ $rc -ne 2 ]; then
        problem "pg: $case failed (exit $rc): $(grep -m3 -i 'error\|abort' "$out" | tr '\n' ' ' | cut -c1-400)"
    fi
    python3 - "$out" "$logd" "$case" "$conns" >>"$RESULTS" <<'EOF'
import glob, json, os, re, sys
out, logdir, case, conns = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
text = open(out).read()
def num(pat, default=None):
    m = re.search(pat, text)
    return float(m.group(1)) if m else default
r = {"store": "pg", "case": case, "conns": conns}
tps = num(r"tps = ([0-9.]+) \(without initial connection time\)")
# A client that meets an error other than a serialization failure or a
# deadlock (or a \gset that finds no row) says so and stops.
aborted = [l for l in text.splitlines() if re.match(r"pgbench: error: client \d+ ", l)]
lat = []
for f in glob.glob(os.path.join(logdir, "tx*")):
    for line in open(f):
        p = line.split()
        if len(p) >= 3 and p[2].isdigit():
            lat.append(int(p[2]))
lat.sort()
def pct(q):
    return lat[min(len(lat) - 1, int(q / 100.0 * len(lat)))] if lat else None
r.update({"rps": tps, "requests": int(num(r"number of transactions actually processed: (\d+)", 0)),
          "non2xx": int(num(r"number of failed transactions: (\d+)", 0)),
          "retried": int(num(r"number of transactions retried: (\d+)", 0)),
          "aborted": len({l.split()[3] for l in aborted}), "p50_us": pct(50), "p99_us": pct(99),
          "connect_ms": num(r"initial connection time = ([0-9.]+) ms", 0)})
if aborted:
    r["sample"] = aborted[0]
if tps is None:
    r["failed"] = True
print(json.dumps(r))
EOF
}

# The variables every script of the contract above gets.
pgbench_vars() { # conns
    printf '%s\n' -D "account=$(cat "$IDS/account.id")" -D "client=$CLIENT_ID" \
        -D "ncustomers=$(grep -c . "$IDS/customers.ids")" -D "norgs=$(grep -c . "$IDS/orgs.ids")" \
        -D "nclients=$1" -D i=0
}

# pgbench_script case conns file [pgbench-arguments...]: a ceiling from a
# script of BENCH_PGBENCH_DIR, skipped with a problem line when it is missing.
pgbench_script() {
    local case=$1 conns=$2 file=$PGB_DIR/$3 vars
    shift 3
    if [ ! -f "$file" ]; then
        problem "pg: $file is missing: the ceiling $case was not measured"
        return 1
    fi
    mapfile -t vars < <(pgbench_vars "$conns")
    pgbench_run "$case" "$conns" "${vars[@]}" "$@" -f "$file"
}

# pgbench -S on pgbench's own tables (pgbench -i -s 1 first, timed).
pgbench_select() { # conns
    local t0 t1
    t0=$(date +%s%N)
    bounded 300 "$PGBIN/pgbench" -i -s 1 -q "$DB" >"$TMP/pgbench-init.out" 2>&1 ||
        { problem "pg: pgbench -i -s 1 failed: $(tail -2 "$TMP/pgbench-init.out" | tr '\n' ' ')"; return 0; }
    t1=$(date +%s%N)
    pgbench_run pgbench_select "$1" -S
    amend_last "{\"init_ms\": $(((t1 - t0) / 1000000))}"
}

# The create-organization transaction, no retries, over a pool of its own.
pgbench_org() { # conns
    local conns=$1 tx n made
    [ -f "$PGB_DIR/pgbench_org.sql" ] ||
        { problem "pg: $PGB_DIR/pgbench_org.sql is missing: the ceiling pgbench_org was not measured"; return 0; }
    tx=$(result_field pg post_orgs "$conns" rps)
    # pgbench is expected to go faster than kinship: room for 4x (at least
    # 2,000/s), 3 customers a transaction.
    n=$(python3 -c "import math; print(3 * math.ceil(max(4 * float('${tx:-0}' or 0), 2000) * ($SECS + 5)))")
    log "pg: a pool of $n customers for pgbench"
    bounded 900 "$TMP/preload" --db "$DB" --account bench --pgbench-pool "$n" 2>>"$TMP/pg/preload.log" ||
        { problem "pg: making the pgbench pool failed"; return 0; }
    settle_disk pg
    pgbench_script pgbench_org "$conns" pgbench_org.sql --max-tries=1 || return 0
    made=$("$PGBIN/psql" -X -q -tA "$DB" -c "SELECT count(*) FROM organizations WHERE id LIKE '0c000000-%'")
    python3 - "$RESULTS" "$n" "$made" <<'EOF'
import json, sys
path, pool, made = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = open(path).read().splitlines()
r = json.loads(lines[-1])
r["made"] = made
if 3 * (r["requests"] + r["conns"]) > pool:
    r["exhausted"] = True
if made < r["requests"]:
    r["missing_rows"] = r["requests"] - made
lines[-1] = json.dumps(r)
open(path, "w").write("\n".join(lines) + "\n")
EOF
}

ceilings() { # conns
    local conns=$1
    if want_case get_customer || want_case get_org; then
        if fill_bench_ids; then
            pgbench_select "$conns"
            want_case get_customer && { pgbench_script pgbench_get_customer "$conns" pgbench_get_customer.sql || true; }
            want_case get_org && { pgbench_script pgbench_get_org "$conns" pgbench_get_org.sql || true; }
        else
            problem "pg: making bench_ids failed: the read ceilings were not measured"
        fi
    fi
    if want_case post_orgs; then pgbench_org "$conns"; fi
    true
}

run_store() { # store
    local store=$1 dir=$TMP/$1 key auth c case
    mkdir -p "$dir/ids"
    IDS=$dir/ids
    if [ "$store" = sqlite ]; then
        DB_PATH=$dir/kinship.db
        DB=sqlite:$DB_PATH
    else
        [ -x "$PGBIN/pgbench" ] || { problem "pg: no PostgreSQL 15 in $PGBIN: skipped"; return 0; }
        PG_DIR=$TMP/pg-server
        local pgport
        pgport=$(free_port)
        DB=$(bounded 120 "$ROOT/scripts/pg-test-server.sh" start "$PG_DIR" "$pgport") ||
            { problem "pg: the PostgreSQL server did not start: skipped"; return 0; }
        log "pg: server at $DB"
    fi
    "$BIN" migrate --db "$DB" >"$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; exit 1; }
    log "$store: preload of $N_CUST customers, $N_ORGS organizations (one of $N_BIG members)"
    local t0=$SECONDS
    bounded 1800 "$TMP/preload" --db "$DB" --account bench --out "$IDS" --customers "$N_CUST" \
        --orgs "$N_ORGS" --big-org "$N_BIG" 2>"$dir/preload.log" || { cat "$dir/preload.log" >&2; exit 1; }
    log "$store: preloaded in $((SECONDS - t0)) s"
    settle_disk "$store"
    key=$("$BIN" keys create --account bench --db "$DB" 2>>"$dir/migrate.log")
    CLIENT_ID=${key%%:*}
    auth="Basic $(printf '%s' "$key" | base64 -w0)"

    warm_files "$store"
    start_kinship "$store"
    curl -s -o /dev/null -H "Authorization: $auth" "http://127.0.0.1:$KIN_PORT/customers?limit=1"
    sleep 1
    local idle
    idle=$(kib "$KIN_PID" VmRSS)

    for c in "${CONN_LIST[@]}"; do
        for case in get_org get_customer list_customers; do
            want_case "$case" || continue
            run_wrk "$store" "$case" "$c" "$KIN_PORT" "$auth" \
                BENCH_ORGS="$IDS/orgs.ids" BENCH_CUSTOMERS="$IDS/customers.ids"
        done
    done

    if [ -s "$IDS/big_org.id" ]; then
        local probe
        if probe=$(bounded 120 python3 "$HERE/probe.py" "$KIN_PORT" "$auth" "$(cat "$IDS/big_org.id")" \
            "$PROBE_PAGES" 60); then
            note "{\"kind\":\"probe\",\"store\":\"$store\",${probe#\{}"
        else
            problem "$store: the scale probe failed"
        fi
    fi

    warm_files "$store"
    for c in "${CONN_LIST[@]}"; do
        for case in post_customers post_orgs post_members; do
            want_case "$case" || continue
            write_case "$store" "$case" "$c" "$KIN_PORT" "$auth"
        done
    done

    if [ "$store" = pg ]; then
        local top=0
        for c in "${CONN_LIST[@]}"; do [ "$c" -gt "$top" ] && top=$c; done
        ceilings "$top"
    fi

    local peak after
    peak=$(kib "$KIN_PID" VmHWM)
    sleep 2
    after=$(kib "$KIN_PID" VmRSS)
    note "{\"kind\":\"rss\",\"store\":\"$store\",\"idle_kib\":$idle,\"peak_kib\":$peak,\"after_kib\":$after}"
    stop_kinship "$store"
    if [ "$store" = pg ]; then
        "$ROOT/scripts/pg-test-server.sh" stop "$PG_DIR" --rm >/dev/null 2>&1 || problem "pg: server did not stop"
        PG_DIR=""
    fi
}

# ---- the run ----

RUN_TAG=$(date +%s)
machine >"$TMP/header.md"
log "temp dir $TMP; building the preload generator"
# shellcheck disable=SC2046 # the flags are words
cc -O2 -o "$TMP/preload" "$HERE/preload.c" $(pkg-config --cflags --libs sqlite3 libpq) ||
    { echo "bench: cannot build bench/preload.c (libsqlite3-dev, libpq-dev)" >&2; exit 1; }

# nginx before and after the kinship cases: the ratios use the mean of the
# two, and a large difference between them says the machine was busy.
yardstick() { # case
    start_nginx
    for c in "${CONN_LIST[@]}"; do
        # A made-up key of the real shape: the same header bytes as kinship's.
        run_wrk - "$1" "$c" "$NGINX_PORT" \
            "Basic $(printf '00000000-0000-7000-8000-000000000000:%043d' 0 | base64 -w0)"
    done
    stop_pid "$NGINX_PID" 10
    NGINX_PID=""
}

yardstick nginx
for s in "${STORE_LIST[@]}"; do
    case "$s" in
    sqlite | pg) run_store "$s" ;;
    *) echo "bench: unknown store $s (sqlite, pg)" >&2; exit 2 ;;
    esac
done
yardstick nginx_after

python3 "$HERE/report.py" "$RESULTS" "$NOTES" "$TMP/header.md" >"$TMP/report.md"
cat "$TMP/report.md"
if [ -n "${BENCH_OUT:-}" ]; then
    cp "$TMP/report.md" "$BENCH_OUT"
fi
