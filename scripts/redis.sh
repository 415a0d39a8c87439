#!/usr/bin/env bash
# Start a throwaway redis-server on loopback for the Redis backend tests.
# Installs it with apt-get when missing and possible; otherwise records why in
# .redis/unavailable so the tests can skip with that reason.
set -u
PORT="${CONCURRY_TEST_REDIS_PORT:-6390}"
DIR="$(cd "$(dirname "$0")/.." && pwd)/.redis"
mkdir -p "$DIR"

if [ "${1:-start}" = "stop" ]; then
  # Stop only the server this script started (its pid file), so nothing outlives `make test`.
  if [ -f "$DIR/redis.pid" ]; then
    pid="$(cat "$DIR/redis.pid")"
    redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || kill "$pid" 2>/dev/null
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    rm -f "$DIR/redis.pid"
  fi
  exit 0
fi

rm -f "$DIR/unavailable"

unavailable() { echo "$1" > "$DIR/unavailable"; echo "redis: $1 (Redis tests will be skipped)"; exit 0; }

if ! command -v redis-server >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "redis: installing redis-server with apt-get"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >"$DIR/install.log" 2>&1 \
      || unavailable "apt-get install redis-server failed, see .redis/install.log"
  else
    unavailable "redis-server is not installed and apt-get as root is not available to install it"
  fi
fi
if redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null 2>&1; then
  exit 0
fi
redis-server --bind 127.0.0.1 --port "$PORT" --save "" --appendonly no \
  --daemonize yes --dir "$DIR" --logfile "$DIR/redis.log" --pidfile "$DIR/redis.pid" \
  || unavailable "redis-server failed to start, see .redis/redis.log"
for _ in $(seq 50); do
  redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null 2>&1 && exit 0
  sleep 0.1
done
unavailable "redis-server did not answer on 127.0.0.1:$PORT"
