#!/usr/bin/env bash
# make run: start a Redis for docparse when none answers at REDIS_URL (data
# under ./data/redis, append-only file on, so jobs survive a restart), then
# the API with its workers on API_PORT (1233).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && set -a && . ./.env && set +a
url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
if ! redis-cli -u "$url" ping >/dev/null 2>&1; then
  hostport="${url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
  port="${hostport##*:}"
  mkdir -p data/redis
  echo "starting redis-server on port $port (data in data/redis)" >&2
  redis-server --port "$port" --bind 127.0.0.1 --dir "$PWD/data/redis" --appendonly yes \
    --daemonize yes --logfile "$PWD/data/redis/redis.log" --pidfile "$PWD/data/redis/redis.pid"
  for _ in $(seq 50); do redis-cli -u "$url" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
exec ./bin/docparse api
