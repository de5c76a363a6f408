import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import { runBaseline } from "../../src/eval/baseline.js";
import { LlmError } from "../../src/models/llm-error.js";
import { loadModel, taskOptionsFromUseCase } from "../../src/models/load.js";
import type { FaqAnswer } from "../../src/models/native/answerer.js";
import type { OpenAiAnswerModel } from "../../src/models/openai/openai-answer-model.js";
import { createOpenAiAnswerer, type OpenAiAnswererOptions } from "../../src/models/openai/openai-answerer.js";
import { loadUseCase } from "../../src/spec/load.js";
import {
  type FakeHandler,
  type FakeOpenAiServer,
  rateLimited,
  refuseResponseFormat,
  replyJson,
  responseFormatType,
  startFakeOpenAi,
} from "../helpers/fake-openai.js";

const faq: FaqAnswer[] = [
  {
    label: "order_status",
    answer: "Your order {order_id} ships within 2 days.",
    slots: { order_id: { pattern: "#(\\d{5,})" } },
  },
  { label: "refunds", answer: "Refunds reach your account within 14 days of the return." },
  {
    label: "opening_hours",
    answer: "We are open {day} from 9 to 5.",
    slots: { day: { pattern: "\\b(monday|saturday)\\b", fallback: "Monday to Friday" } },
  },
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
  server.setHandler(choose("refunds"));
});

/** The model's reply: a label and slot values (null for every slot not given). */
function choose(label: string, slots: Record<string, string | null> = {}): FakeHandler {
  return replyJson({ label, slots: { order_id: null, day: null, ...slots } });
}

function answerer(overrides: Partial<OpenAiAnswererOptions> = {}) {
  return createOpenAiAnswerer({
    baseUrl: server.baseUrl,
    model: "gpt-test",
    apiKey: "sk-test",
    faq,
    pricePer1kInputUsd: 0.15,
    pricePer1kOutputUsd: 0.6,
    random: () => 0,
    ...overrides,
  });
}

