import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Fastify, { type FastifyInstance, type InjectOptions } from "fastify";
import { badRequest, registerErrorHandlers } from "../../src/serve/errors.js";
import { createGatewayMetrics, type GatewayMetrics } from "../../src/serve/metrics.js";
import { registerJsonBody } from "../../src/serve/middleware/json-body.js";

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
