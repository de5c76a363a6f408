import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Fastify from "fastify";
import { registerErrorHandlers } from "../../../src/serve/errors.js";
import { createGatewayMetrics } from "../../../src/serve/metrics.js";
import { registerAdminRoutes } from "../../../src/serve/routes/admin.js";
import type { UseCaseRuntime } from "../../../src/serve/runtime.js";

/** An app with only the reload route over two use cases, whose reloads wait until released. */
async function reloadApp(reloadsPerMinute?: number) {
  const useCases = new Map(
    ["support", "faq"].map((id) => [id, { id } as UseCaseRuntime] as [string, UseCaseRuntime]),
  );
  const pending: (() => void)[] = [];
  let reloads = 0;
  const app = Fastify({ logger: false });
  registerErrorHandlers(app, { bodyLimitBytes: 1024, metrics: createGatewayMetrics() });
  registerAdminRoutes(app, {
    useCases,
    reload: (id) =>
      new Promise((resolve) => {
        reloads += 1;
        pending.push(() => resolve({ version: `${id}-v${reloads}` }));
      }),
    ...(reloadsPerMinute === undefined ? {} : { reloadsPerMinute }),
  });
  await app.ready();
  const post = (id: string) => app.inject({ method: "POST", url: `/v1/usecases/${id}/reload`, payload: {} });
  /** Lets every reload waiting so far finish. */
  const release = () => {
    for (const done of pending.splice(0)) done();
  };
  return { app, post, release, reloads: () => reloads };
}

/** Resolves true once `condition` holds (checked every millisecond), false after 2 s without. */
async function until(condition: () => boolean): Promise<boolean> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > 2000) return false;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return true;
}

describe("POST /v1/usecases/{id}/reload limits", () => {
  test("one reload at a time per use case: a second one meanwhile is a 429 reload_in_progress; another use case's goes", async () => {
    const { app, post, release, reloads } = await reloadApp();
    const first = post("support");
    assert.ok(await until(() => reloads() === 1));
    const meanwhile = await post("support");
    assert.equal(meanwhile.statusCode, 429);
    assert.equal(meanwhile.json().error.code, "reload_in_progress");
    assert.equal(meanwhile.headers["retry-after"], "1");
    const other = post("faq");
    assert.ok(await until(() => reloads() === 2), "the other use case's reload runs");
    release();
    assert.equal((await first).statusCode, 200);
    assert.equal((await other).statusCode, 200);
    const after = post("support");
    assert.ok(await until(() => reloads() === 3));
    release();
    assert.equal((await after).statusCode, 200, "once it is done the next one goes");
    await app.close();
  });

  test("a few a minute per use case: a burst of 3, then a 429 rate_limit_exceeded with Retry-After", async () => {
    const { app, post, release, reloads } = await reloadApp(12);
    const statuses: number[] = [];
    for (let index = 0; index < 4; index++) {
      const response = post("support");
      await Promise.race([until(() => reloads() === index + 1), response]);
      release();
      statuses.push((await response).statusCode);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const limited = await post("support");
    assert.equal(limited.json().error.code, "rate_limit_exceeded");
    const wait = Number(limited.headers["retry-after"]);
    assert.ok(wait >= 1 && wait <= 5, `Retry-After ${wait}: one reload every 5 s`);
    await app.close();
  });
});
