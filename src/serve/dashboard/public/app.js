// @ts-check
// The dashboard page: figures of one use case over a range, a chart, drift, cost of ownership and "try it".

import {
  ApiError,
  api,
  element,
  formatCount,
  formatMs,
  formatPercent,
  formatTime,
  formatUsd,
  html,
  preferredUseCase,
  rememberUseCase,
  setUpKeyGate,
} from "./api.js";

/** @typedef {import("../routes.js").DashboardResponse} Dashboard */
/** @typedef {import("../routes.js").DashboardUseCase} UseCase */
/** @typedef {import("../../../store/types.js").RequestBucket} Bucket */
/** @typedef {"slm" | "cache" | "llm" | "review"} AnsweredBy */
/** @typedef {import("../../../cost/types.js").TcoReport} TcoReport */
/** @typedef {"llmOnly" | "slmOnly" | "hybrid"} CostWay */

const refreshEveryMs = 10_000;
/** Bottom to top in the stacked bars. @type {AnsweredBy[]} */
const series = ["slm", "cache", "llm", "review"];
/** @type {Record<AnsweredBy, string>} */
const answeredByNames = { slm: "small model", cache: "cache", llm: "LLM", review: "review queue" };

const useCaseSelect = /** @type {HTMLSelectElement} */ (element("usecase"));
const hoursSelect = /** @type {HTMLSelectElement} */ (element("hours"));
const errorBox = element("error");

// A link may name the range (`/?hours=168`); only the offered ranges are taken.
const linkedHours = new URL(location.href).searchParams.get("hours");
if ([...hoursSelect.options].some((option) => option.value === linkedHours))
  hoursSelect.value = linkedHours ?? "";

/** @type {Dashboard | null} */
let current = null;
/** Each refresh takes a number; an answer that is not the latest one asked for is dropped. */
let latestRefresh = 0;
/** @type {ReturnType<typeof setInterval> | undefined} */
let timer;

const gate = setUpKeyGate({
  onKey: () => {
    void refresh();
    timer ??= setInterval(() => {
      if (!document.hidden) void refresh();
    }, refreshEveryMs);
  },
});

element("refresh").addEventListener("click", () => void refresh());
useCaseSelect.addEventListener("change", () => {
  rememberUseCase(useCaseSelect.value);
  void refresh();
});
hoursSelect.addEventListener("change", () => {
  const url = new URL(location.href);
  url.searchParams.set("hours", hoursSelect.value);
  history.replaceState(null, "", url);
  void refresh();
});
element("try-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void tryText();
});

/** @param {boolean} [fallBack] after an unknown remembered use case, ask for the default one */
async function refresh(fallBack = false) {
  const number = ++latestRefresh;
  const wanted = fallBack ? null : useCaseSelect.value || preferredUseCase();
  const parameters = new URLSearchParams({ hours: hoursSelect.value });
  if (wanted) parameters.set("usecase", wanted);
  try {
    /** @type {Dashboard} */
    const dashboard = await api(`/v1/dashboard?${parameters}`);
    if (number !== latestRefresh) return;
    current = dashboard;
    render(dashboard);
    errorBox.textContent = "";
  } catch (error) {
    if (number !== latestRefresh) return;
    // 403: a valid key whose role cannot read the dashboard (a client key): ask for another one.
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      clearInterval(timer);
      timer = undefined;
      gate.reject(error.message);
    } else if (error instanceof ApiError && error.code === "model_not_found" && wanted && !fallBack) {
      // The remembered use case is no longer served (or not to this key): open on the first one instead.
      await refresh(true);
    } else {
      errorBox.textContent = `Could not refresh the dashboard: ${error instanceof Error ? error.message : error}`;
    }
  }
}

/** @param {Dashboard} dashboard */
function render(dashboard) {
  renderPicker(dashboard);
  const useCase = dashboard.usecases.find((entry) => entry.id === dashboard.usecase);
  renderTiles(dashboard, useCase);
  renderChart(dashboard);
  renderChartTable(dashboard);
  renderDrift(dashboard);
  renderTco(dashboard);
  // The gateway may reuse figures of a slow range for a few seconds: say when they were computed.
  element("updated").textContent =
    `Figures as of ${new Date(dashboard.range.until).toLocaleTimeString()} · refreshes every ${refreshEveryMs / 1000} s`;
  if (document.body.dataset.ready !== "true") {
    document.body.dataset.ready = "true";
    // On the performance timeline so that benches (and anyone in devtools) can read time-to-data.
    performance.mark("slmkit:ready");
  }
}