describe("OpenAI-compatible FAQ answerer (real SDK, local server)", () => {
  test("answers with the FAQ's own text, token usage and cost; the prompt lists the FAQ and the schema its labels", async () => {
    const result = await answerer().answer("How long does a refund take?");
    assert.equal(result.label, "refunds");
    assert.equal(result.answer, "Refunds reach your account within 14 days of the return.");
    assert.equal(result.reason, null);
    assert.equal(result.attempts, 1);
    assert.ok(result.confidence !== null && result.confidence > 0 && result.confidence <= 1);
    assert.ok(result.inputTokens > 0 && result.outputTokens > 0);
    const expectedCost = (0.15 * result.inputTokens + 0.6 * result.outputTokens) / 1000;
    assert.ok(Math.abs(result.costUsd - expectedCost) < 1e-12);

    const [request] = server.requests;
    assert.ok(request !== undefined);
    assert.equal(request.body?.temperature, 0);
    assert.equal(request.body?.logprobs, true);
    assert.deepEqual(request.body?.response_format, {
      type: "json_schema",
      json_schema: {
        name: "faq_answer",
        strict: true,
        schema: {
          type: "object",
          properties: {
            label: { type: "string", enum: ["order_status", "refunds", "opening_hours", "none"] },
            slots: {
              type: "object",
              properties: { order_id: { type: ["string", "null"] }, day: { type: ["string", "null"] } },
              required: ["order_id", "day"],
              additionalProperties: false,
            },
          },
          required: ["label", "slots"],
          additionalProperties: false,
        },
      },
    });
    assert.match(request.system, /- order_status: Your order \{order_id\} ships within 2 days\./);
    assert.match(request.system, /- refunds: Refunds reach/);
    assert.match(request.system, /or "none" when no entry does/);
  });

  test("fills the entry's slots with the values the model read from the question", async () => {
    server.setHandler(choose("order_status", { order_id: "A-778812" }));
    const result = await answerer().answer("Where is my order a-778812?");
    assert.equal(result.label, "order_status");
    assert.equal(
      result.answer,
      "Your order a-778812 ships within 2 days.",
      "the question's own characters, not the model's spelling",
    );
  });

  test("a slot value the question does not hold is not used: the slot's pattern, then its fallback, fill it", async () => {
    server.setHandler(choose("order_status", { order_id: "FREE REFUND FOR EVERYONE" }));
    const patterned = await answerer().answer("Status of order #123456 please");
    assert.equal(patterned.answer, "Your order 123456 ships within 2 days.");

    const missing = await answerer().answer("Where is my order?");
    assert.equal(missing.label, "order_status", "the entry is known");
    assert.equal(missing.answer, null, "but its answer cannot be completed");
    assert.equal(missing.reason, "missing-slot");

    server.setHandler(choose("opening_hours"));
    const fallback = await answerer().answer("When are you open?");
    assert.equal(fallback.answer, "We are open Monday to Friday from 9 to 5.");
  });

  test('"none" is unsure: no label, no answer', async () => {
    server.setHandler(choose("none"));
    const result = await answerer().answer("Can I bring my dog?");
    assert.equal(result.label, null);
    assert.equal(result.answer, null);
    assert.equal(result.reason, "none");
    assert.equal(result.confidence, null);
    assert.equal(server.requests.length, 1);
  });

  test("a label outside the FAQ is unsure and not asked again", async () => {
    server.setHandler(replyJson({ label: "pet_policy", slots: {} }));
    const result = await answerer().answer("Can I bring my dog?");
    assert.equal(result.label, null);
    assert.equal(result.answer, null);
    assert.equal(result.reason, "unknown-label");
    assert.equal(result.raw, '{"label":"pet_policy","slots":{}}');
    assert.equal(server.requests.length, 1);
  });

  test("an invalid reply is asked again; the tokens of both are summed", async () => {
    server.enqueue(
      {
        kind: "content",
        content: "Refunds take 14 days.",
        usage: { prompt_tokens: 80, completion_tokens: 6 },
      },
      {
        kind: "content",
        content: '{"label": "Refunds"}',
        usage: { prompt_tokens: 100, completion_tokens: 7 },
      },
    );
    const result = await answerer().answer("refund time?");
    assert.equal(
      result.label,
      "refunds",
      "labels match case-insensitively; slots may be absent without a schema",
    );
    assert.equal(result.answer, "Refunds reach your account within 14 days of the return.");
    assert.equal(result.attempts, 2);
    assert.equal(result.inputTokens, 180);
    assert.equal(result.outputTokens, 13);

    server.setHandler(() => ({ kind: "content", content: "I think refunds." }));
    const invalid = await answerer().answer("refund time?");
    assert.equal(invalid.label, null);
    assert.equal(invalid.reason, "invalid-reply");
    assert.equal(invalid.attempts, 2);
  });

  test("a server refusing json_schema gets json_object", async () => {
    server.setHandler(refuseResponseFormat("json_schema", choose("refunds")));
    const model = answerer();
    const result = await model.answer("refund?");
    assert.equal(result.label, "refunds");
    assert.deepEqual(server.requests.map(responseFormatType), ["json_schema", "json_object"]);
    assert.ok(!model.parameters().includes("json_schema"));
  });

  test("429 is retried and then succeeds", async () => {
    server.enqueue(rateLimited(0));
    const result = await answerer().answer("refund?");
    assert.equal(result.label, "refunds");
    assert.equal(result.attempts, 2);
  });

  test("the caller's deadline ends a hanging call with LLM_TIMEOUT", async () => {
    server.setHandler(() => ({ kind: "hang" }));
    await assert.rejects(
      answerer({ timeoutMs: 5000 }).answer("refund?", AbortSignal.timeout(100)),
      (error: unknown) => LlmError.isLlmError(error) && error.code === "LLM_TIMEOUT",
    );
  });

  test("an FAQ without slots asks for the label alone; an empty FAQ is refused", async () => {
    const model = answerer({ faq: [faq[1] as FaqAnswer] });
    const result = await model.answer("refund?");
    assert.equal(result.label, "refunds");
    const format = server.requests[0]?.body?.response_format as
      | { json_schema: { schema: unknown } }
      | undefined;
    const schema = format?.json_schema.schema;
    assert.deepEqual(schema, {
      type: "object",
      properties: { label: { type: "string", enum: ["refunds", "none"] } },
      required: ["label"],
      additionalProperties: false,
    });
    assert.throws(
      () => answerer({ faq: [] }),
      (error: unknown) => SlmkitError.isInstance(error) && error.code === "INVALID_OPTION",
    );
  });
});

