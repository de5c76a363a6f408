import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import Fastify, { type FastifyInstance, type InjectOptions } from "fastify";
import { createApp } from "../../src/serve/app.js";
import { badRequest, registerErrorHandlers } from "../../src/serve/errors.js";
import { createGatewayMetrics, type GatewayMetrics } from "../../src/serve/metrics.js";
import { registerJsonBody } from "../../src/serve/middleware/json-body.js";
import { createRateLimiter } from "../../src/serve/rate-limit.js";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { rawRequest } from "../helpers/raw-http.js";

describe("errors in the OpenAI shape", () => {
  let app: FastifyInstance;
  let metrics: GatewayMetrics;
  const logged: { context: object; message: string }[] = [];

  before(async () => {
    metrics = createGatewayMetrics();
    app = Fastify({ logger: false, bodyLimit: 64 });
    registerJsonBody(app);
    registerErrorHandlers(app, {
      bodyLimitBytes: 64,
      metrics,
      logger: { error: (context, message) => logged.push({ context, message }) },
    });
    app.post("/echo", async (request) => ({ body: request.body ?? null }));
    app.get("/bad", async () => {
      throw badRequest("invalid_value", "limit must be a number.", "limit");
    });
    app.get("/broken", async () => {
      throw new Error("a bug, with a stack trace");
    });
    await app.ready();
  });
  after(async () => {
    await app.close();
  });

  const errorOf = async (request: InjectOptions) => {
    const response = await app.inject(request);
    return { status: response.statusCode, error: response.json().error };
  };

  test("an HttpError is answered as it is", async () => {
    assert.deepEqual(await errorOf({ method: "GET", url: "/bad" }), {
      status: 400,
      error: {
        message: "limit must be a number.",
        type: "invalid_request_error",
        code: "invalid_value",
        param: "limit",
      },
    });
  });

  test("Fastify's body errors become ours: too large, not JSON, invalid UTF-8, wrong media type", async () => {
    const post = (payload: string | Buffer, contentType = "application/json") =>
      errorOf({ method: "POST", url: "/echo", payload, headers: { "content-type": contentType } });
    const tooLarge = await post(JSON.stringify({ text: "a".repeat(100) }));
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.error.code, "body_too_large");
    assert.equal(tooLarge.error.message, "the request body is larger than 64 bytes.");
    assert.equal((await post("{not json")).error.code, "invalid_json");
    assert.equal((await post(Buffer.from([0x7b, 0xff, 0x7d]))).error.code, "invalid_encoding");
    const media = await post("<text/>", "application/xml");
    assert.equal(media.status, 400);
    assert.equal(media.error.code, "invalid_body");
  });

  test("an unknown route is a 404 not_found naming it", async () => {
    assert.deepEqual(await errorOf({ method: "GET", url: "/nowhere" }), {
      status: 404,
      error: { message: "no route GET /nowhere.", type: "not_found_error", code: "not_found", param: null },
    });
  });

  test("anything else is a 500 that shows no detail; the error is logged and counted by route", async () => {
    const broken = await errorOf({ method: "GET", url: "/broken" });
    assert.deepEqual(broken, {
      status: 500,
      error: {
        message: "the server failed to answer; the error is logged.",
        type: "server_error",
        code: "internal_error",
        param: null,
      },
    });
    assert.equal(logged.at(-1)?.message, "request failed");
    assert.match(
      await metrics.registry.metrics(),
      /slmkit_http_errors_total\{route="\/broken",status="500"\} 1/,
    );
  });
});

describe("every error in the OpenAI shape, Fastify's and Node's own included (over a real socket)", () => {
  let app: FastifyInstance;
  let store: Store;
  let port: number;
  let metrics: GatewayMetrics;

  before(async () => {
    store = createSqliteStore({ path: ":memory:" });
    await store.migrate();
    metrics = createGatewayMetrics();
    app = await createApp({
      useCases: new Map(),
      store,
      metrics,
      rateLimiter: createRateLimiter(),
      requireAuth: false,
      reload: async () => ({ version: "v1" }),
      ready: () => true,
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    port = (app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await app.close();
    await store.close();
  });

  /** The response to a raw request, checked to be `{error: {message, type, code, param}}` and nothing else. */
  const shaped = async (request: string) => {
    const response = await rawRequest(port, request);
    const body = JSON.parse(response.body) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body), ["error"]);
    assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
    assert.match(response.headers["content-type"] ?? "", /^application\/json/);
    return { ...response, error: body.error };
  };

  test("a broken percent-encoding in the path is a 400 invalid_url", async () => {
    const response = await shaped("POST /v1/usecases/%E0%A4%A/predict HTTP/1.1\r\nHost: a\r\n\r\n");
    assert.equal(response.status, 400);
    assert.deepEqual(response.error, {
      message: "the URL is not validly percent-encoded.",
      type: "invalid_request_error",
      code: "invalid_url",
      param: null,
    });
  });

  test("a path parameter over 100 characters is a 414 parameter_too_long", async () => {
    const response = await shaped(`POST /v1/usecases/${"a".repeat(101)}/reload HTTP/1.1\r\nHost: a\r\n\r\n`);
    assert.equal(response.status, 414);
    assert.equal(response.error.code, "parameter_too_long");
    assert.equal(response.error.type, "invalid_request_error");
  });

  test("headers over Node's limit are a 431 headers_too_large, and the connection is closed", async () => {
    const response = await shaped(`GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    assert.equal(response.status, 431);
    assert.equal(response.error.code, "headers_too_large");
    assert.equal(response.headers.connection, "close");
    assert.equal(response.closed, true);
  });

  test("a malformed request line is a 400 malformed_request, and the connection is closed", async () => {
    for (const request of [
      "HELLO\r\n\r\n",
      "GET /healthz HTTP/9\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
    ]) {
      const response = await shaped(request);
      assert.equal(response.status, 400, request);
      assert.equal(response.error.code, "malformed_request");
      assert.equal(response.closed, true);
    }
  });

  test("a query parameter given twice is a 400 naming it, not a 500 from the store", async () => {
    const response = await shaped("GET /v1/review?usecase=a&usecase=b HTTP/1.1\r\nHost: a\r\n\r\n");
    assert.equal(response.status, 400);
    assert.deepEqual(response.error, {
      message: "usecase is given more than once; give it once.",
      type: "invalid_request_error",
      code: "repeated_parameter",
      param: "usecase",
    });
    const once = await rawRequest(port, "GET /v1/review?usecase=a HTTP/1.1\r\nHost: a\r\n\r\n");
    assert.equal(once.status, 200);
  });

  test("Node's and Fastify's errors are counted by status", async () => {
    const scrape = await metrics.registry.metrics();
    assert.match(scrape, /slmkit_http_errors_total\{route="unknown",status="431"\} 1/);
    assert.match(scrape, /slmkit_http_errors_total\{route="unknown",status="400"\} [1-9]/);
  });
});