/** @param {Dashboard} dashboard */
function renderPicker(dashboard) {
  const ids = dashboard.usecases.map((useCase) => useCase.id).join("\n");
  if ([...useCaseSelect.options].map((option) => option.value).join("\n") !== ids) {
    useCaseSelect.replaceChildren(
      ...dashboard.usecases.map((useCase) =>
        html("option", { value: useCase.id }, [`${useCase.title} (${useCase.id})`]),
      ),
    );
  }
  useCaseSelect.value = dashboard.usecase;
  rememberUseCase(dashboard.usecase);
}

/**
 * @param {string} name
 * @param {string} value
 * @param {string} [note]
 * @param {string} [tone] "good", "bad" or "" for the value's colour
 */
function setTile(name, value, note = "", tone = "") {
  const tile = document.querySelector(`[data-tile="${name}"]`);
  if (tile === null) return;
  const children = [html("span", { class: `value ${tone}`.trim() }, [value])];
  if (note !== "") children.push(html("span", { class: "note" }, [note]));
  tile.replaceChildren(...children);
}

/**
 * @param {Dashboard} dashboard
 * @param {UseCase | undefined} useCase
 */
function renderTiles(dashboard, useCase) {
  const { totals } = dashboard.summary;
  const { shares, accuracy, money } = dashboard.derived;
  const counted = (/** @type {number} */ count) => `${formatCount(count)} requests`;
  setTile("requests", formatCount(totals.requests), `in the ${rangeName(dashboard.range.hours)}`);
  setTile(
    "local",
    formatPercent(shares?.local),
    `${formatCount(totals.answeredBy.slm)} small model + ${formatCount(totals.answeredBy.cache)} cache`,
  );
  setTile("llm", formatPercent(shares?.llm), counted(totals.answeredBy.llm));
  setTile("review", formatPercent(shares?.review), counted(totals.answeredBy.review));
  const target = useCase?.targetAccuracy;
  setTile(
    "accuracy",
    formatPercent(accuracy.all),
    accuracy.n === 0
      ? "no feedback in this range"
      : `on ${formatCount(accuracy.n)} feedback${target === undefined ? "" : ` · target ${formatPercent(target, 0)}`}`,
    accuracy.all === null || target === undefined ? "" : accuracy.all >= target ? "good" : "bad",
  );
  setTile(
    "latency",
    totals.latencyMs === null
      ? "–"
      : `${formatMs(totals.latencyMs.p50, false)} / ${formatMs(totals.latencyMs.p95)}`,
    totals.latencyMs === null ? "" : `p99 ${formatMs(totals.latencyMs.p99)}`,
  );
  setTile(
    "spend",
    formatUsd(money.actualUsd),
    `${formatCount(totals.llmCalls)} LLM calls · ${formatCount(totals.inputTokens + totals.outputTokens)} tokens`,
  );
  setTile(
    "saved",
    formatUsd(money.savedUsd),
    money.llmOnlyEstimateUsd === null
      ? "no LLM calls to price an LLM-only setup"
      : `LLM-only ≈ ${formatUsd(money.llmOnlyEstimateUsd)} at ${formatUsd(money.meanLlmCallUsd)} a call`,
    money.savedUsd !== null && money.savedUsd > 0 ? "good" : "",
  );
  const drift = dashboard.drift;
  if (!drift.configured) setTile("drift", "not configured");
  else if (drift.error !== null) setTile("drift", "failed", drift.error, "bad");
  else if (drift.report === null) setTile("drift", "no report yet");
  else
    setTile(
      "drift",
      drift.report.status,
      `${drift.report.checks.filter((check) => check.status === "alert").length} of ${drift.report.checks.length} checks alert`,
      drift.report.status === "drift" ? "bad" : drift.report.status === "ok" ? "good" : "",
    );
  setTile("model", useCase?.modelVersion ?? "–", useCase ? `threshold ${useCase.threshold.toFixed(3)}` : "");
  setTile(
    "open-review",
    `${formatCount(dashboard.review.open)}${dashboard.review.capped ? "+" : ""}`,
    dashboard.review.open === 0 ? "queue is empty" : "waiting for a person",
  );
}

/** @param {number} hours */
function rangeName(hours) {
  const option = [...hoursSelect.options].find((entry) => Number(entry.value) === hours);
  return option ? option.text : `last ${hours} hours`;
}

const svgNamespace = "http://www.w3.org/2000/svg";

/**
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @param {(Node | string)[]} [children]
 * @returns {SVGElement}
 */
