#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer.
# Starts them with this machine's commands when they don't, installs them with apt-get
# only when their programs are missing, then waits (bounded) until both answer.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
WAIT_SECONDS=${SERVICES_WAIT_SECONDS:-30}

log() { echo "services: $*"; }

# Root runs commands directly; others go through sudo when there is one.
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    SUDO=()
fi

as_root() {
    if [ "$(id -u)" -ne 0 ] && [ ${#SUDO[@]} -eq 0 ]; then
        log "need root (or sudo) to run: $*" >&2
        return 1
    fi
    "${SUDO[@]}" "$@"
}

APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        as_root apt-get update
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

pg_answers() {
    command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
}

redis_answers() {
    command -v redis-cli >/dev/null 2>&1 &&
        [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
}

start_postgres() {
    if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1 \
        || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
        log "PostgreSQL is not installed: installing it with apt-get"
        apt_install postgresql
        log "note: a freshly installed PostgreSQL may not trust user postgres on $PG_HOST;" \
            "the tests expect trust auth there (see pg_hba.conf)"
    fi
    local version
    for version in $(ls /etc/postgresql); do
        log "starting PostgreSQL $version"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
            log "pg_ctlcluster $version main start failed (already running?)"
    done
}

start_redis() {
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        log "Redis is not installed: installing redis-server with apt-get"
        apt_install redis-server
    fi
    log "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
        --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log ||
        log "redis-server failed to start (see /var/log/redis/ci.log)"
}

pg_answers || start_postgres
redis_answers || start_redis

for ((i = 0; i < WAIT_SECONDS; i++)); do
    if pg_answers && redis_answers; then
        log "PostgreSQL on $PG_HOST:$PG_PORT and Redis on $REDIS_HOST:$REDIS_PORT answer"
        exit 0
    fi
    sleep 1
done

pg_answers || log "PostgreSQL does not answer on $PG_HOST:$PG_PORT after ${WAIT_SECONDS}s" >&2
redis_answers || log "Redis does not answer on $REDIS_HOST:$REDIS_PORT after ${WAIT_SECONDS}s" >&2
exit 1