describe("OpenAI answer model through loadModel", () => {
  test("an answer use case's openai: model chooses FAQ entries: predict gives intents, answer the texts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "slmkit-openai-answer-"));
    try {
      await writeFile(
        join(dir, "usecase.yaml"),
        [
          "version: 1",
          "id: support-faq",
          "title: Support FAQ",
          "task: answer",
          "labels:",
          "  - name: order_status",
          "  - name: refunds",
          "  - name: opening_hours",
          "faq: faq.jsonl",
          "data:",
          "  train: train.jsonl",
          "",
        ].join("\n"),
      );
      await writeFile(join(dir, "faq.jsonl"), `${faq.map((entry) => JSON.stringify(entry)).join("\n")}\n`);
      const useCase = await loadUseCase(join(dir, "usecase.yaml"));
      const taskOptions = await taskOptionsFromUseCase(useCase);
      assert.equal(taskOptions.task, "answer");
      assert.deepEqual(taskOptions.faq, faq);

      server.setHandler((request) =>
        request.user.includes("order")
          ? choose("order_status", { order_id: "#55555" })(request)
          : request.user.includes("dog")
            ? choose("none")(request)
            : choose("refunds")(request),
      );
      const model = (await loadModel(`openai:gpt-test@${server.baseUrl}`, {
        ...taskOptions,
        environment: { get: () => undefined },
        pricePer1kInputUsd: 1,
        pricePer1kOutputUsd: 1,
      })) as OpenAiAnswerModel;
      try {
        assert.equal(model.task, "answer");
        assert.deepEqual(model.labels, ["order_status", "refunds", "opening_hours"]);
        const questions = ["where is order #55555", "refund?", "can my dog come?", "where is my order"];
        const predictions = await model.predict(questions);
        assert.deepEqual(
          predictions.map((prediction) => [prediction.label, prediction.accepted]),
          [
            ["order_status", true],
            ["refunds", true],
            ["", false],
            ["order_status", false],
          ],
        );
        const answers = await model.answer(questions.slice(0, 1));
        assert.equal(answers[0]?.answer, "Your order #55555 ships within 2 days.");
        const usage = model.usage();
        assert.equal(usage.calls, 5);
        assert.equal(usage.unsure, 2);
        assert.ok(Math.abs(usage.costUsd - (usage.inputTokens + usage.outputTokens) / 1000) < 1e-9);
        assert.equal(server.requests[0]?.headers.authorization, undefined, "no key: no Authorization header");
      } finally {
        await model.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("baseline scores an answer use case's endpoint model on its intents, with cost per 1K requests", async () => {
    server.setHandler((request) =>
      request.user.includes("refund") ? choose("refunds")(request) : choose("opening_hours")(request),
    );
    const reference = `openai:gpt-test@${server.baseUrl}`;
    const report = await runBaseline(
      [
        {
          reference,
          source: "usecase llm",
          load: () =>
            loadModel(reference, {
              faq,
              environment: { get: () => undefined },
              pricePer1kInputUsd: 1,
              pricePer1kOutputUsd: 1,
            }),
          priced: true,
          local: false,
        },
      ],
      [
        { text: "refund please", label: "refunds" },
        { text: "open on monday?", label: "opening_hours" },
        { text: "refund status", label: "order_status" },
      ],
      { endpointLatencySamples: 1 },
    );
    const [row] = report.rows;
    assert.equal(row?.error, undefined);
    assert.equal(row?.n, 3);
    assert.ok(row?.accuracy !== undefined && Math.abs(row.accuracy - 2 / 3) < 1e-5);
    assert.ok(row?.costPer1kRequestsUsd !== undefined && row.costPer1kRequestsUsd !== null);
    assert.ok(row.costPer1kRequestsUsd > 0);
  });

  test("task answer without an FAQ says where the FAQ comes from", async () => {
    await assert.rejects(
      loadModel(`openai:gpt-test@${server.baseUrl}`, {
        task: "answer",
        labels: [{ name: "a" }, { name: "b" }],
      }),
      (error: unknown) =>
        SlmkitError.isInstance(error) && error.code === "INVALID_OPTION" && /faq/.test(error.message),
    );
  });

  test("without fields or an FAQ an openai: reference is still the classifier", async () => {
    const model = await loadModel(`openai:gpt-test@${server.baseUrl}`, {
      labels: [{ name: "a" }, { name: "b" }],
      environment: { get: () => undefined },
    });
    assert.equal(model.task, "classify");
    await model.dispose();
  });
});