function svg(tag, attributes = {}, children = []) {
  const node = /** @type {SVGElement} */ (document.createElementNS(svgNamespace, tag));
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

/**
 * The smallest "round" number (1, 2, 2.5 or 5 times a power of ten) at or above `value`.
 * @param {number} value
 */
function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** @param {number} value a quarter of a round maximum: whole, or a half (2.5) */
function tickCount(value) {
  return Number.isInteger(value) ? formatCount(value) : value.toFixed(1);
}

/**
 * @param {number} start
 * @param {number} bucketMs
 */
function tickLabel(start, bucketMs) {
  const date = new Date(start);
  if (bucketMs >= 24 * 3_600_000)
    return date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  const time = date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return bucketMs >= 3_600_000 && date.getHours() === 0
    ? date.toLocaleDateString(undefined, { month: "short", day: "numeric" })
    : time;
}

/**
 * Requests per bucket stacked by who answered, with the p95 latency as a line on its own axis.
 * @param {Dashboard} dashboard
 */
function renderChart(dashboard) {
  const { since, until, bucketMs } = dashboard.range;
  const buckets = dashboard.summary.buckets;
  const slots = Math.max(1, Math.ceil((until - since) / bucketMs));
  const width = 760;
  const height = 240;
  const left = 48;
  const right = 60;
  const top = 12;
  const bottom = 28;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const baseline = top + plotHeight;
  const slotWidth = plotWidth / slots;
  const barWidth = Math.max(1, slotWidth * 0.8);
  const maxRequests = niceCeiling(Math.max(0, ...buckets.map((bucket) => bucket.requests)));
  const latencies = buckets.flatMap((bucket) => (bucket.latencyMs ? [bucket.latencyMs.p95] : []));
  const maxLatency = niceCeiling(Math.max(0, ...latencies));
  const busiest = buckets.reduce(
    (best, bucket) => (best === null || bucket.requests > best.requests ? bucket : best),
    /** @type {Bucket | null} */ (null),
  );
  const widthName =
    bucketMs >= 86_400_000 ? "day" : bucketMs >= 3_600_000 ? "hour" : `${bucketMs / 60_000} minutes`;
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "chart-svg",
    role: "img",
    "aria-labelledby": "chart-title chart-description",
  });
  root.append(
    svg("title", { id: "chart-title" }, [`Requests per ${widthName} by who answered, with p95 latency`]),
    svg("desc", { id: "chart-description" }, [
      busiest === null
        ? "No requests in this range."
        : `${formatCount(dashboard.summary.totals.requests)} requests; the busiest ${widthName} (${formatTime(busiest.start)}) had ${formatCount(busiest.requests)}.`,
    ]),
  );
  for (let step = 0; step <= 4; step++) {
    const y = baseline - (plotHeight * step) / 4;
    root.append(
      svg("line", { x1: left, x2: left + plotWidth, y1: y, y2: y, class: step === 0 ? "axis" : "grid" }),
      svg("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, [tickCount((maxRequests * step) / 4)]),
    );
    if (latencies.length > 0)
      root.append(
        svg("text", { x: left + plotWidth + 6, y: y + 4, class: "latency-label" }, [
          formatMs(maxLatency >= 10 ? Math.round((maxLatency * step) / 4) : (maxLatency * step) / 4),
        ]),
      );
  }
  const labelEvery = Math.max(1, Math.ceil(slots / 6));
  for (let slot = 0; slot < slots; slot += labelEvery) {
    root.append(
      svg("text", { x: left + (slot + 0.5) * slotWidth, y: height - 8, "text-anchor": "middle" }, [
        tickLabel(since + slot * bucketMs, bucketMs),
      ]),
    );
  }
  /** @type {string[]} */
  const path = [];
  let previousSlot = -2;
  for (const bucket of buckets) {
    const slot = Math.floor((bucket.start - since) / bucketMs);
    if (slot < 0 || slot >= slots) continue;
    const x = left + slot * slotWidth + (slotWidth - barWidth) / 2;
    let y = baseline;
    const group = svg("g", { class: "bar" }, [
      svg("title", {}, [
        `${formatTime(bucket.start)}: ${formatCount(bucket.requests)} requests (${series
          .map((name) => `${answeredByNames[name]} ${formatCount(bucket.answeredBy[name])}`)
          .join(", ")})${bucket.latencyMs ? `, p95 ${formatMs(bucket.latencyMs.p95)}` : ""}`,
      ]),
    ]);
    for (const name of series) {
      const barHeight = (bucket.answeredBy[name] / maxRequests) * plotHeight;
      if (barHeight <= 0) continue;
      y -= barHeight;
      group.append(
        svg("rect", {
          x: x.toFixed(2),
          y: y.toFixed(2),
          width: barWidth.toFixed(2),
          height: barHeight.toFixed(2),
          class: `series-${name}`,
        }),
      );
    }
    root.append(group);
    if (bucket.latencyMs) {
      const pointX = (left + (slot + 0.5) * slotWidth).toFixed(2);
      const pointY = (baseline - (bucket.latencyMs.p95 / maxLatency) * plotHeight).toFixed(2);
      // A bucket without rows breaks the line rather than drawing a slope across the gap.
      path.push(`${slot === previousSlot + 1 ? "L" : "M"}${pointX} ${pointY}`);
      previousSlot = slot;
    }
  }
  if (path.length > 1) root.append(svg("path", { d: path.join(" "), class: "line-latency" }));
  if (path.length === 1) {
    const [x, y] = (path[0] ?? "").slice(1).split(" ");
    root.append(svg("circle", { cx: x ?? 0, cy: y ?? 0, r: 3, class: "point-latency" }));
  }
  if (buckets.length === 0)
    root.append(
      svg(
        "text",
        { x: left + plotWidth / 2, y: top + plotHeight / 2, "text-anchor": "middle", class: "empty" },
        ["No requests in this range."],
      ),
    );
  element("chart").replaceChildren(root);
}

