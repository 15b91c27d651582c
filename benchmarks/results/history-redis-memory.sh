#!/usr/bin/env bash
# Redis memory of one conversation's history stream (MEMORY USAGE ... SAMPLES 0) holding N typical events, written
# in the admission script's form: entry id <message_id>-0, fields e (the event's JSON) and p (the previous id),
# XADD ... MAXLEN ~ 1000. Then one user's resume feed holding N entries, in the script's form: XADD
# {inbox:u:USER}:feed MAXLEN ~ 1000 <ms>-<seq> c <conversation_id> m <message_id>, beside its epoch key.
# Starts its own redis-server on PORT and stops it.
set -euo pipefail
port=${PORT:-6398}
redis-server --port "$port" --save "" --appendonly no --daemonize yes >/dev/null
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do :; done
redis-cli -p "$port" INFO server | grep redis_version
for n in 10 100 1000; do
  key="inbox:{o1.0}:c:$n:history"
  python3 - "$n" "$key" <<'PY' | redis-cli -p "$port" --pipe >/dev/null
import sys
n, key = int(sys.argv[1]), sys.argv[2]
base = 1000000000000000 + (1 << 22)
for i in range(n):
    mid = base + i * 2048
    js = ('{"type":"TEXT","message":"See you at the station at six, I\'ll bring the tickets","conversation_id":1000000,'
          '"sender_id":456,"sender_name":"John Doe","sender_avatar":"https://cdn.example.com/avatars/456.png",'
          '"created_at":"2025-01-15T10:30:00.000Z","message_id":%d}' % mid)
    args = ['XADD', key, 'MAXLEN', '~', '1000', '%d-0' % mid, 'e', js, 'p', str(0 if i == 0 else mid - 2048)]
    sys.stdout.write('*%d\r\n' % len(args) + ''.join('$%d\r\n%s\r\n' % (len(a.encode()), a) for a in args))
PY
  echo "events=$n xlen=$(redis-cli -p "$port" XLEN "$key") memory_usage_bytes=$(redis-cli -p "$port" MEMORY USAGE "$key" SAMPLES 0)"
done
for n in 10 100 1000; do
  key="{inbox:u:$n}:feed"
  python3 - "$n" "$key" <<'PY' | redis-cli -p "$port" --pipe >/dev/null
import sys
n, key = int(sys.argv[1]), sys.argv[2]
base = 1000000000000000 + (1 << 22)
ms = 1733450000000
for i in range(n):
    # Events to one user a few hundred ms apart, from a handful of conversations, as the script's '*' ids make them.
    args = ['XADD', key, 'MAXLEN', '~', '1000', '%d-0' % (ms + i * 337), 'c', str(1000000 + i % 7), 'm', str(base + i * 2048)]
    sys.stdout.write('*%d\r\n' % len(args) + ''.join('$%d\r\n%s\r\n' % (len(a.encode()), a) for a in args))
PY
  redis-cli -p "$port" SET "{inbox:u:$n}:epoch" "3f9c1a2b44de" >/dev/null
  echo "feed_entries=$n xlen=$(redis-cli -p "$port" XLEN "$key") memory_usage_bytes=$(redis-cli -p "$port" MEMORY USAGE "$key" SAMPLES 0) epoch_key_bytes=$(redis-cli -p "$port" MEMORY USAGE "{inbox:u:$n}:epoch")"
done
