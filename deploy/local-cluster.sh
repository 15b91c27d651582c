#!/usr/bin/env bash
# Starts one Redis and three gateway nodes on this machine, in dev mode, and prints how to connect.
# Ctrl-C stops everything. Needs redis-server on the PATH (Debian: apt-get install redis-server),
# a JDK 17+ and Maven. Ports: Redis 6390, nodes 8101-8103 (public) and 8201-8203 (admin);
# override with REDIS_PORT and BASE_PORT/BASE_ADMIN_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."

REDIS_PORT=${REDIS_PORT:-6390}
BASE_PORT=${BASE_PORT:-8100}
BASE_ADMIN_PORT=${BASE_ADMIN_PORT:-8200}
JAR=gateway/target/inbox-gateway.jar
WORK=$(mktemp -d -t inbox-local-cluster-XXXX)

if [ ! -f "$JAR" ]; then
  echo "building $JAR ..."
  mvn -q -B -DskipTests package
fi

pids=()
cleanup() {
  echo
  echo "stopping..."
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly yes --dir "$WORK" \
  --daemonize no --loglevel warning > "$WORK/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done

# Each node gets its share of the cores: three nodes each with a loop per core would oversubscribe them.
loops=$(( $(nproc) / 3 )); [ "$loops" -ge 1 ] || loops=1
for i in 1 2 3; do
  java -jar "$JAR" --dev --redis "redis://127.0.0.1:$REDIS_PORT" --worker-threads "$loops" \
    --port $((BASE_PORT + i)) --admin-port $((BASE_ADMIN_PORT + i)) --admin-bind 127.0.0.1 \
    > "$WORK/node$i.log" 2>&1 &
  pids+=($!)
done

for i in 1 2 3; do
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$((BASE_ADMIN_PORT + i))/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fs "http://127.0.0.1:$((BASE_ADMIN_PORT + i))/readyz" >/dev/null \
    || { echo "node $i did not become ready; its log:"; cat "$WORK/node$i.log"; exit 1; }
done

cat <<INFO
Redis on 127.0.0.1:$REDIS_PORT and three nodes are up (dev mode, logs in $WORK):
  node 1: ws://localhost:$((BASE_PORT + 1))/ws/inbox/   admin http://localhost:$((BASE_ADMIN_PORT + 1))
  node 2: ws://localhost:$((BASE_PORT + 2))/ws/inbox/   admin http://localhost:$((BASE_ADMIN_PORT + 2))
  node 3: ws://localhost:$((BASE_PORT + 3))/ws/inbox/   admin http://localhost:$((BASE_ADMIN_PORT + 3))

Chat across nodes, one terminal each:
  npx wscat -c 'ws://localhost:$((BASE_PORT + 1))/ws/inbox/?user_id=1&name=Ann'
  npx wscat -c 'ws://localhost:$((BASE_PORT + 2))/ws/inbox/?user_id=2&name=Bob'
then in each: {"type":"TEXT","conversation_id":1,"message":"hi"}

Ctrl-C stops everything.
INFO
wait
