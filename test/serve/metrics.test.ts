import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createGatewayMetrics } from "../../src/serve/metrics.js";

const cache = { exactHits: 0, semanticHits: 0, misses: 0, guardRejections: 0, backendErrors: 0 };

describe("gateway metrics", () => {
  test("log rows waiting (a gauge) and dropped (a counter) are read from the store at each scrape", async () => {
    const metrics = createGatewayMetrics();
    const rows = { waiting: 7, dropped: 3 };
    metrics.watch(() => ({ cache, cacheStatus: "ready", routers: [], logRows: { ...rows } }));
    let text = await metrics.registry.metrics();
    assert.match(text, /^slmkit_log_rows_waiting 7$/m);
    assert.match(text, /^# TYPE slmkit_log_rows_dropped_total counter$/m);
    assert.match(text, /^slmkit_log_rows_dropped_total 3$/m);
    rows.waiting = 0;
    rows.dropped = 5;
    text = await metrics.registry.metrics();
    assert.match(text, /^slmkit_log_rows_waiting 0$/m);
    assert.match(text, /^slmkit_log_rows_dropped_total 5$/m, "the store's count, not a sum of scrapes");
  });

  test("connections refused are counted by listener and cap; open connections are read at each scrape", async () => {
    const metrics = createGatewayMetrics();
    let open = 12;
    metrics.watchConnections("main", () => open);
    metrics.connectionRefused("main", "per_address");
    metrics.connectionRefused("main", "per_address");
    metrics.connectionRefused("metrics", "total");
    open = 13;
    const text = await metrics.registry.metrics();
    assert.match(text, /^slmkit_connections_open\{listener="main"\} 13$/m);
    assert.match(text, /^slmkit_connections_refused_total\{listener="main",cap="per_address"\} 2$/m);
    assert.match(text, /^slmkit_connections_refused_total\{listener="metrics",cap="total"\} 1$/m);
  });
});
