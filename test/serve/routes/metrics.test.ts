import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Fastify from "fastify";
import { registerErrorHandlers } from "../../../src/serve/errors.js";
import { createGatewayMetrics } from "../../../src/serve/metrics.js";
import { registerMetricsRoute } from "../../../src/serve/routes/metrics.js";

/** An app with only the scrape, whose renderings are counted. */
async function scrapeApp(options: Parameters<typeof registerMetricsRoute>[2]) {
  const metrics = createGatewayMetrics();
  const render = metrics.registry.metrics.bind(metrics.registry);
  const counted = { renders: 0 };
  metrics.registry.metrics = () => {
    counted.renders += 1;
    return render();
  };
  const app = Fastify({ logger: false });
  registerErrorHandlers(app, { bodyLimitBytes: 1024, metrics });
  registerMetricsRoute(app, metrics, options);
  await app.ready();
  const scrape = (remoteAddress = "10.0.0.1") =>
    app.inject({ method: "GET", url: "/metrics", remoteAddress });
  return { app, counted, scrape, metrics };
}

describe("GET /metrics", () => {
  test("one rendering serves every scrape within cacheMs, from any address; a later scrape renders anew", async () => {
    const { app, counted, scrape } = await scrapeApp({ cacheMs: 100, perSecond: 100 });
    const first = await Promise.all(["10.0.0.1", "10.0.0.2", "10.0.0.3"].map((address) => scrape(address)));
    assert.deepEqual(
      first.map((response) => response.statusCode),
      [200, 200, 200],
    );
    assert.match(String(first[0]?.headers["content-type"]), /^text\/plain/);
    assert.match(first[0]?.body ?? "", /slmkit_connections_refused_total/);
    assert.equal(counted.renders, 1);
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal((await scrape()).statusCode, 200);
    assert.equal(counted.renders, 2);
    await app.close();
  });

  test("an address past its scrapes per second gets a 429 in the OpenAI shape with Retry-After; others are served", async () => {
    const { app, scrape } = await scrapeApp({ perSecond: 2 });
    const statuses = [];
    for (let index = 0; index < 6; index++) statuses.push((await scrape("10.0.0.9")).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429], "a burst of twice perSecond, then limited");
    const limited = await scrape("10.0.0.9");
    assert.equal(limited.json().error.code, "rate_limit_exceeded");
    assert.match(String(limited.headers["retry-after"]), /^[1-9]\d*$/);
    assert.equal(limited.headers.connection, "close");
    assert.equal((await scrape("10.0.0.10")).statusCode, 200);
    await app.close();
  });
});