/** @param {Dashboard} dashboard */
function renderChartTable(dashboard) {
  const header = html(
    "tr",
    {},
    ["Bucket start", "Requests", "Small model", "Cache", "LLM", "Review", "p50", "p95", "LLM cost"].map(
      (name) => html("th", { scope: "col" }, [name]),
    ),
  );
  const rows = dashboard.summary.buckets.map((bucket) =>
    html("tr", {}, [
      html("th", { scope: "row" }, [formatTime(bucket.start)]),
      ...[
        formatCount(bucket.requests),
        ...series.map((name) => formatCount(bucket.answeredBy[name])),
        formatMs(bucket.latencyMs?.p50),
        formatMs(bucket.latencyMs?.p95),
        formatUsd(bucket.costUsd),
      ].map((cell) => html("td", {}, [cell])),
    ]),
  );
  element("chart-table").replaceChildren(html("thead", {}, [header]), html("tbody", {}, rows));
}

/** @param {number | null} value */
function figure(value) {
  if (value === null) return "–";
  return Number.isInteger(value) ? formatCount(value) : value.toFixed(3);
}

/** @param {Dashboard} dashboard */
function renderDrift(dashboard) {
  const summary = element("drift-summary");
  const table = element("drift-table");
  const drift = dashboard.drift;
  table.replaceChildren();
  if (!drift.configured) {
    summary.textContent = "Drift monitoring is not configured for this gateway.";
    return;
  }
  if (drift.error !== null) {
    summary.textContent = `The drift report failed: ${drift.error}`;
    return;
  }
  const report = drift.report;
  if (report === null) {
    summary.textContent = "No drift report yet: it appears once the monitor has run.";
    return;
  }
  const window =
    report.window.from === null || report.window.to === null
      ? `${formatCount(report.window.n)} requests`
      : `${formatCount(report.window.n)} requests from ${formatTime(report.window.from)} to ${formatTime(report.window.to)}`;
  summary.replaceChildren(
    html("span", { class: `badge status-${report.status}` }, [report.status]),
    ` Window: ${window}; reference: ${report.reference.source} (${formatCount(report.reference.n)} items). Computed ${formatTime(report.computedAt)}.`,
  );
  table.replaceChildren(
    html("thead", {}, [
      html(
        "tr",
        {},
        ["Check", "Value", "Reference", "Alerts when", "Status", "Detail"].map((name) =>
          html("th", { scope: "col" }, [name]),
        ),
      ),
    ]),
    html(
      "tbody",
      {},
      report.checks.map((check) =>
        html("tr", { "data-check": check.name }, [
          html("th", { scope: "row" }, [check.metric]),
          html("td", {}, [figure(check.value)]),
          html("td", {}, [figure(check.reference)]),
          html("td", {}, [`${check.direction} ${figure(check.threshold)}`]),
          html("td", {}, [html("span", { class: `badge status-${check.status}` }, [check.status])]),
          html("td", {}, [check.detail]),
        ]),
      ),
    ),
  );
}

/** The three ways of serving, in the order the cost table, the chart's legend and its description list them. */
const costWays = /** @type {const} */ ([
  ["llmOnly", "LLM only"],
  ["slmOnly", "Small model only"],
  ["hybrid", "Hybrid"],
]);
/** The chart draws small-model-only last: its dashed line stays visible where it runs along hybrid's. */
const costDrawingOrder = /** @type {const} */ (["llmOnly", "hybrid", "slmOnly"]);

