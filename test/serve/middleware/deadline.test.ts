import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import type { RouterStats } from "../../../src/route/router.js";
import type { RouteRequest, RouteResult } from "../../../src/route/types.js";
import { createApp, type RouterHandle, type UseCaseRuntime } from "../../../src/serve/app.js";
import { HttpError } from "../../../src/serve/errors.js";
import { createGatewayMetrics } from "../../../src/serve/metrics.js";
import { createRoutingDeadline } from "../../../src/serve/middleware/deadline.js";
import { createRateLimiter } from "../../../src/serve/rate-limit.js";
import { supportTemplate, validateUseCase } from "../../../src/spec/index.js";
import { createSqliteStore } from "../../../src/store/sqlite-store.js";
import type { Store } from "../../../src/store/types.js";
import { routeResult } from "../../helpers/route-result.js";

const requestTimeoutMs = 100;

/** A router that answers after `delayMs` (the request's text says how long), like a slow LLM would. */
function slowRouter(): RouterHandle & { answeredLate: number } {
  const handle = {
    answeredLate: 0,
    async route(request: RouteRequest): Promise<RouteResult> {
      const delayMs = Number(request.text.match(/wait (\d+)/)?.[1] ?? 0);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (delayMs > requestTimeoutMs) handle.answeredLate += 1;
      return routeResult({
        requestId: request.requestId ?? "id",
        useCaseId: request.useCaseId,
        answeredBy: "llm",
        reason: `answered after ${delayMs} ms`,
        llm: { label: "order_status", model: "slow" },
        slm: { label: "order_status", confidence: 0.2 },
        latencyMs: delayMs,
      });
    },
    async idle() {},
    async close() {},
    stats: () => ({}) as RouterStats,
  };
  return handle;
}

describe("the request timeout", () => {
  let app: FastifyInstance;
  let store: Store;
  const router = slowRouter();

  before(async () => {
    store = createSqliteStore({ path: ":memory:" });
    await store.migrate();
    const spec = validateUseCase(supportTemplate.spec);
    const runtime: UseCaseRuntime = {
      id: spec.id,
      spec,
      modelDir: "unused",
      model: { labels: ["order_status"], threshold: 0.5 },
      modelVersion: "v1",
      router,
      createdAt: Date.now(),
    };
    app = await createApp({
      useCases: new Map([[spec.id, runtime]]),
      store,
      metrics: createGatewayMetrics(),
      rateLimiter: createRateLimiter(),
      requireAuth: false,
      requestTimeoutMs,
      reload: async () => ({ version: "v1" }),
      ready: () => true,
    });
  });

  after(async () => {
    await app.close();
    await store.close();
  });

  const ask = (text: string) =>
    app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { model: "support", messages: [{ role: "user", content: text }] },
    });

  test("answers 504 in the OpenAI error shape once routing outlasts it, never before, and before the late answer", async () => {
    const started = performance.now();
    const response = await ask("where is my order? wait 400");
    const elapsed = performance.now() - started;
    assert.equal(response.statusCode, 504);
    assert.deepEqual(response.json(), {
      error: {
        message: `no answer within ${requestTimeoutMs} ms.`,
        type: "server_error",
        code: "timeout",
        param: null,
      },
    });
    assert.ok(elapsed >= requestTimeoutMs, `not before the deadline (${elapsed.toFixed(1)} ms)`);
    assert.ok(elapsed < 400, `before the router's answer (${elapsed.toFixed(1)} ms)`);
  });

  test("requests within it are answered, also while others time out beside them", async () => {
    const [slow, quick, atOnce] = await Promise.all([
      ask("wait 300"),
      ask("wait 20"),
      ask("where is my order?"),
    ]);
    assert.equal(slow.statusCode, 504);
    assert.equal(quick.statusCode, 200);
    assert.equal(atOnce.statusCode, 200);
    assert.equal(quick.json().slmkit.reason, "answered after 20 ms");
    // The late answers arrive after their 504s and change nothing.
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(router.answeredLate, 2);
    const again = await ask("wait 10");
    assert.equal(again.statusCode, 200);
  });
});

describe("the routing deadline on its own", () => {
  /** A router whose answer to each request is `answer`'s. */
  const routerOf = (answer: (request: RouteRequest) => Promise<RouteResult>): RouterHandle => ({
    route: answer,
    async idle() {},
    async close() {},
    stats: () => ({}) as RouterStats,
  });
  const answerAfter = (delayMs: number, request: RouteRequest) =>
    new Promise<RouteResult>((resolve) =>
      setTimeout(() => resolve(routeResult({ requestId: request.requestId ?? "id" })), delayMs),
    );

  test("an answer in time is resolved and reported once; a late one is a 504 and is not reported", async () => {
    const reported: string[] = [];
    const deadline = createRoutingDeadline({
      timeoutMs: 50,
      onAnswer: (result) => reported.push(result.requestId),
    });
    const router = routerOf((request) => answerAfter(request.requestId === "late" ? 150 : 5, request));
    const request = (requestId: string) => ({ useCaseId: "support", text: "hi", apiKeyId: null, requestId });
    const [onTime, late] = await Promise.allSettled([
      deadline.route(router, request("on-time")),
      deadline.route(router, request("late")),
    ]);
    assert.equal(onTime.status === "fulfilled" && onTime.value.requestId, "on-time");
    assert.ok(late.status === "rejected" && late.reason instanceof HttpError);
    assert.equal(late.reason.statusCode, 504);
    assert.equal(late.reason.code, "timeout");
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(reported, ["on-time"], "the late answer changes nothing");
    deadline.close();
  });

  test("a router's own failure is passed on as it is, not as a timeout", async () => {
    const deadline = createRoutingDeadline({ timeoutMs: 1000, onAnswer: () => assert.fail("not answered") });
    const failure = new Error("the store is away");
    await assert.rejects(
      deadline.route(
        routerOf(async () => {
          throw failure;
        }),
        { useCaseId: "support", text: "hi", apiKeyId: null, requestId: "r" },
      ),
      (error) => error === failure,
    );
    deadline.close();
  });
});
