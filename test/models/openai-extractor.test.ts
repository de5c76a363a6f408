import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import type { LlmExtractor } from "../../src/models/llm.js";
import { LlmError } from "../../src/models/llm-error.js";
import { loadModel } from "../../src/models/load.js";
import {
  createOpenAiExtractor,
  type ExtractorField,
  type OpenAiExtractorOptions,
} from "../../src/models/openai/openai-extractor.js";
import type { OpenAiExtractorModel } from "../../src/models/openai/openai-extractor-model.js";
import {
  type FakeOpenAiServer,
  type FakeReply,
  rateLimited,
  refuseResponseFormat,
  replyJson,
  responseFormatType,
  startFakeOpenAi,
} from "../helpers/fake-openai.js";

const fields: ExtractorField[] = [
  { name: "invoice_number", type: "code", required: true, description: "The invoice's identifier" },
  { name: "total", type: "money", description: "Amount due" },
  { name: "due_date", type: "date" },
  { name: "items", type: "integer" },
];

const valid = { invoice_number: "INV-204", total: 1250.5, due_date: "March 3", items: 3 };

let server: FakeOpenAiServer;

before(async () => {
  server = await startFakeOpenAi();
});
after(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
  server.setHandler(replyJson(valid));
});

function extractor(overrides: Partial<OpenAiExtractorOptions> = {}) {
  return createOpenAiExtractor({
    baseUrl: server.baseUrl,
    model: "gpt-test",
    apiKey: "sk-test",
    fields,
    pricePer1kInputUsd: 0.15,
    pricePer1kOutputUsd: 0.6,
    // No jitter wait: the tests count attempts, not time.
    random: () => 0,
    ...overrides,
  });
}

function content(text: string, usage?: { prompt_tokens: number; completion_tokens: number }): FakeReply {
  return { kind: "content", content: text, ...(usage === undefined ? {} : { usage }) };
}

