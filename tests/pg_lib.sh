# tests/pg_lib.sh: a real, throwaway PostgreSQL 15 cluster for the tests of
# the historian uploader (sourced after tests/lib.sh, not run).
#
# pg_start PORT makes a private cluster under /tmp, listening on 127.0.0.1
# and on a socket of its own, with a role jope_console (scram password in
# $PG_PASSWORD) owning a database jope; pg_cleanup, registered in CLEANUPS,
# removes it with every process it started.  The cluster lives outside $T
# because $T is 0700 root and PostgreSQL refuses to run as root: as root,
# the server and its tools run as the system user jope-pgtest.  Speed matters
# more than durability here, hence fsync=off (the OS does not crash during a
# test); synchronous_commit stays on, since a commit the client was told of
# must survive pg_stop_immediate.  Plain POSIX sh (dash, bash).

PG_SUPER=pgsuper
PG_OSUSER=""
_PG_UP=""   # not PG_DIR, which is exported and may come from a parent

# _pg_find_bin: the directory of the PostgreSQL 15 server programs.
_pg_find_bin() {
    if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
        echo /usr/lib/postgresql/15/bin
        return 0
    fi
    _pg_b=$(pg_config --bindir 2>/dev/null) || return 1
    [ -x "$_pg_b/initdb" ] || return 1
    echo "$_pg_b"
}

# _pg_ensure_user: the system user the server runs as when we are root.
# Tests run in parallel and may all want to create it at once.  useradd's
# own locking is not enough here (on overlayfs, concurrent useradds were
# seen to lose each other's entries, leaving a uid that no longer exists),
# so creation is serialized with flock on a root-only lock file; without
# flock, a few plain attempts.
_pg_ensure_user() {
    _pg_i=0
    while ! id -u jope-pgtest >/dev/null 2>&1; do
        [ "$_pg_i" -lt 5 ] || fail "cannot create the system user jope-pgtest"
        if command -v flock >/dev/null 2>&1; then
            _pg_lock=/run/jope-pgtest.lock
            [ -d /run ] && [ -w /run ] || _pg_lock=/etc/.jope-pgtest.lock
            (
                flock -w 60 9 || exit 1
                id -u jope-pgtest >/dev/null 2>&1 ||
                    useradd --system --no-create-home \
                        --shell /usr/sbin/nologin jope-pgtest
            ) 9>>"$_pg_lock" >/dev/null 2>&1 || sleep 0.2
        else
            useradd --system --no-create-home --shell /usr/sbin/nologin \
                jope-pgtest >/dev/null 2>&1 || sleep 0.2
        fi
        _pg_i=$((_pg_i + 1))
    done
}

# _pg_as CMD...: run CMD as the cluster's owner, from the cluster dir (the
# caller's cwd may be unreadable to that user) and with HOME there, so that
# no ~/.psqlrc or ~/.pgpass of root gets in the way.
_pg_as() {
    if [ -n "$PG_OSUSER" ]; then
        if command -v runuser >/dev/null 2>&1; then
            (cd "$PG_DIR" && runuser -u "$PG_OSUSER" -- \
                env HOME="$PG_DIR" "$@")
        else
            (cd "$PG_DIR" && setpriv --reuid="$PG_OSUSER" \
                --regid="$PG_OSUSER" --init-groups -- \
                env HOME="$PG_DIR" "$@")
        fi
    else
        (cd "$PG_DIR" && env HOME="$PG_DIR" "$@")
    fi
}

# _pg_sql DB SQL...: psql as the superuser on the socket, one -c per SQL.
# The loop turns "SQL1 SQL2" into "-c SQL1 -c SQL2" without arrays.
_pg_sql() {
    _pg_db=$1; shift
    _pg_n=$#
    while [ "$_pg_n" -gt 0 ]; do
        set -- "$@" -c "$1"
        shift
        _pg_n=$((_pg_n - 1))
    done
    _pg_as "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCK" \
        -p "$PG_PORT" -U "$PG_SUPER" -d "$_pg_db" "$@" </dev/null
}

