// `GET /metrics`: the Prometheus scrape, on the main listener or its own (`metricsListen`), limited either way: a
// rendering is served again for a moment, and each client address may scrape a few times a second. On the main
// listener it needs an admin key (it shows use-case ids, traffic shares, LLM cost and refused keys): give
// Prometheus one as `authorization: {credentials: …}`; on a listener of its own, reaching the port is the access.

import type { FastifyInstance } from "fastify";
import { rateLimited } from "../errors.js";
import type { GatewayMetrics } from "../metrics.js";
import { needs } from "../middleware/authorize.js";
import { createRateLimiter } from "../rate-limit.js";

export interface MetricsRouteOptions {
  /**
   * How long one rendering is served to every scrape, in ms. Default 1,000: rendering is the costly part (7,000
   * scrapes unshared moved chat p99 from 2.9 to 85 ms), and Prometheus scrapes every 15 s or so.
   */
  cacheMs?: number;
  /** Scrapes per second per client address (twice that in a burst); over it a 429. Default 5. */
  perSecond?: number;
}

export function registerMetricsRoute(
  app: FastifyInstance,
  metrics: GatewayMetrics,
  options: MetricsRouteOptions = {},
): void {
  const cacheMs = options.cacheMs ?? 1000;
  const perSecond = options.perSecond ?? 5;
  const scrapes = createRateLimiter({ perSecond, burst: perSecond * 2 });
  // One rendering in flight or fresh, shared by every scrape until it is `cacheMs` old.
  let rendered: { until: number; text: Promise<string> } | undefined;
  const render = (): Promise<string> => {
    const now = performance.now();
    if (rendered !== undefined && rendered.until > now) return rendered.text;
    const text = metrics.registry.metrics();
    const entry = { until: now + cacheMs, text };
    rendered = entry;
    text.catch(() => {
      if (rendered === entry) rendered = undefined;
    });
    return text;
  };
  // The role counts only where authorization is registered: the main listener, not a metrics listener of its own.
  app.get("/metrics", needs.admin, async (request, reply) => {
    const wait = scrapes.take(request.ip);
    if (wait > 0) throw rateLimited(wait, true);
    void reply.header("content-type", metrics.registry.contentType);
    return render();
  });
}
