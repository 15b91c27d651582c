#!/usr/bin/env python3
"""Saves every message the inbox gateway admitted, exactly once: the core loop of a Django management command.

The gateway appends each message to a Redis Stream (its outbox; docs/operations.md, "The outbox"). This reads them
with a consumer group, saves each under its key (conversation_id, message_id), where a redelivered entry changes
nothing, then acknowledges it: a crash between the save and the XACK costs a redelivery, never a loss. Needs only
redis-py (Debian: python3-redis):

    python3 deploy/examples/django_outbox_consumer.py --redis-url redis://localhost:6379 --db messages.sqlite3

sqlite3 stands in for Django's ORM. The model and the call this would be in a Django project:

    class ChatMessage(models.Model):
        conversation_id = models.BigIntegerField()
        message_id = models.BigIntegerField()                   # unique within its conversation, not across them
        type = models.CharField(max_length=16)
        message = models.TextField()
        sender_id = models.BigIntegerField()
        sender_name = models.CharField(max_length=128, blank=True)
        sender_avatar = models.CharField(max_length=2048, blank=True)
        created_at = models.DateTimeField()                     # datetime.fromisoformat(entry["created_at"])
        client_msg_id = models.CharField(max_length=64, blank=True)
        source = models.CharField(max_length=8)                 # "client" or "admin"

        class Meta:  # the idempotency key: a redelivered entry hits it and changes nothing
            constraints = [models.UniqueConstraint(fields=["conversation_id", "message_id"], name="one_save")]

    ChatMessage.objects.bulk_create([ChatMessage(**row) for row in rows], ignore_conflicts=True)
    # or one at a time: ChatMessage.objects.get_or_create(conversation_id=..., message_id=..., defaults=row)
"""
import argparse
import os
import signal
import socket
import sqlite3
import sys
import time

import redis

STREAMS_KEY = "inbox:outbox:streams"  # a set: the key of every partition's stream
FIELDS = ("message_id", "conversation_id", "type", "message", "sender_id", "sender_name", "sender_avatar",
          "created_at", "client_msg_id", "source")
CRASH_EXIT_CODE = 3

SCHEMA = """CREATE TABLE IF NOT EXISTS chat_message (
    message_id INTEGER NOT NULL, conversation_id INTEGER NOT NULL, type TEXT NOT NULL, message TEXT NOT NULL,
    sender_id INTEGER NOT NULL, sender_name TEXT NOT NULL, sender_avatar TEXT NOT NULL, created_at TEXT NOT NULL,
    client_msg_id TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (conversation_id, message_id))"""
INSERT = (f"INSERT INTO chat_message ({', '.join(FIELDS)}) VALUES ({', '.join('?' * len(FIELDS))})"
          " ON CONFLICT (conversation_id, message_id) DO NOTHING")


class OutboxConsumer:
    def __init__(self, args):
        self.args = args
        self.redis = redis.Redis.from_url(args.redis_url, decode_responses=True)
        self.db = sqlite3.connect(args.db)
        self.db.execute(SCHEMA)
        self.streams = []
        self.stopping = False
        self.saved = self.duplicates = self.reclaimed = 0

    def discover(self):
        """The partition streams (fixed: every node must agree on their number), each with our group on it."""
        while not self.streams and not self.stopping:
            self.streams = sorted(self.redis.smembers(STREAMS_KEY))
            if not self.streams:
                print(f"no {STREAMS_KEY} yet: has a gateway with --redis started?", flush=True)
                time.sleep(1)
        for stream in self.streams:
            try:  # from 0: whatever the gateway still holds is ours to save
                self.redis.xgroup_create(stream, self.args.group, id="0", mkstream=True)
            except redis.ResponseError as e:
                if "BUSYGROUP" not in str(e):  # the group exists already: carry on where it is
                    raise

    def save_then_ack(self, stream, entries):
        entries = [(entry_id, fields) for entry_id, fields in entries if entry_id is not None]
        if self.args.crash_after:  # test only: save up to the limit, then die holding every entry unacknowledged
            entries = entries[:self.args.crash_after - self.saved - self.duplicates]
        if not entries:
            return
        rows = [tuple(fields.get(name, "") for name in FIELDS) for _, fields in entries]
        with self.db:  # one transaction per batch, committed before the XACK
            inserted = self.db.executemany(INSERT, rows).rowcount
        self.saved += inserted
        self.duplicates += len(rows) - inserted
        if self.args.crash_after:
            if self.saved + self.duplicates >= self.args.crash_after:
                print(f"crashing on purpose: {self.saved} saved, none acknowledged", flush=True)
                os._exit(CRASH_EXIT_CODE)  # no cleanup, no XACK: as if the process were killed here
            return
        self.redis.xack(stream, self.args.group, *[entry_id for entry_id, _ in entries])

    def reclaim(self):
        """Takes over what a crashed consumer was given and never acknowledged (idle past --claim-idle-ms)."""
        for stream in self.streams:
            start = "0-0"
            while True:
                reply = self.redis.xautoclaim(stream, self.args.group, self.args.consumer,
                                              self.args.claim_idle_ms, start_id=start, count=self.args.count)
                start, entries = reply[0], reply[1]
                self.reclaimed += len(entries)
                self.save_then_ack(stream, entries)
                if start == "0-0":
                    break

    def run(self):
        self.discover()
        next_claim = 0.0
        while not self.stopping:
            try:
                if time.monotonic() >= next_claim:
                    self.reclaim()
                    next_claim = time.monotonic() + self.args.claim_idle_ms / 1000
                block = min(self.args.block_ms, self.args.claim_idle_ms)
                reply = self.redis.xreadgroup(self.args.group, self.args.consumer, {s: ">" for s in self.streams},
                                              count=self.args.count, block=block)
                for stream, entries in reply:
                    self.save_then_ack(stream, entries)
            except (redis.ConnectionError, redis.TimeoutError) as e:  # unacked entries come again
                print(f"redis unreachable ({e}); retrying", flush=True)
                time.sleep(1)
        print(f"stopped: saved={self.saved} duplicates={self.duplicates} reclaimed={self.reclaimed}", flush=True)

    def stop(self, signum, frame):
        self.stopping = True  # the loop ends after the batch in hand, within --block-ms


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis-url", default="redis://localhost:6379")
    parser.add_argument("--group", default="backend", help="consumer group: one per backend that needs every message")
    parser.add_argument("--consumer", default=socket.gethostname(), help="this process's name within the group")
    parser.add_argument("--db", default="messages.sqlite3", help="sqlite file standing in for Django's database")
    parser.add_argument("--claim-idle-ms", type=int, default=60000,
                        help="reclaim entries another consumer left unacknowledged this long (checked as often)")
    parser.add_argument("--block-ms", type=int, default=5000, help="longest wait in XREADGROUP")
    parser.add_argument("--count", type=int, default=100, help="most entries read per stream at once")
    parser.add_argument("--crash-after", type=int, default=0,
                        help="test only: exit (code 3) once this many entries are saved, acknowledging none")
    consumer = OutboxConsumer(parser.parse_args())
    signal.signal(signal.SIGTERM, consumer.stop)
    signal.signal(signal.SIGINT, consumer.stop)
    consumer.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