/** @param {Dashboard} dashboard */
function renderTco(dashboard) {
  const box = element("tco");
  const tco = dashboard.tco;
  if (!tco.configured) {
    box.replaceChildren(
      html("p", { class: "muted" }, ["Cost of ownership is not configured for this gateway."]),
    );
    return;
  }
  if (tco.error !== null) {
    box.replaceChildren(html("p", { class: "error" }, [`The cost report failed: ${tco.error}`]));
    return;
  }
  const report = tco.report;
  if (report === null) {
    box.replaceChildren(html("p", { class: "muted" }, ["No cost report for this use case yet."]));
    return;
  }
  const cheapest = Math.min(...costWays.map(([key]) => report.perThousand[key]));
  // Fields beyond the first version of the report are read defensively: an older cost module leaves them out.
  const month = report.atCurrentVolume ?? null;
  const monthlyCheapest = month === null ? null : Math.min(...costWays.map(([key]) => month[key]));
  const table = html("table", { id: "tco-table" }, [
    html("caption", {}, ["What each way of serving costs"]),
    html("thead", {}, [
      html("tr", {}, [
        html("th", { scope: "col" }, ["Way"]),
        html("th", { scope: "col" }, ["per 1,000 requests"]),
        ...(month === null
          ? []
          : [html("th", { scope: "col" }, [`a month at ${formatCount(month.requestsPerMonth)} requests`])]),
      ]),
    ]),
    html("tbody", {}, [
      ...costWays.map(([key, name]) =>
        html("tr", { "data-way": key }, [
          html("th", { scope: "row" }, [name]),
          html("td", { class: report.perThousand[key] === cheapest ? "good" : "" }, [
            formatUsd(report.perThousand[key]),
          ]),
          ...(month === null
            ? []
            : [html("td", { class: month[key] === monthlyCheapest ? "good" : "" }, [formatUsd(month[key])])]),
        ]),
      ),
    ]),
  ]);
  const slmBreakEven = report.breakEvenSlmOnlyRequestsPerMonth;
  const notes = [
    `Fixed monthly cost of hybrid and small-model-only: ${formatUsd(report.monthlyFixedUsd)}.`,
    ...(slmBreakEven === undefined
      ? []
      : [
          slmBreakEven === null
            ? "Small-model-only is never cheaper than LLM-only."
            : `Small-model-only is cheaper than LLM-only above ${formatCount(slmBreakEven)} requests a month.`,
        ]),
    ...(report.costTarget ? [costTargetNote(report.costTarget, costWays)] : []),
    ...(report.notes ?? []),
  ];
  // The panel is rebuilt on every refresh: a section the reader opened stays open.
  const wasOpen = (/** @type {string} */ id) => document.getElementById(id)?.hasAttribute("open") ?? false;
  const inputsOpen = wasOpen("tco-inputs");
  const formulasOpen = wasOpen("tco-formulas");
  box.replaceChildren(
    table,
    html("p", { id: "tco-break-even" }, [breakEvenSentence(report)]),
    renderTcoChart(report),
    renderTcoInputs(report, inputsOpen),
    html("details", { id: "tco-formulas", ...(formulasOpen ? { open: "" } : {}) }, [
      html("summary", {}, [`Formulas (${report.formulas.length})`]),
      html(
        "ul",
        { class: "formulas" },
        report.formulas.map((formula) => html("li", {}, [html("code", {}, [formula])])),
      ),
    ]),
    html(
      "ul",
      { class: "notes muted" },
      notes.map((note) => html("li", {}, [note])),
    ),
  );
}

/** @param {TcoReport} report */
function breakEvenSentence(report) {
  return report.breakEvenRequestsPerMonth === null
    ? "Hybrid is never cheaper than LLM-only at these prices."
    : `Hybrid is cheaper than LLM-only above ${formatCount(report.breakEvenRequestsPerMonth)} requests a month.`;
}

/**
 * A volume in short form for an axis: "10K", "2.5M", "100M".
 * @param {number} volume
 */
function shortVolume(volume) {
  for (const [size, suffix] of /** @type {const} */ ([
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "K"],
  ]))
    if (volume >= size) return `${Number((volume / size).toPrecision(3))}${suffix}`;
  return String(Number(volume.toPrecision(3)));
}

/**
 * Dollars in short form for an axis: "$0.01", "$1", "$100", "$10K".
 * @param {number} usd
 */
function shortUsd(usd) {
  return usd >= 1000 ? `$${shortVolume(usd)}` : `$${Number(usd.toPrecision(3))}`;
}

/**
 * The powers of ten that enclose [lowest, highest], as exponents; at least one decade wide.
 * @param {number} lowest > 0
 * @param {number} highest ≥ lowest
 */
function decades(lowest, highest) {
  const low = Math.floor(Math.log10(lowest));
  return { low, high: Math.max(low + 1, Math.ceil(Math.log10(highest))) };
}

/** @param {number} value a coordinate, to two decimals to keep the attributes short */
function coordinate(value) {
  return Math.round(value * 100) / 100;
}

/**
 * Monthly cost of each way against monthly volume. Both axes are logarithmic: volumes and costs each span
 * decades, and a straight line of slope 1 then means "cost grows with volume". The break-even and today's
 * volume are marked. A cost of $0 sits on the bottom axis, since a log scale has no zero.
 * @param {TcoReport} report
 * @returns {HTMLElement}
 */
