// The edge client's outbox: local decisions, offline escalations and feedback, kept in order in the client's
// storage until the gateway has acknowledged them. Bounded: when full, the oldest local decision goes first.

import type { EdgeStorage } from "./storage.js";
import type { EdgeEvent } from "./wire.js";

export interface EventQueueOptions {
  /** Most events kept; past it the oldest decision is dropped (the oldest event when there is none). Default 10,000. */
  maxEvents?: number;
  /** Local decisions wait in memory at most this long before they are written, ms. Default 1,000. */
  flushDelayMs?: number;
  /** …or until this many are waiting (then they are written at the next turn of the event loop). Default 50. */
  flushAt?: number;
}

interface Entry {
  sequence: number;
  event: EdgeEvent;
  /** Written to storage (decisions wait in memory until the next flush). */
  stored: boolean;
  /** Dropped from the full queue or acknowledged: a flush that finds it waiting skips it. */
  gone: boolean;
}

const queuePrefix = "queue/";
const droppedKey = "state/dropped";
/** Keys sort as numbers: a sequence number written with 15 digits. */
const keyOf = (sequence: number): string => `${queuePrefix}${String(sequence).padStart(15, "0")}`;

/** A first-in first-out list with O(1) removal at the front: an array and the index of its head. */
class Line {
  private items: Entry[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(entry: Entry): void {
    this.items.push(entry);
  }

  first(): Entry | undefined {
    return this.items[this.head];
  }

  at(index: number): Entry | undefined {
    return this.items[this.head + index];
  }

  shift(): Entry | undefined {
    const entry = this.items[this.head++];
    // Compact now and then, so the array does not keep what left it.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  /** Removes the entries `remove` marks, keeping the order of the rest. */
  removeWhere(remove: (entry: Entry) => boolean): void {
    this.items = this.items.slice(this.head).filter((entry) => !remove(entry));
    this.head = 0;
  }
}

/**
 * Escalations and feedback are written, with every decision before them, before `add` resolves: they survive a
 * reload that follows at once. Local decisions (one per accepted prediction, the hot path) cost the prediction
 * only a push; they are written in batches a moment later, off the prediction's path. A crash or a closed tab can
 * lose the last second of them, a cost their counts and figures bear and an escalation could not.
 */
export class EventQueue {
  /** Decisions and the other events in two lines, each in order: the oldest decision is always at a front. */
  private readonly decisions = new Line();
  private readonly others = new Line();
  private readonly maxEvents: number;
  private readonly flushDelayMs: number;
  private readonly flushAt: number;
  private sequence: number;
  private droppedTotal: number;
  private waiting: Entry[] = [];
  private deletions: string[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Storage operations run one after another, so a write and a delete of one key never cross. */
  private chain: Promise<void> = Promise.resolve();
  /** The last storage failure, for the client's status; the queue keeps working in memory meanwhile. */
  lastError: unknown = null;

  private constructor(
    private readonly storage: EdgeStorage,
    entries: Entry[],
    droppedTotal: number,
    options: EventQueueOptions,
  ) {
    for (const entry of entries) (entry.event.type === "decision" ? this.decisions : this.others).push(entry);
    this.droppedTotal = droppedTotal;
    this.maxEvents = options.maxEvents ?? 10_000;
    this.flushDelayMs = options.flushDelayMs ?? 1000;
    this.flushAt = options.flushAt ?? 50;
    this.sequence = (entries[entries.length - 1]?.sequence ?? -1) + 1;
  }

  /** Reads the queue a previous run left in `storage`; entries that do not parse are deleted. */
  static async open(storage: EdgeStorage, options: EventQueueOptions = {}): Promise<EventQueue> {
    const entries: Entry[] = [];
    const unreadable: string[] = [];
    for (const [key, value] of await storage.entries(queuePrefix)) {
      try {
        const event = JSON.parse(value as string) as EdgeEvent;
        entries.push({ sequence: Number(key.slice(queuePrefix.length)), event, stored: true, gone: false });
      } catch {
        unreadable.push(key);
      }
    }
    if (unreadable.length > 0) await storage.delete(unreadable);
    const dropped = Number(await storage.get(droppedKey));
    return new EventQueue(storage, entries, Number.isFinite(dropped) ? dropped : 0, options);
  }

  get size(): number {
    return this.decisions.length + this.others.length;
  }

  /** Events dropped from the full queue since this storage was set up. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Adds a local decision: kept in memory, written with the next batch. */
  addDecision(event: EdgeEvent): void {
    const entry: Entry = { sequence: this.sequence++, event, stored: false, gone: false };
    this.decisions.push(entry);
    this.waiting.push(entry);
    if (this.size > this.maxEvents) this.dropOne();
    if (this.timer === null) {
      this.timer = setTimeout(
        () => void this.flush(),
        this.waiting.length >= this.flushAt ? 0 : this.flushDelayMs,
      );
      // In Node, a pending flush must not keep the program alive: close() flushes what is left.
      (this.timer as { unref?: () => void }).unref?.();
    } else if (this.waiting.length === this.flushAt) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.flush(), 0);
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  /** Adds an escalation or feedback; it is in storage, with every decision before it, when this resolves. */
  add(event: EdgeEvent): Promise<void> {
    if (event.type === "decision") {
      this.addDecision(event);
      return Promise.resolve();
    }
    const entry: Entry = { sequence: this.sequence++, event, stored: false, gone: false };
    this.others.push(entry);
    this.waiting.push(entry);
    if (this.size > this.maxEvents) this.dropOne();
    return this.flush();
  }

  private dropOne(): void {
    const entry = this.decisions.length > 0 ? this.decisions.shift() : this.others.shift();
    if (entry === undefined) return;
    entry.gone = true;
    if (entry.stored) this.deletions.push(keyOf(entry.sequence));
    this.droppedTotal++;
  }

  /** Writes what waits in memory and the deletions; resolves when storage has them (a failure is kept in `lastError`). */
  flush(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const writes = this.waiting.filter((entry) => !entry.gone);
    this.waiting = [];
    for (const entry of writes) entry.stored = true;
    const deletions = this.deletions;
    this.deletions = [];
    if (writes.length === 0 && deletions.length === 0) return this.chain;
    const values: [string, string][] = writes.map((entry) => [
      keyOf(entry.sequence),
      JSON.stringify(entry.event),
    ]);
    values.push([droppedKey, String(this.droppedTotal)]);
    return this.run(async () => {
      try {
        await this.storage.set(values);
      } catch (error) {
        // Still queued in memory: the next flush writes them again.
        for (const entry of writes) entry.stored = false;
        this.waiting.unshift(...writes.filter((entry) => !entry.gone));
        this.deletions.push(...deletions);
        throw error;
      }
      if (deletions.length > 0) await this.storage.delete(deletions);
    });
  }

  /** The oldest `limit` events, in the order they were added, for an upload (they stay until `acknowledge`). */
  peek(limit: number): EdgeEvent[] {
    const events: EdgeEvent[] = [];
    let decision = 0;
    let other = 0;
    while (events.length < limit) {
      const nextDecision = this.decisions.at(decision);
      const nextOther = this.others.at(other);
      if (nextDecision === undefined && nextOther === undefined) break;
      if (
        nextOther === undefined ||
        (nextDecision !== undefined && nextDecision.sequence < nextOther.sequence)
      ) {
        events.push((nextDecision as Entry).event);
        decision++;
      } else {
        events.push(nextOther.event);
        other++;
      }
    }
    return events;
  }

  /** Removes the events with these ids: the gateway has them (or refused them for good). */
  acknowledge(ids: ReadonlySet<string>): Promise<void> {
    const removed: string[] = [];
    let settled = 0;
    const settle = (entry: Entry): boolean => {
      if (!ids.has(entry.event.id)) return false;
      entry.gone = true;
      settled++;
      if (entry.stored) removed.push(keyOf(entry.sequence));
      return true;
    };
    const lines = [this.decisions, this.others];
    // Uploads take the oldest first, so what is acknowledged sits at the fronts: shifted off in O(1) each.
    for (const line of lines) {
      let front = line.first();
      while (front !== undefined && settle(front)) {
        line.shift();
        front = line.first();
      }
    }
    if (settled < ids.size) for (const line of lines) line.removeWhere(settle);
    if (removed.length === 0) return this.chain;
    return this.run(() => this.storage.delete(removed));
  }

  private run(operation: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(operation).then(
      () => {
        this.lastError = null;
      },
      (error: unknown) => {
        this.lastError = error;
      },
    );
    return this.chain;
  }
}
