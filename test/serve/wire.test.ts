import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  chatCompletionRequest,
  commonChatRequest,
  decisionFields,
  parseChatRequest,
} from "../../src/serve/wire.js";
import { routeResult } from "../helpers/route-result.js";

/** Bodies near the chat request's shape: most valid, many broken in one place, a few anything at all. */
const nearChatBodies = (() => {
  /** Mostly `valid`, sometimes one of `broken`. */
  const mostly = <T>(valid: fc.Arbitrary<T>, ...broken: fc.Arbitrary<unknown>[]) =>
    fc.oneof(
      { weight: 12, arbitrary: valid as fc.Arbitrary<unknown> },
      ...broken.map((arbitrary) => ({ weight: 1, arbitrary })),
    );
  const role = mostly(
    fc.constantFrom("system", "developer", "user", "assistant", "tool"),
    fc.constantFrom("User", "bot", ""),
    fc.integer(),
  );
  const content = mostly(
    fc.oneof(fc.string(), fc.constant(null)),
    fc.array(fc.record({ type: fc.constantFrom("text", "image_url"), text: fc.string() })),
    fc.integer(),
    fc.constant(undefined),
  );
  const message = mostly(
    fc.oneof(fc.record({ role, content }), fc.record({ role, content, name: fc.string() })),
    fc.record({ role }),
    fc.constant(null),
    fc.string(),
    fc.array(fc.string()),
  );
  const body = fc.record(
    {
      model: mostly(fc.string({ minLength: 1 }), fc.constant(""), fc.integer(), fc.constant(null)),
      messages: mostly(fc.array(message, { minLength: 1, maxLength: 3 }), fc.constant([]), fc.string()),
      stream: mostly(fc.oneof(fc.boolean(), fc.constant(undefined)), fc.constant("yes"), fc.constant(null)),
      temperature: fc.double(),
    },
    { requiredKeys: [] },
  );
  return fc.oneof({ weight: 8, arbitrary: body }, { weight: 1, arbitrary: fc.anything() });
})();

describe("chat request validation", () => {
  test("the common-shape check accepts only what zod accepts, with the same model, messages and stream", () => {
    let accepted = 0;
    fc.assert(
      fc.property(nearChatBodies, (generated) => {
        // What the gateway sees is always JSON.parse's output.
        const wire = JSON.stringify(generated);
        if (wire === undefined) return;
        const body: unknown = JSON.parse(wire);
        const fast = commonChatRequest(body);
        const zod = chatCompletionRequest.safeParse(body);
        if (fast === undefined) return;
        accepted++;
        assert.ok(zod.success, "zod accepts it too");
        assert.equal(fast.model, zod.data.model);
        assert.deepEqual(fast.messages, zod.data.messages);
        assert.equal(fast.stream, zod.data.stream);
      }),
      { numRuns: 3000 },
    );
    assert.ok(accepted > 100, `the generator reaches the fast path (${accepted} of 3000)`);
  });

  test("bodies outside the common shape still go through zod: array content is read, errors are worded by zod", () => {
    const parts = { model: "m", messages: [{ role: "user", content: [{ type: "text", text: "hello" }] }] };
    assert.equal(commonChatRequest(parts), undefined);
    assert.deepEqual(parseChatRequest(parts).messages, parts.messages);
    assert.throws(
      () => parseChatRequest({ model: "m", messages: [] }),
      (error: Error & { code?: string; param?: string }) =>
        error.code === "invalid_value" && error.param === "messages",
    );
    assert.throws(
      () => parseChatRequest({ model: "m", messages: [{ role: "robot", content: "x" }] }),
      (error: Error & { param?: string }) => error.param === "messages.0.role",
    );
  });
});

describe("decision fields", () => {
  const result = routeResult();

  /** The keys a client reads, in order: what the fields become on the wire. */
  const wireKeys = (fields: object) => Object.keys(JSON.parse(JSON.stringify(fields)) as object);

  test("name every field in the same order, with `fields` (extract use cases) before the latency", () => {
    assert.deepEqual(wireKeys(decisionFields(result)), [
      "request_id",
      "answered_by",
      "reason",
      "label",
      "confidence",
      "threshold",
      "flagged",
      "review_id",
      "slm",
      "llm",
      "latency_ms",
      "cost_usd",
      "model_version",
    ]);
    const extracted = decisionFields({ ...result, fields: { drug: "x" } });
    assert.deepEqual(wireKeys(extracted).slice(9, 12), ["llm", "fields", "latency_ms"]);
    assert.deepEqual(extracted.fields, { drug: "x" });
  });
});
