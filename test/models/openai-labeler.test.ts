import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import { LlmError } from "../../src/models/llm-error.js";
import { createOpenAiClassifierModel } from "../../src/models/openai/openai-classifier-model.js";
import {
  confidenceFromLogprobs,
  createOpenAiLabeler,
  type OpenAiLabelerOptions,
  parseLabelReply,
} from "../../src/models/openai/openai-labeler.js";
import {
  answer,
  answerBy,
  type FakeOpenAiServer,
  rateLimited,
  serverError,
  startFakeOpenAi,
} from "../helpers/fake-openai.js";

const labels = [
  { name: "billing", description: "Invoices, charges and refunds" },
  { name: "shipping", description: "Delivery and tracking" },
  { name: "account" },
];

let server: FakeOpenAiServer;

before(async () => {
  server = await startFakeOpenAi();
});
after(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
  server.setHandler(answer("billing"));
});

function labeler(overrides: Partial<OpenAiLabelerOptions> = {}) {
  return createOpenAiLabeler({
    baseUrl: server.baseUrl,
    model: "gpt-test",
    apiKey: "sk-test",
    labels,
    pricePer1kInputUsd: 0.15,
    pricePer1kOutputUsd: 0.6,
    // No jitter wait: the tests count attempts, not time.
    random: () => 0,
    ...overrides,
  });
}

async function rejection(promise: Promise<unknown>): Promise<LlmError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(LlmError.isLlmError(error), `expected an LlmError, got ${String(error)}`);
    assert.ok(SlmkitError.isInstance(error));
    return error;
  }
  assert.fail("expected a rejection");
}