function renderTcoChart(report) {
  const points = (report.curve ?? []).filter((point) => point.requestsPerMonth > 0);
  if (points.length < 2)
    return html("p", { id: "tco-chart", class: "muted" }, ["The report has no volumes to chart."]);
  const width = 560;
  const height = 300;
  const left = 50;
  // Wide enough on the right for half of the last tick's label ("100M").
  const right = 24;
  const top = 12;
  const bottom = 42;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const baseline = top + plotHeight;
  const volumes = points.map((point) => point.requestsPerMonth);
  const xRange = decades(Math.min(...volumes), Math.max(...volumes));
  const costs = points.flatMap((point) => costWays.map(([key]) => point[key])).filter((cost) => cost > 0);
  const yRange = costs.length === 0 ? { low: 0, high: 1 } : decades(Math.min(...costs), Math.max(...costs));
  const x = (/** @type {number} */ volume) =>
    left + ((Math.log10(volume) - xRange.low) / (xRange.high - xRange.low)) * plotWidth;
  const y = (/** @type {number} */ usd) =>
    baseline -
    ((Math.log10(Math.max(usd, 10 ** yRange.low)) - yRange.low) / (yRange.high - yRange.low)) * plotHeight;
  const inRange = (/** @type {number} */ volume) => volume >= 10 ** xRange.low && volume <= 10 ** xRange.high;

  const breakEven = report.breakEvenRequestsPerMonth;
  // At the break-even hybrid costs what LLM-only does, and LLM-only is linear in volume: no need for the
  // cost model's formulas here.
  const breakEvenUsd = breakEven === null ? null : (breakEven / 1000) * report.perThousand.llmOnly;
  const current = report.atCurrentVolume ?? null;
  const description = [
    `Monthly cost of LLM only, small model only and hybrid against requests per month, both on log scales, from ${shortVolume(Math.min(...volumes))} to ${shortVolume(Math.max(...volumes))} requests a month.`,
    breakEven === null || breakEvenUsd === null
      ? "There is no break-even: hybrid is never cheaper than LLM-only at these prices."
      : `Break-even: hybrid becomes cheaper than LLM-only above ${formatCount(Math.round(breakEven))} requests a month, where both cost ${formatUsd(breakEvenUsd)} a month.`,
    current === null
      ? ""
      : `Today's volume is ${formatCount(Math.round(current.requestsPerMonth))} requests a month: ${costWays.map(([key, name]) => `${name.toLowerCase()} ${formatUsd(current[key])}`).join(", ")} a month.`,
  ]
    .filter((sentence) => sentence !== "")
    .join(" ");
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "chart-svg tco-chart",
    role: "img",
    "aria-label": description,
  });
  root.append(svg("title", {}, ["Monthly cost against requests per month"]));

  // Ticks at every power of ten; labels thinned out when the axis spans many decades.
  const xEvery = Math.ceil((xRange.high - xRange.low) / 8);
  for (let exponent = xRange.low; exponent <= xRange.high; exponent++) {
    const position = coordinate(x(10 ** exponent));
    root.append(
      svg("line", {
        x1: position,
        x2: position,
        y1: top,
        y2: baseline,
        class: "grid x-tick",
        "data-volume": 10 ** exponent,
      }),
    );
    if ((exponent - xRange.low) % xEvery === 0)
      root.append(
        svg("text", { x: position, y: baseline + 15, "text-anchor": "middle", class: "x-label" }, [
          shortVolume(10 ** exponent),
        ]),
      );
  }
  const yEvery = Math.ceil((yRange.high - yRange.low) / 8);
  for (let exponent = yRange.low; exponent <= yRange.high; exponent++) {
    const position = coordinate(y(10 ** exponent));
    root.append(
      svg("line", {
        x1: left,
        x2: left + plotWidth,
        y1: position,
        y2: position,
        class: "grid y-tick",
        "data-usd": 10 ** exponent,
      }),
    );
    if ((exponent - yRange.low) % yEvery === 0)
      root.append(
        svg("text", { x: left - 6, y: position + 4, "text-anchor": "end", class: "y-label" }, [
          shortUsd(10 ** exponent),
        ]),
      );
  }
  root.append(
    svg("line", { x1: left, x2: left + plotWidth, y1: baseline, y2: baseline, class: "axis" }),
    svg("line", { x1: left, x2: left, y1: top, y2: baseline, class: "axis" }),
    svg("text", { x: left + plotWidth / 2, y: height - 6, "text-anchor": "middle" }, [
      "requests per month (log scale)",
    ]),
    svg(
      "text",
      {
        x: 12,
        y: top + plotHeight / 2,
        "text-anchor": "middle",
        transform: `rotate(-90 12 ${top + plotHeight / 2})`,
      },
      ["USD per month (log scale)"],
    ),
  );

  for (const key of costDrawingOrder) {
    const name = costWays.find(([way]) => way === key)?.[1] ?? key;
    const fixed = key === "llmOnly" ? "" : ` plus ${formatUsd(report.monthlyFixedUsd)} a month fixed`;
    const d = points
      .map(
        (point, index) =>
          `${index === 0 ? "M" : "L"}${coordinate(x(point.requestsPerMonth))} ${coordinate(y(point[key]))}`,
      )
      .join(" ");
    root.append(
      svg("path", { d, class: `cost-line cost-${key}`, "data-way": key }, [
        svg("title", {}, [`${name}: ${formatUsd(report.perThousand[key])} per 1,000 requests${fixed}`]),
      ]),
    );
  }

  // Marker labels go on the side away from the other marker (the two are often close), unless that side
  // has no room for them.
  const side = (
    /** @type {number} */ position,
    /** @type {boolean} */ preferLeft,
    /** @type {number} */ room,
  ) => {
    const roomLeft = position - left >= room;
    const roomRight = left + plotWidth - position >= room;
    const goLeft = preferLeft ? roomLeft || !roomRight : !roomRight && roomLeft;
    return goLeft ? { anchor: "end", offset: -6 } : { anchor: "start", offset: 6 };
  };
  const showBreakEven = breakEven !== null && breakEvenUsd !== null && inRange(breakEven);
  const showCurrent = current !== null && current.requestsPerMonth > 0 && inRange(current.requestsPerMonth);
  if (showBreakEven) {
    const position = coordinate(x(breakEven));
    const label = side(position, showCurrent && current.requestsPerMonth > breakEven, 140);
    root.append(
      svg("g", { class: "break-even", "data-requests-per-month": breakEven }, [
        svg("title", {}, [
          `Break-even: ${formatCount(Math.round(breakEven))} requests a month, where hybrid and LLM-only both cost ${formatUsd(breakEvenUsd)} a month`,
        ]),
        svg("line", { x1: position, x2: position, y1: top, y2: baseline, class: "marker" }),
        svg("circle", { cx: position, cy: coordinate(y(breakEvenUsd)), r: 4.5, class: "break-even-dot" }),
        svg(
          "text",
          { x: position + label.offset, y: top + 12, "text-anchor": label.anchor, class: "marker-label" },
          [`break-even ${shortVolume(breakEven)}/month`],
        ),
      ]),
    );
  }
  if (showCurrent) {
    const volume = current.requestsPerMonth;
    const position = coordinate(x(volume));
    const label = side(position, showBreakEven && breakEven > volume, 100);
    root.append(
      svg("g", { class: "current-volume", "data-requests-per-month": volume }, [
        svg("title", {}, [
          `Today: ${formatCount(Math.round(volume))} requests a month; ${costWays.map(([key, name]) => `${name} ${formatUsd(current[key])}`).join(", ")} a month`,
        ]),
        svg("line", { x1: position, x2: position, y1: top, y2: baseline, class: "now" }),
        ...costWays.map(([key]) =>
          svg("circle", {
            cx: position,
            cy: coordinate(y(current[key])),
            r: 3,
            class: `now-dot cost-${key}`,
          }),
        ),
        svg(
          "text",
          { x: position + label.offset, y: top + 27, "text-anchor": label.anchor, class: "marker-label" },
          [`today ${shortVolume(volume)}/month`],
        ),
      ]),
    );
  }
  return html("figure", { id: "tco-chart", class: "chart" }, [
    root,
    html(
      "figcaption",
      { class: "legend" },
      costWays.flatMap(([key, name]) => [html("span", { class: `legend-line cost-${key}` }), name]),
    ),
  ]);
}

