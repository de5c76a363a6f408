// The web dashboard and review page: static files from ./public, and the JSON route the pages read. The pages
// are public and hold no data; their JSON needs a reviewer key and holds only the use cases of its scope.

import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { TcoReport } from "../../cost/types.js";
import { SlmkitError } from "../../errors.js";
import type { DriftReport } from "../../monitor/types.js";
import type { RequestSummary, Store } from "../../store/types.js";
import type { AnsweredBy } from "../../types.js";
import { assetNotFound, badRequest } from "../errors.js";
import { findUseCaseFor, needs, visibleUseCases } from "../middleware/authorize.js";
import type { UseCaseRuntime } from "../runtime.js";
import { queryParameter } from "../wire.js";

/** Where the dashboard gets the reports other parts of slmkit compute; each one is optional. */
export interface DashboardSources {
  /** The latest drift report of a use case; null when there is none yet. */
  drift?(useCaseId: string): Promise<DriftReport | null>;
  /** The total-cost-of-ownership report of a use case; null when there is none. */
  tco?(useCaseId: string): Promise<TcoReport | null>;
}

export interface DashboardRouteOptions {
  useCases: Map<string, UseCaseRuntime>;
  store: Store;
  /** Absent: the drift and cost panels say "not configured". */
  sources?: DashboardSources;
  logger?: { error(context: object, message: string): void };
  /** The folder holding index.html, review.html and the assets. Default: `public/` beside this module. */
  publicDir?: string;
}

/** One use case as the pages need it. */
export interface DashboardUseCase {
  id: string;
  title: string;
  task: string;
  modelVersion: string;
  threshold: number;
  targetAccuracy: number;
  labels: string[];
}

/** A report the dashboard shows but does not compute: whether it is wired, the report, and why it is missing. */
export interface DashboardReport<T> {
  configured: boolean;
  report: T | null;
  /** Set when the source failed; the rest of the dashboard still answers. */
  error: string | null;
}

/** The body of `GET /v1/dashboard`. */
export interface DashboardResponse {
  object: "dashboard";
  usecases: DashboardUseCase[];
  /** The selected use case's id. */
  usecase: string;
  /**
   * The range summarized: `until` is when the figures were computed, `since` is `hours` before it rounded
   * down to a bucket boundary (so the first bucket is whole), both ms since the epoch.
   */
  range: { hours: number; since: number; until: number; bucketMs: number };
  summary: RequestSummary;
  derived: {
    /** Shares of the range's requests by who answered; `local` is slm + cache. Null when there were none. */
    shares: Record<AnsweredBy | "local", number> | null;
    /** Accuracy on feedback (users' and reviewers'): all answers, and the small model's own. Null without feedback. */
    accuracy: { all: number | null; slm: number | null; n: number; slmN: number };
    money: {
      /** What the range's LLM calls cost, USD. */
      actualUsd: number;
      /** Mean cost of one LLM call in the range; null when there was none. */
      meanLlmCallUsd: number | null;
      /** What the range would have cost with the LLM answering every request; null without LLM calls. */
      llmOnlyEstimateUsd: number | null;
      /** The estimate minus the actual spend; null without LLM calls. */
      savedUsd: number | null;
    };
  };
  drift: DashboardReport<DriftReport>;
  tco: DashboardReport<TcoReport>;
  review: {
    /** Open review items of the use case, counted up to `openCountLimit`. */
    open: number;
    /** True when there are at least `openCountLimit` open items, so `open` is a lower bound. */
    capped: boolean;
  };
}

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
const dayMs = 24 * hourMs;
/** The longest range a request may ask for: a year of daily buckets is still a small answer. */
const maxHours = 24 * 366;
/** Counting open review items reads their rows; past this many the page says "1,000+". */
const openCountLimit = 1000;
/** A computation of the figures slower than this is reused for a while (see `reuse`), in ms. */
const slowComputeMs = 100;
/** How many times its own duration a slow computation is reused. */
const reuseFactor = 10;

/**
 * Bucket width for a range: fine enough to see a spike, coarse enough to keep the chart under ~200 bars
 * (5 min up to 6 h, an hour up to 7 days, a day beyond).
 */
export function bucketWidthMs(hours: number): number {
  if (hours <= 6) return 5 * minuteMs;
  if (hours <= 7 * 24) return hourMs;
  return dayMs;
}