describe("OpenAI-compatible extractor (real SDK, local server)", () => {
  test("returns the validated fields with token usage and cost, asking with a strict JSON schema", async () => {
    const model: LlmExtractor = extractor();
    const result = await model.extract("Invoice INV-204: 3 items, 1,250.50 EUR due March 3.");
    assert.deepEqual(result.fields, valid);
    assert.equal(result.attempts, 1);
    assert.equal(result.raw, JSON.stringify(valid));
    assert.ok(result.inputTokens > 0 && result.outputTokens > 0);
    const expectedCost = (0.15 * result.inputTokens + 0.6 * result.outputTokens) / 1000;
    assert.ok(Math.abs(result.costUsd - expectedCost) < 1e-12);
    assert.ok(result.latencyMs >= 0);

    const [request] = server.requests;
    assert.ok(request !== undefined);
    assert.equal(request.body?.temperature, 0);
    assert.equal(request.body?.logprobs, undefined);
    assert.deepEqual(request.body?.response_format, {
      type: "json_schema",
      json_schema: {
        name: "extraction",
        strict: true,
        schema: {
          type: "object",
          properties: {
            invoice_number: { type: ["string", "null"], description: "The invoice's identifier" },
            total: { type: ["number", "null"], description: "Amount due" },
            due_date: { type: ["string", "null"] },
            items: { type: ["integer", "null"] },
          },
          required: ["invoice_number", "total", "due_date", "items"],
          additionalProperties: false,
        },
      },
    });
    assert.match(request.system, /- invoice_number \(code, required: [^)]*\) — The invoice's identifier/);
    assert.match(request.system, /- total \(money: .*\) — Amount due/);
    assert.match(request.system, /- items \(integer: a whole number\)/);
    assert.equal(request.user, "Invoice INV-204: 3 items, 1,250.50 EUR due March 3.");
  });

  test("null stands for a field the text does not hold", async () => {
    server.setHandler(replyJson({ invoice_number: "A1", total: null, due_date: null, items: null }));
    const result = await extractor().extract("invoice A1");
    assert.deepEqual(result.fields, { invoice_number: "A1", total: null, due_date: null, items: null });
  });

  test("a reply with a wrong type is asked again with what was wrong; the second reply is used, tokens summed", async () => {
    server.enqueue(
      content(JSON.stringify({ ...valid, total: "1,250.50" }), { prompt_tokens: 100, completion_tokens: 10 }),
      content(JSON.stringify(valid), { prompt_tokens: 130, completion_tokens: 12 }),
    );
    const result = await extractor().extract("Invoice INV-204");
    assert.deepEqual(result.fields, valid);
    assert.equal(result.attempts, 2);
    assert.equal(result.inputTokens, 230);
    assert.equal(result.outputTokens, 22);
    assert.ok(Math.abs(result.costUsd - (0.15 * 230 + 0.6 * 22) / 1000) < 1e-12);
    assert.equal(result.problem, null);
    const retry = server.requests[1];
    const messages = retry?.body?.messages ?? [];
    assert.deepEqual(
      messages.map((message) => message.role),
      ["system", "user", "assistant", "user"],
    );
    assert.equal(messages[2]?.content, JSON.stringify({ ...valid, total: "1,250.50" }));
    assert.match(retry?.user ?? "", /not valid: total: .*expected number/);
  });

  test("two invalid replies leave the fields null (unsure), with the last reply and the reason", async () => {
    server.setHandler(() => content("I could not find an invoice number."));
    const result = await extractor().extract("hello");
    assert.equal(result.fields, null);
    assert.equal(result.attempts, 2);
    assert.equal(server.requests.length, 2, "maxInvalidReplies defaults to one more ask");
    assert.equal(result.raw, "I could not find an invoice number.");
    assert.match(result.problem ?? "", /not JSON/);
    assert.ok(result.inputTokens > 0, "the tokens of invalid replies are counted too");
  });

  test("maxInvalidReplies bounds the asks", async () => {
    server.setHandler(() => content("{}"));
    const result = await extractor({ maxInvalidReplies: 3 }).extract("hello");
    assert.equal(result.fields, null);
    assert.equal(result.attempts, 4);
    const none = await extractor({ maxInvalidReplies: 0 }).extract("hello");
    assert.equal(none.attempts, 1);
  });

  test("1.5 for an integer field is invalid, whatever the server's grammar let through", async () => {
    server.setHandler(replyJson({ ...valid, items: 1.5 }));
    const result = await extractor({ maxInvalidReplies: 0 }).extract("3 items");
    assert.equal(result.fields, null);
    assert.match(result.problem ?? "", /^items: /);
  });

  test("1e3 for an integer field is JSON for 1000 and accepted", async () => {
    server.setHandler(() =>
      content('{"invoice_number": "X", "total": 2.5e2, "due_date": null, "items": 1e3}'),
    );
    const result = await extractor().extract("a thousand items");
    assert.deepEqual(result.fields, { invoice_number: "X", total: 250, due_date: null, items: 1000 });
  });

  test("unknown keys are dropped; a missing key is invalid", async () => {
    server.setHandler(replyJson({ ...valid, customer: "ACME", note: 1 }));
    const result = await extractor().extract("Invoice INV-204");
    assert.deepEqual(result.fields, valid);

    const { items: _dropped, ...missing } = valid;
    server.setHandler(replyJson(missing));
    const invalid = await extractor({ maxInvalidReplies: 0 }).extract("Invoice INV-204");
    assert.equal(invalid.fields, null);
    assert.match(invalid.problem ?? "", /^items: /);
  });

  test("a number for a string field (or a string for a number) is invalid", async () => {
    server.setHandler(replyJson({ ...valid, invoice_number: 204 }));
    assert.equal((await extractor({ maxInvalidReplies: 0 }).extract("x")).fields, null);
    server.setHandler(replyJson({ ...valid, items: "3" }));
    assert.equal((await extractor({ maxInvalidReplies: 0 }).extract("x")).fields, null);
  });

  test("a reply in a code fence is read (servers without structured output write them)", async () => {
    server.setHandler(() => content(`\`\`\`json\n${JSON.stringify(valid)}\n\`\`\``));
    assert.deepEqual((await extractor().extract("x")).fields, valid);
  });

  test("a server refusing json_schema gets json_object, remembered for later calls", async () => {
    server.setHandler(refuseResponseFormat("json_schema", replyJson(valid)));
    const model = extractor();
    const result = await model.extract("Invoice INV-204");
    assert.deepEqual(result.fields, valid);
    assert.equal(result.attempts, 2, "the refused request counts as an attempt");
    assert.deepEqual(server.requests.map(responseFormatType), ["json_schema", "json_object"]);
    assert.match(
      server.requests[1]?.system ?? "",
      /JSON/,
      "json_object mode needs the word JSON in the prompt",
    );
    assert.deepEqual(model.parameters().sort(), ["json_object", "max_tokens", "temperature"]);
    await model.extract("another");
    assert.deepEqual(server.requests.map(responseFormatType), ["json_schema", "json_object", "json_object"]);
  });

  test("a server refusing every response format gets the prompt alone", async () => {
    const bare = await startFakeOpenAi(replyJson(valid));
    try {
      bare.refuseParameters("response_format");
      const model = extractor({ baseUrl: bare.baseUrl });
      assert.deepEqual((await model.extract("x")).fields, valid);
      assert.deepEqual(bare.requests.map(responseFormatType), ["json_schema", "json_object", undefined]);
      assert.ok(!model.parameters().some((parameter) => parameter.startsWith("json")));
    } finally {
      await bare.close();
    }
  });

  test("429 is retried and then succeeds; every request is an attempt", async () => {
    server.enqueue(rateLimited(0));
    const result = await extractor().extract("Invoice INV-204");
    assert.deepEqual(result.fields, valid);
    assert.equal(result.attempts, 2);
    assert.equal(server.requests.length, 2);
  });

  test("500s past maxRetries throw a retryable LlmError (a transport failure is not an unsure reply)", async () => {
    server.setHandler(() => ({ kind: "error", status: 500 }));
    await assert.rejects(extractor({ maxRetries: 1 }).extract("x"), (error: unknown) => {
      assert.ok(LlmError.isLlmError(error));
      assert.equal(error.statusCode, 500);
      assert.equal(error.isRetryable, true);
      return true;
    });
    assert.equal(server.requests.length, 2);
  });

  test("a failed re-ask after an invalid reply is unsure, its tokens kept", async () => {
    server.enqueue(content("not json", { prompt_tokens: 50, completion_tokens: 5 }));
    server.setHandler(() => ({ kind: "error", status: 503 }));
    const result = await extractor({ maxRetries: 0 }).extract("x");
    assert.equal(result.fields, null);
    assert.equal(result.attempts, 2);
    assert.equal(result.inputTokens, 50);
    assert.match(result.problem ?? "", /not JSON; asking again failed: .*503/);
  });

  test("the caller's deadline ends a hanging call with LLM_TIMEOUT", async () => {
    server.setHandler(() => ({ kind: "hang" }));
    await assert.rejects(
      extractor({ timeoutMs: 5000 }).extract("x", AbortSignal.timeout(100)),
      (error: unknown) => LlmError.isLlmError(error) && error.code === "LLM_TIMEOUT",
    );
    assert.equal(server.requests.length, 1);
  });

  test("warmUp never throws, even when the server has no /models", async () => {
    await extractor().warmUp(500);
    assert.equal(server.requests.length, 0, "no chat request is made");
  });

  test("no fields, a repeated field or a base URL that is not http(s) are refused up front", () => {
    const invalid = (error: unknown) => SlmkitError.isInstance(error) && error.code === "INVALID_OPTION";
    assert.throws(() => extractor({ fields: [] }), invalid);
    assert.throws(
      () =>
        extractor({
          fields: [
            { name: "a", type: "string" },
            { name: "a", type: "integer" },
          ],
        }),
      invalid,
    );
    assert.throws(() => extractor({ baseUrl: "localhost:8000" }), invalid);
  });
});

