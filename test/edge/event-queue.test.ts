import assert from "node:assert/strict";
import { test } from "node:test";
import { EventQueue } from "../../src/edge/event-queue.js";
import { createMemoryStorage, type EdgeStorage } from "../../src/edge/storage.js";
import type { EdgeEvent } from "../../src/edge/wire.js";

let next = 0;
const decision = (): EdgeEvent => ({
  id: `d${next++}`,
  type: "decision",
  created_at: 0,
  bundle: "b",
  label: "x",
  confidence: 0.9,
  threshold: 0.5,
  latency_ms: 0,
  text_length: 1,
});
const feedback = (): EdgeEvent => ({
  id: `f${next++}`,
  type: "feedback",
  created_at: 0,
  request_id: "r",
  label: "y",
});
const ids = (events: readonly EdgeEvent[]) => events.map((event) => event.id);

test("uploads come out oldest first across decisions and other events, and acknowledged ones leave", async () => {
  const queue = await EventQueue.open(createMemoryStorage());
  const added = [decision(), feedback(), decision(), decision(), feedback()];
  for (const event of added) await queue.add(event);
  assert.deepEqual(ids(queue.peek(10)), ids(added));
  assert.deepEqual(ids(queue.peek(2)), ids(added.slice(0, 2)));
  await queue.acknowledge(new Set([added[0]?.id, added[1]?.id, added[3]?.id] as string[]));
  assert.deepEqual(ids(queue.peek(10)), ids([added[2], added[4]] as EdgeEvent[]));
  assert.equal(queue.size, 2);
});

test("decisions wait in memory until a flush or an escalation; then everything is in storage, in order", async () => {
  const storage = createMemoryStorage();
  const queue = await EventQueue.open(storage, { flushDelayMs: 60_000 });
  const first = decision();
  queue.addDecision(first);
  assert.equal((await storage.entries("queue/")).length, 0);
  const second = feedback();
  await queue.add(second);
  const reopened = await EventQueue.open(storage);
  assert.deepEqual(ids(reopened.peek(10)), [first.id, second.id]);
});

test("a full queue drops its oldest decision first, counts every drop, and the count survives a reopen", async () => {
  const storage = createMemoryStorage();
  const queue = await EventQueue.open(storage, { maxEvents: 3 });
  const kept = feedback();
  await queue.add(kept);
  const decisions = [decision(), decision(), decision(), decision()];
  for (const event of decisions) queue.addDecision(event);
  await queue.flush();
  assert.equal(queue.size, 3);
  assert.equal(queue.dropped, 2);
  assert.deepEqual(ids(queue.peek(10)), [kept.id, decisions[2]?.id, decisions[3]?.id]);
  const reopened = await EventQueue.open(storage);
  assert.equal(reopened.dropped, 2);
  assert.equal(reopened.size, 3);
  // Only when no decision is left does an escalation or feedback go.
  const small = await EventQueue.open(createMemoryStorage(), { maxEvents: 1 });
  const older = feedback();
  await small.add(older);
  await small.add(feedback());
  assert.equal(small.dropped, 1);
  assert.notEqual(small.peek(1)[0]?.id, older.id);
});

test("a storage that fails keeps the events in memory and writes them at the next flush", async () => {
  const storage = createMemoryStorage();
  let failing = true;
  const flaky: EdgeStorage = {
    ...storage,
    set: async (entries) => {
      if (failing) throw new Error("quota exceeded");
      await storage.set(entries);
    },
  };
  const queue = await EventQueue.open(flaky);
  const event = feedback();
  await queue.add(event);
  assert.match(String(queue.lastError), /quota/);
  assert.equal((await storage.entries("queue/")).length, 0);
  assert.deepEqual(ids(queue.peek(1)), [event.id]);
  failing = false;
  await queue.flush();
  assert.equal(queue.lastError, null);
  assert.deepEqual(ids((await EventQueue.open(storage)).peek(1)), [event.id]);
});
