#!/usr/bin/env bash
# `scripts/redis.sh install`: make sure redis-server is installed for the Redis
# backend tests. The test session itself starts a throwaway server when a test
# first needs one (a child of pytest on a free port of 127.0.0.1, stopped at the
# session's end: tests/conftest.py), so nothing is started here.
# Installs it with apt-get when missing and possible, saying so; otherwise records
# why in .redis/unavailable, so the Redis tests skip with that reason.
# `scripts/redis.sh stop`: stop a daemon that an earlier version of this script
# started on 127.0.0.1:6390 (its pid file), if one is still running.
set -u
DIR="$(cd "$(dirname "$0")/.." && pwd)/.redis"

case "${1:-install}" in
  install) ;;
  stop)
    if [ -f "$DIR/redis.pid" ]; then
      pid="$(cat "$DIR/redis.pid")"
      kill "$pid" 2>/dev/null
      for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      rm -f "$DIR/redis.pid"
    fi
    exit 0
    ;;
  *)
    echo "usage: scripts/redis.sh install" >&2
    exit 2
    ;;
esac

mkdir -p "$DIR"
rm -f "$DIR/unavailable"
unavailable() { echo "$1" > "$DIR/unavailable"; echo "make: $1 (the Redis tests will be skipped)"; exit 0; }

if [ -n "${CONCURRY_TEST_REDIS_URL:-}" ] || command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "make: installing system package redis-server with apt-get (needed by the Redis backend tests)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >"$DIR/install.log" 2>&1 \
    || unavailable "apt-get install redis-server failed, see .redis/install.log"
  # Where services may start on install (no policy-rc.d), the package starts a
  # system-wide redis-server: the tests do not use it, so stop it again.
  if command -v service >/dev/null 2>&1; then
    service redis-server stop >>"$DIR/install.log" 2>&1 || true
  fi
  command -v redis-server >/dev/null 2>&1 || unavailable "apt-get installed redis-server but it is not on PATH"
else
  unavailable "redis-server is not installed and apt-get as root is not available to install it"
fi
