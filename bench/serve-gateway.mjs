// Child process of bench/serve.ts and bench/escalation.ts: runs slmkit's gateway on loopback in its own event
// loop, so the load generator never shares it. Plain JavaScript over the built package (dist/), run without tsx:
// what is measured is the code users run (tsx rewrites every module it loads, dist/ included, and adds a
// `__name` call per closure created: 2.5% of the gateway's CPU at peak). Prints its URL and an API key as one
// JSON line; on SIGTERM (or when the parent goes away) it drains, closes, and reports the log rows a fresh
// store counts. A "stats" line on stdin is answered with the event-loop delay and GC pauses since the previous
// one (GatewayStats in serve-protocol.ts).
//
// Usage: node bench/serve-gateway.mjs --usecase <yaml> --store sqlite:<path> [--rate-limit <n>]

import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { startGateway } from "../dist/serve/server.js";
import { createStore, parseStoreSetting } from "../dist/store/index.js";
import { onParentGone, sendToParent } from "./serve-child.mjs";

const { values } = parseArgs({
  options: {
    usecase: { type: "string" },
    store: { type: "string" },
    "use-case-id": { type: "string", default: "banking77" },
    "rate-limit": { type: "string", default: "1000000" },
  },
  strict: true,
});
if (values.usecase === undefined || values.store === undefined)
  throw new Error("serve-gateway.mjs needs --usecase <yaml> --store sqlite:<path>.");
const storeSetting = values.store;
const useCaseId = values["use-case-id"];

const gateway = await startGateway({
  usecases: [values.usecase],
  port: 0,
  host: "127.0.0.1",
  store: storeSetting,
  requireAuth: true,
  // One key drives all the bench's traffic: the default per-key limit (200 req/s) would turn it into 429s.
  rateLimitPerSecond: Number(values["rate-limit"]),
});
// An admin key: the bench also scrapes /metrics with it.
const { key } = await gateway.store.createApiKey("bench", { role: "admin" });

// Stall diagnostics: a 10 ms timer measures how late the loop runs; the GC observer adds up pauses.
const loopResolutionMs = 10;
const loopDelay = monitorEventLoopDelay({ resolution: loopResolutionMs });
loopDelay.enable();
const gc = { count: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
}).observe({ entryTypes: ["gc"] });
createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() !== "stats") return;
  const beyond = (nanoseconds) => Math.max(0, nanoseconds / 1e6 - loopResolutionMs);
  const counted = loopDelay.count > 0;
  sendToParent({
    event: "stats",
    loopDelayMs: {
      p50: counted ? beyond(loopDelay.percentile(50)) : 0,
      p99: counted ? beyond(loopDelay.percentile(99)) : 0,
      max: counted ? beyond(loopDelay.max) : 0,
    },
    gc: { ...gc },
    heapUsedBytes: process.memoryUsage().heapUsed,
  });
  loopDelay.reset();
  gc.count = 0;
  gc.totalMs = 0;
  gc.maxMs = 0;
});

onParentGone(async () => {
  const dropped = gateway.store.droppedWrites();
  const started = performance.now();
  await gateway.close();
  const closeMs = performance.now() - started;
  // A fresh store reads what reached the database, not what the closed one believes it wrote.
  const store = createStore(parseStoreSetting(storeSetting));
  try {
    await store.migrate();
    const rows = await store.countRequests({ useCaseId });
    sendToParent({ event: "closed", rows, dropped, closeMs });
  } finally {
    await store.close();
  }
});

sendToParent({ event: "ready", url: gateway.url, pid: process.pid, key });