# _pg_log_tail: the end of the server log, for failure messages.
_pg_log_tail() {
    tail -n 30 "$PG_DIR/server.log" >&2 2>/dev/null || true
}

# _pg_ready: the server accepts connections (pg_isready exits 0).
_pg_ready() {
    _pg_as "$PG_BIN/pg_isready" -q -h "$PG_SOCK" -p "$PG_PORT" -U "$PG_SUPER" \
        -d postgres -t 2 >/dev/null 2>&1
}

# pg_start PORT: create and start the cluster, create jope_console and jope.
pg_start() {
    [ -n "$1" ] || fail "pg_start: no port given"
    [ -z "$_PG_UP" ] || fail "pg_start: this test already has a cluster"
    PG_BIN=$(_pg_find_bin) ||
        skip "PostgreSQL 15 server not installed (run ./autogen.sh)"
    PG_PORT=$1
    if [ "$(id -u)" -eq 0 ]; then
        _pg_ensure_user
        PG_OSUSER=jope-pgtest
    fi
    PG_DIR=$(mktemp -d /tmp/jope-pg.XXXXXX) || fail "mktemp failed"
    _PG_UP=1
    # Registered at once: a failure below still removes the dir.
    case " $CLEANUPS " in
        *" pg_cleanup "*) ;;
        *) CLEANUPS="$CLEANUPS pg_cleanup" ;;
    esac
    PG_SOCK=$PG_DIR/sock
    mkdir "$PG_SOCK" || fail "cannot create $PG_SOCK"
    if [ -n "$PG_OSUSER" ]; then
        chown -R "$PG_OSUSER:" "$PG_DIR" || fail "cannot chown $PG_DIR"
    fi
    PG_PASSWORD=$(od -An -N10 -tx1 /dev/urandom | tr -d ' \n')
    [ ${#PG_PASSWORD} -eq 20 ] || fail "cannot make a random password"
    PG_CONNINFO="host=$PG_SOCK port=$PG_PORT dbname=jope user=jope_console"
    PG_TCP_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=jope user=jope_console sslmode=disable"
    export PG_DIR PG_SOCK PG_PORT PG_PASSWORD PG_CONNINFO PG_TCP_CONNINFO PG_BIN

    _pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust \
        --username="$PG_SUPER" -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 ||
        { cat "$PG_DIR/initdb.log" >&2; fail "initdb failed"; }
    # Appended, so these win over initdb's defaults.  The server log goes
    # to $PG_DIR/server.log through pg_ctl -l (no logging collector, one
    # process fewer to clean up).
    cat >>"$PG_DIR/data/postgresql.conf" <<EOF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_SOCK'
fsync = off
full_page_writes = off
max_connections = 50
shared_buffers = 64MB
logging_collector = off
log_destination = 'stderr'
EOF
    # First match wins: the console's role must always give its password
    # (what the uploader really does), everybody else is trusted.
    cat >"$PG_DIR/data/pg_hba.conf" <<EOF
local all jope_console scram-sha-256
host  all jope_console 127.0.0.1/32 scram-sha-256
local all all trust
host  all all 127.0.0.1/32 trust
EOF
    _pg_server_start || fail "PostgreSQL did not start on port $PG_PORT"
    _pg_sql postgres \
        "CREATE ROLE jope_console LOGIN PASSWORD '$PG_PASSWORD'" \
        "CREATE DATABASE jope OWNER jope_console" >/dev/null ||
        { _pg_log_tail; fail "cannot create role jope_console / database jope"; }
}

# _pg_server_start: pg_ctl start, then wait (bounded) for connections.
_pg_server_start() {
    _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -t 60 \
        -l "$PG_DIR/server.log" start >/dev/null 2>&1 ||
        { _pg_log_tail; return 1; }
    wait_until 50 _pg_ready || { _pg_log_tail; return 1; }
}

# pg_stop: a clean (fast) shutdown; returns once the server is gone.
pg_stop() {
    _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop \
        >/dev/null 2>&1 || { _pg_log_tail; fail "pg_ctl stop failed"; }
}

# pg_stop_immediate: a crash-like stop (no checkpoint; recovery on start).
pg_stop_immediate() {
    _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 60 stop \
        >/dev/null 2>&1 || { _pg_log_tail; fail "pg_ctl stop failed"; }
}

# pg_start_again: start the same cluster again (after pg_stop*).
pg_start_again() {
    _pg_server_start || fail "PostgreSQL did not start again on port $PG_PORT"
}

# pg_psql SQL...: run SQL as the superuser in database jope; prints the
# rows unaligned, without headers; returns psql's status.
pg_psql() {
    _pg_sql jope "$@"
}

# pg_psql_file FILE: the same for a script.  It is fed on stdin because
# the file is usually in $T, which jope-pgtest cannot read.
pg_psql_file() {
    [ -r "$1" ] || { echo "pg_psql_file: cannot read $1" >&2; return 1; }
    _pg_as "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCK" \
        -p "$PG_PORT" -U "$PG_SUPER" -d jope -f - <"$1"
}

# pg_dump_schema: the schema of database jope, for comparisons.
pg_dump_schema() {
    _pg_as "$PG_BIN/pg_dump" --schema-only --no-owner -h "$PG_SOCK" \
        -p "$PG_PORT" -U "$PG_SUPER" jope </dev/null
}

# _pg_children PID: the pids whose parent is PID (from /proc: ps may be
# missing).  The command name in stat may hold spaces, so everything up to
# its closing parenthesis is cut off first.
_pg_children() {
    _pg_pp=$1
    for _pg_st in /proc/[0-9]*/stat; do
        _pg_f=$(sed 's/^.*) //' "$_pg_st" 2>/dev/null) || continue
        # Split on purpose: the fields are "state ppid ...".
        # shellcheck disable=SC2086
        set -- $_pg_f
        if [ "${2:-}" = "$_pg_pp" ]; then
            _pg_c=${_pg_st#/proc/}
            echo "${_pg_c%/stat}"
        fi
    done
}

# _pg_alive PID: PID runs and is a postgres (not a recycled pid).  A
# zombie counts as gone: in a container nobody may ever reap it.
_pg_alive() {
    [ "$(cat "/proc/$1/comm" 2>/dev/null)" = postgres ] || return 1
    _pg_s=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    [ "${_pg_s%% *}" != Z ]
}

# pg_cleanup: stop the server however it can be stopped, then remove the
# cluster.  Runs from the EXIT trap: it never fails and leaves nothing.
pg_cleanup() {
    [ -n "$_PG_UP" ] && [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
    _pg_pidf=$PG_DIR/data/postmaster.pid
    if [ -f "$_pg_pidf" ] && [ -n "${PG_BIN:-}" ]; then
        _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 10 stop \
            >/dev/null 2>&1 || true
    fi
    # pg_ctl failed or timed out: kill the postmaster's children, then the
    # postmaster, by the pid it wrote, and wait (bounded) for them to go.
    # The postmaster is stopped first, so that it cannot start new children
    # meanwhile, and killed last, so that its children stay its children.
    if [ -f "$_pg_pidf" ]; then
        _pg_parent=$(head -n 1 "$_pg_pidf" 2>/dev/null)
        case "$_pg_parent" in
            '' | *[!0-9]*) _pg_parent="" ;;
        esac
        if [ -n "$_pg_parent" ] && _pg_alive "$_pg_parent"; then
            kill -STOP "$_pg_parent" 2>/dev/null || true
            for _pg_k in $(_pg_children "$_pg_parent"); do
                kill -KILL "$_pg_k" 2>/dev/null || true
            done
            kill -KILL "$_pg_parent" 2>/dev/null || true
            _pg_i=0
            while _pg_alive "$_pg_parent" && [ "$_pg_i" -lt 50 ]; do
                sleep 0.1
                _pg_i=$((_pg_i + 1))
            done
        fi
    fi
    rm -rf "$PG_DIR" 2>/dev/null || true
    PG_DIR=""
    _PG_UP=""
    return 0
}