describe("OpenAI-compatible labeler (real SDK, local server)", () => {
  test("returns a label of the set with a logprob confidence, token usage and cost", async () => {
    server.setHandler(answer("shipping", { probability: 0.8 }));
    const result = await labeler().classify("where is my parcel?");
    assert.equal(result.label, "shipping");
    assert.ok(result.confidence !== null && Math.abs(result.confidence - 0.8) < 1e-9, `${result.confidence}`);
    assert.equal(result.raw, '{"label":"shipping"}');
    assert.ok(result.inputTokens > 0 && result.outputTokens > 0);
    const expectedCost = (0.15 * result.inputTokens + 0.6 * result.outputTokens) / 1000;
    assert.ok(Math.abs(result.costUsd - expectedCost) < 1e-12);
    assert.ok(result.latencyMs >= 0);

    const [request] = server.requests;
    assert.ok(request !== undefined);
    assert.equal(request.headers.authorization, "Bearer sk-test");
    assert.equal(request.body?.temperature, 0);
    assert.equal(request.body?.logprobs, true);
    assert.deepEqual(request.body?.response_format, {
      type: "json_schema",
      json_schema: {
        name: "label",
        strict: true,
        schema: {
          type: "object",
          properties: { label: { type: "string", enum: ["billing", "shipping", "account"] } },
          required: ["label"],
          additionalProperties: false,
        },
      },
    });
    assert.match(request.system, /- billing: Invoices, charges and refunds/);
    assert.match(request.system, /- account\n/);
    assert.equal(request.user, "where is my parcel?");
  });

  test("a reply outside the label set is unsure: label null, raw kept", async () => {
    server.setHandler(answer("refunds"));
    const result = await labeler().classify("money back please");
    assert.equal(result.label, null);
    assert.equal(result.confidence, null);
    assert.equal(result.raw, '{"label":"refunds"}');
    assert.equal(server.requests.length, 1, "an unsure reply is not retried");
  });

  test("a server without structured output gets one retry without it, remembered for later calls", async () => {
    server.refuseParameters("response_format");
    server.setHandler(answer("Billing."));
    const model = labeler();
    const first = await model.classify("I was charged twice");
    assert.equal(first.label, "billing", "bare label, case and final period tolerated");
    assert.equal(server.requests.length, 2);
    assert.ok(server.requests[1]?.body?.response_format === undefined);
    assert.match(server.requests[1]?.system ?? "", /label name only/);
    assert.ok(!model.parameters().includes("response_format"));
    await model.classify("another charge");
    assert.equal(server.requests.length, 3, "the second call goes straight without response_format");
    // A fresh server for the other tests: the refusal list cannot be undone.
    await server.close();
    server = await startFakeOpenAi(answer("billing"));
  });

  test("a server refusing logprobs still answers; confidence is then unknown", async () => {
    server.refuseParameters("logprobs");
    const result = await labeler().classify("invoice question");
    assert.equal(result.label, "billing");
    assert.equal(result.confidence, null);
    assert.equal(server.requests.length, 2);
    await server.close();
    server = await startFakeOpenAi(answer("billing"));
  });

  test("429 with Retry-After is retried and then succeeds", async () => {
    server.enqueue(rateLimited(0), rateLimited(0));
    const result = await labeler().classify("invoice");
    assert.equal(result.label, "billing");
    assert.equal(server.requests.length, 3);
  });

  test("429 with a Retry-After longer than the call's timeout fails at once, as a retryable 429", async () => {
    server.setHandler(() => rateLimited(30));
    const started = performance.now();
    const error = await rejection(labeler({ timeoutMs: 5000, maxRetries: 2 }).classify("invoice"));
    const elapsed = performance.now() - started;
    assert.equal(error.statusCode, 429);
    assert.equal(error.isRetryable, true);
    assert.equal(error.retryAfterMs, 30_000);
    assert.equal(server.requests.length, 1, "no retry: the wait would outlast the call");
    assert.ok(elapsed < 2000, `took ${Math.round(elapsed)} ms`);
  });

  test("401 is not retried and says how to fix it", async () => {
    server.setHandler(() => ({ kind: "error", status: 401, message: "Incorrect API key provided" }));
    const error = await rejection(labeler().classify("invoice"));
    assert.equal(error.code, "LLM_ERROR");
    assert.equal(error.statusCode, 401);
    assert.equal(error.isRetryable, false);
    assert.match(error.message, /check the API key/);
    assert.equal(server.requests.length, 1);
  });

  test("500 is retried up to maxRetries, then fails as retryable", async () => {
    server.setHandler(() => serverError(500));
    const error = await rejection(labeler({ maxRetries: 2 }).classify("invoice"));
    assert.equal(error.code, "LLM_ERROR");
    assert.equal(error.statusCode, 500);
    assert.equal(error.isRetryable, true);
    assert.equal(server.requests.length, 3);
  });

  test("a malformed body counts as a retryable server fault: retried, then succeeds", async () => {
    server.enqueue({ kind: "raw", body: '{"id": "chatcmpl-1", "choices": [' });
    const result = await labeler().classify("invoice");
    assert.equal(result.label, "billing");
    assert.equal(server.requests.length, 2);
  });

  test("a body that stays malformed fails with LLM_ERROR after the retries", async () => {
    server.setHandler(() => ({ kind: "raw", body: "<html>Bad gateway</html>", contentType: "text/html" }));
    const error = await rejection(labeler({ maxRetries: 1 }).classify("invoice"));
    assert.equal(error.code, "LLM_ERROR");
    assert.equal(error.isRetryable, true);
    assert.match(error.message, /not JSON/);
    assert.equal(server.requests.length, 2);
  });

  test("JSON that is not a chat completion is an error too", async () => {
    server.setHandler(() => ({ kind: "raw", body: '{"ok": true}' }));
    const error = await rejection(labeler({ maxRetries: 0 }).classify("invoice"));
    assert.match(error.message, /not a chat completion/);
  });

  test("a server that hangs times out with LLM_TIMEOUT", async () => {
    server.setHandler(() => ({ kind: "hang" }));
    const started = performance.now();
    const error = await rejection(labeler({ timeoutMs: 150, maxRetries: 1 }).classify("invoice"));
    const elapsed = performance.now() - started;
    assert.equal(error.code, "LLM_TIMEOUT");
    assert.equal(error.isRetryable, true);
    assert.equal(server.requests.length, 2, "a timeout is retried");
    assert.ok(elapsed >= 290 && elapsed < 3000, `took ${elapsed} ms`);
  });

  test("the caller's deadline (AbortSignal.timeout) ends the call with LLM_TIMEOUT, retries included", async () => {
    server.setHandler(() => ({ kind: "hang" }));
    const started = performance.now();
    const error = await rejection(labeler({ timeoutMs: 5000 }).classify("invoice", AbortSignal.timeout(100)));
    assert.equal(error.code, "LLM_TIMEOUT");
    assert.ok(performance.now() - started < 2000);
    assert.equal(server.requests.length, 1);
  });

  test("a connection refused is a retryable LLM_ERROR", async () => {
    const closed = await startFakeOpenAi();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const error = await rejection(labeler({ baseUrl, maxRetries: 1 }).classify("invoice"));
    assert.equal(error.code, "LLM_ERROR");
    assert.equal(error.isRetryable, true);
    assert.equal(error.statusCode, undefined);
    assert.match(error.message, /could not reach/);
  });

  test("without an API key no Authorization header is sent (local servers)", async () => {
    await labeler({ apiKey: undefined }).classify("invoice");
    assert.equal(server.requests[0]?.headers.authorization, undefined);
  });

  test("usage is optional: a server that omits it costs 0", async () => {
    server.setHandler(() => ({ kind: "content", content: '{"label":"account"}', usage: null }));
    const result = await labeler().classify("reset my password");
    assert.equal(result.label, "account");
    assert.equal(result.inputTokens, 0);
    assert.equal(result.costUsd, 0);
  });

  test("unknown prices make the cost 0 and `priced` false", async () => {
    const model = labeler({ pricePer1kInputUsd: undefined, pricePer1kOutputUsd: undefined });
    assert.equal(model.priced, false);
    assert.equal((await model.classify("invoice")).costUsd, 0);
    assert.equal(labeler().priced, true);
  });
});

