import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createRequestId } from "../../src/route/request-id.js";

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("request ids", () => {
  test("are version 7 UUIDs whose first 48 bits are the time in milliseconds", () => {
    const time = Date.UTC(2026, 10, 29, 3, 30, 0, 123);
    const id = createRequestId(time);
    assert.match(id, uuidV7);
    assert.equal(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16), time);
  });

  test("carry each call's own time when times alternate (the formatted millisecond is reused, never stale)", () => {
    const times = [7_000, 7_000, 7_001, 7_000, 2 ** 40 + 3, 7_001, 0];
    for (const time of times) {
      const id = createRequestId(time);
      assert.match(id, uuidV7);
      assert.equal(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16), time);
    }
  });

  test("sort by time, and never repeat within one millisecond", () => {
    const earlier = createRequestId(1_000);
    const later = createRequestId(1_001);
    assert.ok(earlier < later);
    const ids = new Set(Array.from({ length: 10_000 }, () => createRequestId(5_000)));
    assert.equal(ids.size, 10_000);
    for (const id of ids) assert.match(id, uuidV7);
  });
});