/** The derived figures of a summary: shares, accuracy on feedback, and money against an LLM-only estimate. */
export function deriveFigures(summary: RequestSummary): DashboardResponse["derived"] {
  const { totals } = summary;
  const share = (count: number) => count / totals.requests;
  const shares =
    totals.requests === 0
      ? null
      : {
          slm: share(totals.answeredBy.slm),
          cache: share(totals.answeredBy.cache),
          llm: share(totals.answeredBy.llm),
          review: share(totals.answeredBy.review),
          local: share(totals.answeredBy.slm + totals.answeredBy.cache),
        };
  const meanLlmCallUsd = totals.llmCalls > 0 ? totals.costUsd / totals.llmCalls : null;
  const llmOnlyEstimateUsd = meanLlmCallUsd === null ? null : meanLlmCallUsd * totals.requests;
  return {
    shares,
    accuracy: {
      all: totals.feedback.n > 0 ? totals.feedback.correct / totals.feedback.n : null,
      slm: totals.feedback.slm.n > 0 ? totals.feedback.slm.correct / totals.feedback.slm.n : null,
      n: totals.feedback.n,
      slmN: totals.feedback.slm.n,
    },
    money: {
      actualUsd: totals.costUsd,
      meanLlmCallUsd,
      llmOnlyEstimateUsd,
      savedUsd: llmOnlyEstimateUsd === null ? null : llmOnlyEstimateUsd - totals.costUsd,
    },
  };
}

export function describeUseCase(useCase: UseCaseRuntime): DashboardUseCase {
  return {
    id: useCase.id,
    title: useCase.spec.title,
    task: useCase.spec.task,
    modelVersion: useCase.modelVersion,
    threshold: useCase.model.threshold,
    targetAccuracy: useCase.spec.routing.targetAccuracy,
    labels: useCase.spec.labels?.map((label) => label.name) ?? [...useCase.model.labels],
  };
}

const pagePaths = new Set(["/", "/review"]);

/** Paths served without an API key: the pages hold no data; everything they show comes from keyed APIs. */
export function isDashboardPublicPath(path: string): boolean {
  return pagePaths.has(path) || path.startsWith("/assets/");
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

// The pages load nothing but their own files and talk to nothing but this server; the policy makes a
// stray external reference fail loudly in the console instead of leaking a request.
const pageHeaders = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

async function readPublicFiles(dir: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new SlmkitError(
      "IO_ERROR",
      `the dashboard's files are missing from ${dir}; rebuild with \`npm run build\`, which copies them.`,
      { file: dir, cause: error },
    );
  }
  for (const name of names) {
    const type = contentTypes[extname(name)];
    if (type === undefined) continue;
    const body = await readFile(join(dir, name));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    files.set(name, { body, type, etag });
  }
  for (const required of ["index.html", "review.html"]) {
    const path = join(dir, required);
    if (!files.has(required))
      throw new SlmkitError("IO_ERROR", `${path} is missing; rebuild with \`npm run build\`.`, {
        file: path,
      });
  }
  return files;
}