describe("labeler options", () => {
  test("fewer than two labels or a base URL that is not http(s) are refused up front", () => {
    const invalid = (error: unknown) => SlmkitError.isInstance(error) && error.code === "INVALID_OPTION";
    assert.throws(() => labeler({ labels: [{ name: "only" }] }), invalid);
    assert.throws(() => labeler({ baseUrl: "localhost:11434" }), invalid);
    assert.throws(() => labeler({ baseUrl: "ftp://example.com/v1" }), invalid);
  });
});

describe("Azure endpoints", () => {
  async function viaAzure(baseUrl: string, apiVersion?: string) {
    const seen: URL[] = [];
    const target = new URL(server.baseUrl);
    const model = labeler({
      baseUrl,
      model: "my-deployment",
      apiKey: "azure-key",
      ...(apiVersion === undefined ? {} : { apiVersion }),
      fetch: (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        seen.push(url);
        return fetch(`${target.origin}${url.pathname}${url.search}`, init);
      },
    });
    const result = await model.classify("invoice");
    return { result, url: seen[0], request: server.requests.at(-1) };
  }

  test("a resource URL becomes a deployment URL with api-version and the api-key header", async () => {
    const { result, url, request } = await viaAzure("https://my-resource.openai.azure.com");
    assert.equal(result.label, "billing");
    assert.equal(url?.pathname, "/openai/deployments/my-deployment/chat/completions");
    assert.equal(url?.searchParams.get("api-version"), "2024-10-21");
    assert.equal(request?.headers["api-key"], "azure-key");
    assert.equal(request?.headers.authorization, undefined);
  });

  test("the /openai/v1 URL is used as given, api-version only when asked for", async () => {
    const plain = await viaAzure("https://my-resource.openai.azure.com/openai/v1");
    assert.equal(plain.url?.pathname, "/openai/v1/chat/completions");
    assert.equal(plain.url?.searchParams.get("api-version"), null);
    assert.equal(plain.request?.body?.model, "my-deployment");
    const versioned = await viaAzure("https://my-resource.openai.azure.com/openai/v1", "preview");
    assert.equal(versioned.url?.searchParams.get("api-version"), "preview");
  });
});

describe("reply parsing", () => {
  const byLowerName = new Map([
    ["billing", "billing"],
    ["order_status", "order_status"],
  ]);
  const cases: Array<[string, string | undefined]> = [
    ['{"label":"billing"}', "billing"],
    ['{"label": "Order_Status"}', "order_status"],
    ["billing", "billing"],
    ["  BILLING.\n", "billing"],
    ['"billing"', "billing"],
    ["`billing`", "billing"],
    ['```json\n{"label": "billing"}\n```', "billing"],
    ['{"label": 3}', undefined],
    ['{"category":"billing"}', undefined],
    ["The label is billing", undefined],
    ["", undefined],
    ["{not json", undefined],
  ];
  for (const [reply, expected] of cases) {
    test(`${JSON.stringify(reply)} → ${expected ?? "unsure"}`, () => {
      assert.equal(parseLabelReply(reply, byLowerName)?.label, expected);
    });
  }

  test("confidence multiplies the label tokens' probabilities and ignores the JSON around them", () => {
    const content = '{"label":"label"}';
    const logprobs = [
      { token: '{"', logprob: 0 },
      { token: "label", logprob: Math.log(0.5) },
      { token: '":"', logprob: 0 },
      { token: "lab", logprob: Math.log(0.9) },
      { token: "el", logprob: Math.log(0.5) },
      { token: '"}', logprob: 0 },
    ];
    const confidence = confidenceFromLogprobs(content, "label", logprobs);
    assert.ok(confidence !== null && Math.abs(confidence - 0.45) < 1e-12, `${confidence}`);
    assert.equal(
      confidenceFromLogprobs(content, "label", [{ token: "x", logprob: 0 }]),
      null,
      "tokens must spell the reply",
    );
  });
});

describe("OpenAI classifier model (TaskModel)", () => {
  test("predicts a batch in order with bounded concurrency and counts usage", async () => {
    server.setHandler(
      answerBy((user) =>
        user.includes("parcel") ? "shipping" : user.includes("?") ? "nonsense" : "billing",
      ),
    );
    const model = createOpenAiClassifierModel({
      baseUrl: server.baseUrl,
      model: "gpt-test",
      labels,
      pricePer1kInputUsd: 0.1,
      pricePer1kOutputUsd: 0.1,
      concurrency: 2,
      random: () => 0,
    });
    const texts = ["my parcel", "an invoice", "what?", "parcel late", "charge"];
    const predictions = await model.predict(texts);
    assert.deepEqual(
      predictions.map((prediction) => prediction.label),
      ["shipping", "billing", "", "shipping", "billing"],
    );
    assert.equal(predictions[2]?.confidence, 0);
    assert.equal(predictions[2]?.accepted, false);
    assert.ok(predictions[0]?.accepted);
    assert.equal(model.reference, `openai:gpt-test@${server.baseUrl}`);
    assert.deepEqual(model.labels, ["billing", "shipping", "account"]);
    const usage = model.usage();
    assert.equal(usage.calls, 5);
    assert.equal(usage.unsure, 1);
    assert.ok(usage.costUsd > 0);
  });
});
