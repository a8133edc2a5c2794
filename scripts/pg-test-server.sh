#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for kinship's tests: its own data directory,
# bound to 127.0.0.1 only, trust authentication, durable settings (fsync and
# synchronous_commit on, as kinship's 2xx promise needs).
#
#   scripts/pg-test-server.sh start DIR PORT   # prints the database URL
#   scripts/pg-test-server.sh stop DIR [--rm]  # --rm also deletes DIR
#
# `start` on an existing DIR reuses its data (no initdb), so a test can stop
# the server and start it again mid-run. PostgreSQL refuses to run as root:
# run as root, the script creates the system user `kinship-test` when it is
# missing and runs the server as that user. When that user cannot reach DIR
# (say DIR is inside a private mktemp directory), the cluster lives in a
# directory of its own under /tmp, named in DIR/cluster, and `stop --rm`
# deletes it too. The system cluster and systemd are never touched.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
RUN_USER=kinship-test
DB_USER=kinship
DB_NAME=kinship_test

die() {
    echo "pg-test-server: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 start DIR PORT | stop DIR [--rm]" >&2
    exit 2
}

# Runs "$@" as the server's user (as is when we are not root).
as_user() {
    if [ "$(id -u)" -ne 0 ]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$RUN_USER" -- "$@"
    else
        setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups -- "$@"
    fi
}

ensure_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    id -u "$RUN_USER" >/dev/null 2>&1 && return 0
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$RUN_USER" 2>/dev/null ||
        id -u "$RUN_USER" >/dev/null 2>&1 || # another start raced us to it
        die "cannot create system user $RUN_USER"
}

# Where the cluster of DIR lives: DIR itself, or the directory DIR/cluster names.
home_of() {
    if [ -f "$1/cluster" ]; then cat "$1/cluster"; else echo "$1"; fi
}

running() {
    as_user "$PGBIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

start() {
    local dir=$1 port=$2
    [[ "$port" =~ ^[0-9]+$ ]] || die "PORT must be a number"
    [ -x "$PGBIN/postgres" ] || die "no PostgreSQL 15 binaries in $PGBIN (apt-get install postgresql)"
    ensure_user
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    local home
    home=$(home_of "$dir")
    if [ "$(id -u)" -eq 0 ] && [ "$home" = "$dir" ]; then
        chown "$RUN_USER:" "$dir"
        chmod 700 "$dir"
        if ! as_user test -w "$dir" 2>/dev/null; then
            home=$(mktemp -d /tmp/kinship-pg-XXXXXX)
            chown "$RUN_USER:" "$home"
            echo "$home" >"$dir/cluster"
        fi
    fi
    # The socket path must fit sockaddr_un (107 bytes).
    [ ${#home} -le 80 ] || die "DIR path too long for a unix socket: $home"

    if [ ! -f "$home/data/PG_VERSION" ]; then
        as_user "$PGBIN/initdb" -D "$home/data" -U "$DB_USER" --auth=trust \
            --encoding=UTF8 --locale=C >"$home/initdb.log" 2>&1 ||
            { cat "$home/initdb.log" >&2; die "initdb failed"; }
        # Settings live in the data directory so a restart keeps them; the
        # port is given at each start.
        cat >>"$home/data/postgresql.conf" <<EOF

# pg-test-server.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$home'
max_connections = 200
fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = 128MB
log_min_messages = warning
log_line_prefix = '%m [%p] '
EOF
        cat >"$home/data/pg_hba.conf" <<EOF
local all all              trust
host  all all 127.0.0.1/32 trust
EOF
    fi

    if running "$home"; then
        local old
        old=$(cat "$home/port" 2>/dev/null || true)
        [ "$old" = "$port" ] || die "already running in $home on port ${old:-?}"
    else
        echo "$port" >"$home/port"
        chown --reference="$home" "$home/port" 2>/dev/null || true
        as_user "$PGBIN/pg_ctl" -D "$home/data" -l "$home/server.log" -w -t 60 \
            -o "-p $port" start >/dev/null ||
            { tail -n 20 "$home/server.log" >&2 || true; die "server did not start on port $port"; }
    fi

    local i
    for i in $(seq 1 100); do
        "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres && break
        sleep 0.1
    done
    "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres || die "server not ready on port $port"

    local psql=("$PGBIN/psql" -X -q -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres -v ON_ERROR_STOP=1)
    if [ -z "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
        "${psql[@]}" -c "CREATE DATABASE $DB_NAME" >/dev/null 2>&1 ||
            [ -n "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ] ||
            die "cannot create database $DB_NAME"
    fi
    echo "postgresql://$DB_USER@127.0.0.1:$port/$DB_NAME"
}

stop() {
    local dir=$1 rm=${2:-} home
    [ -z "$rm" ] || [ "$rm" = "--rm" ] || usage
    [ -d "$dir" ] || return 0
    home=$(home_of "$dir")
    if [ -f "$home/data/PG_VERSION" ] && running "$home"; then
        as_user "$PGBIN/pg_ctl" -D "$home/data" -m fast -w -t 60 stop >/dev/null ||
            die "server in $home did not stop"
    fi
    if [ "$rm" = "--rm" ]; then
        [ "$home" = "$dir" ] || rm -rf -- "$home"
        rm -rf -- "$dir"
    fi
}

[ $# -ge 2 ] || usage
case "$1" in
start)
    [ $# -eq 3 ] || usage
    start "$2" "$3"
    ;;
stop)
    [ $# -ge 2 ] && [ $# -le 3 ] || usage
    stop "$2" "${3:-}"
    ;;
*)
    usage
    ;;
esac