describe("OpenAI extract model through loadModel", () => {
  test("an openai: reference with fields is an extract TaskModel: results in order, unsure kept apart, usage", async () => {
    server.setHandler((request) => {
      // The first user message is the text; a re-ask adds another one after it.
      const text = request.body?.messages?.find((message) => message.role === "user")?.content ?? "";
      return text.includes("broken")
        ? content("nope")
        : replyJson({ ...valid, invoice_number: text })(request);
    });
    const model = (await loadModel(`openai:gpt-test@${server.baseUrl}`, {
      fields,
      environment: { get: () => "sk-env" },
      pricePer1kInputUsd: 1,
      pricePer1kOutputUsd: 2,
      concurrency: 2,
    })) as OpenAiExtractorModel;
    try {
      assert.equal(model.task, "extract");
      assert.equal(model.reference, `openai:gpt-test@${server.baseUrl}`);
      assert.deepEqual(model.labels, ["invoice_number", "total", "due_date", "items"]);
      const results = await model.extract(["A-1", "broken text", "A-3"]);
      assert.deepEqual(
        results.map((result) => (result.status === "ok" ? result.value.invoice_number : result.status)),
        ["A-1", "unsure", "A-3"],
      );
      const unsure = results[1];
      assert.ok(unsure?.status === "unsure");
      assert.equal(unsure.attempts, 2);
      assert.equal(unsure.lastOutput, "nope");
      assert.equal(server.requests[0]?.headers.authorization, "Bearer sk-env");
      const usage = model.usage();
      assert.equal(usage.calls, 3);
      assert.equal(usage.unsure, 1);
      assert.ok(usage.inputTokens > 0);
      assert.ok(Math.abs(usage.costUsd - (usage.inputTokens + 2 * usage.outputTokens) / 1000) < 1e-9);
      // predict gives each text's record, as every extract model does; an unsure one has no record.
      const [record, none] = await model.predict(["A-9", "broken text"]);
      assert.equal(record?.fields.invoice_number, "A-9");
      assert.ok(record?.raw !== null && record?.confidence === 1);
      assert.deepEqual(
        { raw: none?.raw, accepted: none?.accepted, confidence: none?.confidence },
        { raw: null, accepted: false, confidence: 0 },
      );
    } finally {
      await model.dispose();
    }
  });

  test("task extract without fields says where the fields come from", async () => {
    await assert.rejects(
      loadModel(`openai:gpt-test@${server.baseUrl}`, { task: "extract" }),
      (error: unknown) =>
        SlmkitError.isInstance(error) &&
        error.code === "INVALID_OPTION" &&
        /schema\.fields/.test(error.message),
    );
  });
});