/**
 * A figure as an input table shows it: whole numbers grouped, fractions to four significant digits.
 * @param {number} value
 */
function inputFigure(value) {
  return Number.isInteger(value)
    ? formatCount(value)
    : value.toLocaleString(undefined, { maximumSignificantDigits: 4 });
}

/**
 * A camelCase name with line-break opportunities between its words, so a narrow column wraps
 * "machineUsdPerHour" as "machineUsd/PerHour" rather than in the middle of a word.
 * @param {string} name
 * @returns {(Node | string)[]}
 */
function breakableName(name) {
  return name.split(/(?=[A-Z])/).flatMap((word, index) => (index === 0 ? [word] : [html("wbr"), word]));
}

/**
 * Every input of the report with where it came from, collapsed: the summary counts each kind of source, so
 * a reader sees at a glance how much of the figure is measured.
 * @param {TcoReport} report
 * @param {boolean} open
 */
function renderTcoInputs(report, open) {
  const entries = Object.entries(report.inputs);
  /** @type {Record<string, number>} */
  const bySource = {};
  for (const [, input] of entries) bySource[input.source] = (bySource[input.source] ?? 0) + 1;
  const counted = ["measured", "configured", "assumed"]
    .filter((source) => bySource[source] !== undefined)
    .map((source) => `${bySource[source]} ${source}`);
  return html("details", { id: "tco-inputs", ...(open ? { open: "" } : {}) }, [
    html("summary", {}, [`Inputs (${counted.join(", ") || "none"})`]),
    html("div", { class: "scroll" }, [
      html("table", { class: "compact" }, [
        html("thead", {}, [
          html(
            "tr",
            {},
            ["Input", "Value", "Source", "Note"].map((name) => html("th", { scope: "col" }, [name])),
          ),
        ]),
        html(
          "tbody",
          {},
          entries.map(([name, input]) =>
            html("tr", { "data-input": name }, [
              html("th", { scope: "row" }, breakableName(name)),
              html("td", { class: "figure" }, [
                inputFigure(input.value),
                " ",
                html("span", { class: "muted" }, [input.unit]),
              ]),
              html("td", {}, [
                html("span", { class: `badge source source-${input.source}`, "data-field": "source" }, [
                  input.source,
                ]),
              ]),
              html("td", {}, [input.note]),
            ]),
          ),
        ),
      ]),
    ]),
  ]);
}