/** Registers `/`, `/review`, `/assets/*`, `GET /v1/dashboard` and `GET /v1/dashboard/usecases`. */
export async function registerDashboardRoutes(
  app: FastifyInstance,
  options: DashboardRouteOptions,
): Promise<void> {
  const { useCases, store, sources } = options;
  // Read once at start: the files are small, and serving from memory keeps first paint off the disk.
  const files = await readPublicFiles(
    options.publicDir ?? fileURLToPath(new URL("./public/", import.meta.url)),
  );

  const send = (name: string, request: FastifyRequest, reply: FastifyReply) => {
    const file = files.get(name);
    if (file === undefined) throw assetNotFound(name);
    void reply.headers(pageHeaders).header("etag", file.etag);
    if (request.headers["if-none-match"] === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  };
  app.get("/", (request, reply) => send("index.html", request, reply));
  app.get("/review", (request, reply) => send("review.html", request, reply));
  app.get<{ Params: { name: string } }>("/assets/:name", (request, reply) =>
    send(request.params.name, request, reply),
  );

  const report = async <T>(
    name: string,
    source: ((useCaseId: string) => Promise<T | null>) | undefined,
    useCaseId: string,
  ): Promise<DashboardReport<T>> => {
    if (source === undefined) return { configured: false, report: null, error: null };
    try {
      return { configured: true, report: await source(useCaseId), error: null };
    } catch (error) {
      // A failing report must not blank the rest of the dashboard: it says what failed instead.
      options.logger?.error({ err: error, usecase: useCaseId }, `dashboard ${name} report failed`);
      return { configured: true, report: null, error: (error as Error).message };
    }
  };

  type Figures = Omit<DashboardResponse, "object" | "usecases" | "drift" | "tco">;
  const compute = async (useCaseId: string, hours: number): Promise<Figures> => {
    const bucketMs = bucketWidthMs(hours);
    const until = Date.now();
    // Start on a bucket boundary so the first bar is as wide as the others.
    const since = Math.floor((until - hours * hourMs) / bucketMs) * bucketMs;
    // Rows of requests answered a moment ago may still be queued; a short wait makes a user's own traffic
    // show up on the next refresh without ever holding the page for long.
    if (store.pendingWrites() > 0) await store.flush(500).catch(() => undefined);
    const [summary, open] = await Promise.all([
      store.summarizeRequests({ useCaseId, since, until, bucketMs }),
      store.listReview({ useCaseId, status: "open", limit: openCountLimit }),
    ]);
    return {
      usecase: useCaseId,
      range: { hours, since, until, bucketMs },
      summary,
      derived: deriveFigures(summary),
      review: { open: open.length, capped: open.length >= openCountLimit },
    };
  };

  // Summaries over a long range of a big log can take a good part of a second, and an embedded SQLite store
  // runs them on the event loop the gateway routes on. Identical requests in flight share one computation,
  // and one that took longer than `slowComputeMs` is reused for `reuseFactor` times as long as it took, so
  // however many pages refresh, the dashboard holds the loop a bounded share of the time. Quick ones are
  // never reused: a small log always shows the latest figures.
  const computed = new Map<string, { figures: Promise<Figures>; reusableUntil: number }>();
  const reuse = async (key: string, make: () => Promise<Figures>): Promise<Figures> => {
    const found = computed.get(key);
    if (found !== undefined && found.reusableUntil > Date.now()) return found.figures;
    if (computed.size >= 256) computed.clear();
    const started = performance.now();
    const entry = { figures: make(), reusableUntil: Number.POSITIVE_INFINITY };
    computed.set(key, entry);
    try {
      await entry.figures;
      const took = performance.now() - started;
      entry.reusableUntil = took >= slowComputeMs ? Date.now() + reuseFactor * took : 0;
    } catch {
      entry.reusableUntil = 0;
    } finally {
      if (entry.reusableUntil === 0 && computed.get(key) === entry) computed.delete(key);
    }
    return entry.figures;
  };

  app.get("/v1/dashboard/usecases", needs.reviewer, async (request) => ({
    object: "list",
    data: visibleUseCases(request.apiKey, useCases).map(describeUseCase),
  }));

  app.get<{ Querystring: { usecase?: string; hours?: string } }>(
    "/v1/dashboard",
    needs.reviewer,
    async (request): Promise<DashboardResponse> => {
      const hoursGiven = queryParameter(request.query, "hours");
      const hours = hoursGiven === undefined ? 24 : Number(hoursGiven);
      if (!Number.isFinite(hours) || hours <= 0 || hours > maxHours)
        throw badRequest("invalid_value", `hours must be a number in (0, ${maxHours}].`, "hours");
      // Without `usecase` the first one the key may see is shown, so the page has something to open on.
      const visible = visibleUseCases(request.apiKey, useCases);
      const useCase = findUseCaseFor(
        request,
        useCases,
        queryParameter(request.query, "usecase") ?? visible[0]?.id ?? "",
        "usecase",
      );
      const useCaseId = useCase.id;
      // Drift and cost come from their own sources, which keep their latest report: only the store's
      // figures go through `reuse`, so a slow cost report never holds the request counts back.
      const [figures, drift, tco] = await Promise.all([
        reuse(`${useCaseId}\n${hours}`, () => compute(useCaseId, hours)),
        report("drift", sources?.drift, useCaseId),
        report("tco", sources?.tco, useCaseId),
      ]);
      return {
        object: "dashboard",
        usecases: visible.map(describeUseCase),
        ...figures,
        drift,
        tco,
      };
    },
  );
}
