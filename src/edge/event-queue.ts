// The edge client's outbox: local decisions, offline escalations and feedback, kept in order in the client's
// storage until the gateway has acknowledged them. Bounded: when full, the oldest local decision goes first.

import type { EdgeStorage } from "./storage.js";
import type { EdgeEvent } from "./wire.js";

export interface EventQueueOptions {
  /** Most events kept; past it the oldest decision is dropped (the oldest event when there is none). Default 10,000. */
  maxEvents?: number;
  /** Local decisions wait in memory at most this long before they are written, ms. Default 1,000. */
  flushDelayMs?: number;
  /** …or until this many are waiting. Default 50. */
  flushAt?: number;
}

interface Entry {
  key: string;
  event: EdgeEvent;
  /** Whether the entry is in storage (decisions wait in memory until the next flush). */
  stored: boolean;
}

const queuePrefix = "queue/";
const droppedKey = "state/dropped";
/** Keys sort as numbers: a sequence number written with 15 digits. */
const keyOf = (sequence: number): string => `${queuePrefix}${String(sequence).padStart(15, "0")}`;

/**
 * Escalations and feedback are written before `add` resolves, so they survive a reload that follows at once. Local
 * decisions (one per accepted prediction, the hot path) are written in batches: a crash can lose the last second
 * of them, a cost their count and figures can bear and an escalation could not.
 */
export class EventQueue {
  private readonly entries: Entry[];
  private readonly maxEvents: number;
  private readonly flushDelayMs: number;
  private readonly flushAt: number;
  private sequence: number;
  private droppedTotal: number;
  private unstored = 0;
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
    this.entries = entries;
    this.droppedTotal = droppedTotal;
    this.maxEvents = options.maxEvents ?? 10_000;
    this.flushDelayMs = options.flushDelayMs ?? 1000;
    this.flushAt = options.flushAt ?? 50;
    const last = entries[entries.length - 1];
    this.sequence = last === undefined ? 0 : Number(last.key.slice(queuePrefix.length)) + 1;
  }

  /** Reads the queue a previous run left in `storage`; entries that do not parse are deleted. */
  static async open(storage: EdgeStorage, options: EventQueueOptions = {}): Promise<EventQueue> {
    const entries: Entry[] = [];
    const unreadable: string[] = [];
    for (const [key, value] of await storage.entries(queuePrefix)) {
      try {
        entries.push({ key, event: JSON.parse(value as string) as EdgeEvent, stored: true });
      } catch {
        unreadable.push(key);
      }
    }
    if (unreadable.length > 0) await storage.delete(unreadable);
    const dropped = Number(await storage.get(droppedKey));
    return new EventQueue(storage, entries, Number.isFinite(dropped) ? dropped : 0, options);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Events dropped from the full queue since this storage was set up. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Adds an event; an escalation or feedback is in storage when this resolves, a decision by the next flush. */
  add(event: EdgeEvent): Promise<void> {
    const entry: Entry = { key: keyOf(this.sequence++), event, stored: false };
    this.entries.push(entry);
    if (this.entries.length > this.maxEvents) this.dropOne();
    if (event.type !== "decision") return this.flush();
    this.unstored++;
    if (this.unstored >= this.flushAt) void this.flush();
    else if (this.timer === null) {
      this.timer = setTimeout(() => void this.flush(), this.flushDelayMs);
      // In Node, a pending flush must not keep the program alive: close() flushes what is left.
      (this.timer as { unref?: () => void }).unref?.();
    }
    return Promise.resolve();
  }

  private dropOne(): void {
    let index = this.entries.findIndex((entry) => entry.event.type === "decision");
    if (index === -1) index = 0;
    const [dropped] = this.entries.splice(index, 1);
    if (dropped === undefined) return;
    if (dropped.stored) this.deletions.push(dropped.key);
    else this.unstored--;
    this.droppedTotal++;
  }

  /** Writes the waiting decisions and deletions; resolves when storage has them (a failure is kept in `lastError`). */
  flush(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const writes = this.entries.filter((entry) => !entry.stored);
    for (const entry of writes) entry.stored = true;
    this.unstored = 0;
    const deletions = this.deletions;
    this.deletions = [];
    if (writes.length === 0 && deletions.length === 0) return this.chain;
    const values: [string, string][] = writes.map((entry) => [entry.key, JSON.stringify(entry.event)]);
    values.push([droppedKey, String(this.droppedTotal)]);
    return this.run(async () => {
      try {
        await this.storage.set(values);
      } catch (error) {
        // Still queued in memory: the next flush writes them again.
        for (const entry of writes) {
          if (!this.entries.includes(entry)) continue;
          entry.stored = false;
          this.unstored++;
        }
        this.deletions.push(...deletions);
        throw error;
      }
      if (deletions.length > 0) await this.storage.delete(deletions);
    });
  }

  /** The oldest `limit` events, for an upload (they stay queued until `acknowledge`). */
  peek(limit: number): EdgeEvent[] {
    return this.entries.slice(0, limit).map((entry) => entry.event);
  }

  /** Removes the events with these ids: the gateway has them (or refused them for good). */
  acknowledge(ids: ReadonlySet<string>): Promise<void> {
    const removed: string[] = [];
    for (let index = this.entries.length - 1; index >= 0; index--) {
      const entry = this.entries[index] as Entry;
      if (!ids.has(entry.event.id)) continue;
      this.entries.splice(index, 1);
      if (entry.stored) removed.push(entry.key);
      else this.unstored--;
    }
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