/**
 * @param {{ perThousandUsd: number, met: Record<CostWay, boolean> }} target
 * @param {readonly (readonly [CostWay, string])[]} ways
 */
function costTargetNote(target, ways) {
  const meeting = ways.filter(([key]) => target.met[key]).map(([, name]) => name.toLowerCase());
  const price = `${formatUsd(target.perThousandUsd)} per 1,000 requests`;
  return meeting.length === 0
    ? `No way meets the use case's target of ${price}.`
    : `The use case's target of ${price} is met by ${meeting.join(" and ")}.`;
}

async function tryText() {
  const input = /** @type {HTMLTextAreaElement} */ (element("try-text"));
  const output = element("try-result");
  const button = /** @type {HTMLButtonElement} */ (element("try-form").querySelector("button"));
  const text = input.value.trim();
  const useCase = current?.usecase ?? useCaseSelect.value;
  if (text === "" || !useCase) return;
  button.disabled = true;
  output.replaceChildren(html("p", { class: "muted" }, ["Sending…"]));
  try {
    const body = await api(`/v1/usecases/${encodeURIComponent(useCase)}/predict`, {
      method: "POST",
      body: { texts: [text] },
    });
    const prediction = body.predictions[0];
    /** @type {AnsweredBy} */
    const answeredBy = prediction.answered_by;
    // The routing decision rests on the small model's confidence, whoever answered in the end.
    /** @type {{ label: string, confidence: number }} */
    const slm = prediction.slm;
    const threshold = Number(prediction.threshold);
    /** @type {[string, (Node | string)[]][]} */
    const rows = [
      [
        "Label",
        [html("strong", { "data-field": "label" }, [prediction.label ?? prediction.answer ?? "(none)"])],
      ],
      [
        "Answered by",
        [html("span", { "data-field": "answered-by" }, [answeredByNames[answeredBy] ?? answeredBy])],
      ],
      ["Why", [html("span", { "data-field": "reason" }, [prediction.reason])]],
      [
        "Small model",
        [
          html("meter", {
            min: "0",
            max: "1",
            low: String(threshold),
            optimum: "1",
            value: String(slm.confidence),
            "aria-label": "the small model's confidence",
          }),
          ` ${slm.label} at ${slm.confidence.toFixed(3)} ${slm.confidence >= threshold ? "≥" : "<"} threshold ${threshold.toFixed(3)}`,
        ],
      ],
    ];
    /** @type {{ label: string | null, model: string } | null} */
    const llm = prediction.llm;
    if (llm !== null)
      rows.push([
        "LLM",
        [
          `${llm.label ?? "no label of the set"} (${llm.model})${
            answeredBy === "llm" && typeof prediction.confidence === "number"
              ? `, confidence ${prediction.confidence.toFixed(3)}`
              : ""
          }`,
        ],
      ]);
    rows.push(
      ["Latency", [formatMs(prediction.latency_ms)]],
      ["Cost", [formatUsd(prediction.cost_usd)]],
      ["Request id", [html("code", {}, [prediction.request_id])]],
    );
    if (prediction.review_id) rows.push(["Review", ["queued for a person (see the review queue)"]]);
    output.replaceChildren(
      html(
        "dl",
        { class: "result" },
        rows.flatMap(([name, value]) => [html("dt", {}, [name]), html("dd", {}, value)]),
      ),
    );
    void refresh();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) gate.reject(error.message);
    else
      output.replaceChildren(
        html("p", { class: "error", role: "alert" }, [
          `The request failed: ${error instanceof Error ? error.message : error}`,
        ]),
      );
  } finally {
    button.disabled = false;
  }
}
