// @ts-check
// Shared by the dashboard and the review page: the API key gate, keyed requests, and number formats.

const keyStorageName = "slmkit.apiKey";
const useCaseStorageName = "slmkit.usecase";

/** An error answer of the gateway (OpenAI's error shape), or status 0 when the gateway could not be reached. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** @returns {string | null} */
export function readKey() {
  try {
    return sessionStorage.getItem(keyStorageName);
  } catch {
    return null;
  }
}

/** @param {string} key */
function saveKey(key) {
  sessionStorage.setItem(keyStorageName, key);
}

function forgetKey() {
  sessionStorage.removeItem(keyStorageName);
}

/**
 * The use case to open on: the `usecase` query parameter, else the last one picked in this tab.
 * @returns {string | null}
 */
export function preferredUseCase() {
  const fromUrl = new URL(location.href).searchParams.get("usecase");
  if (fromUrl) return fromUrl;
  try {
    return sessionStorage.getItem(useCaseStorageName);
  } catch {
    return null;
  }
}

/**
 * Remembers the picked use case in the tab and the address bar, so a reload or the other page opens on it.
 * @param {string} id
 */
export function rememberUseCase(id) {
  sessionStorage.setItem(useCaseStorageName, id);
  const url = new URL(location.href);
  url.searchParams.set("usecase", id);
  history.replaceState(null, "", url);
  for (const link of document.querySelectorAll("a[data-keeps-usecase]")) {
    if (!(link instanceof HTMLAnchorElement)) continue;
    const target = new URL(link.href);
    target.searchParams.set("usecase", id);
    link.href = `${target.pathname}${target.search}`;
  }
}

/**
 * A request to the gateway with the stored key. Resolves with the parsed JSON body; rejects with an ApiError.
 * @param {string} path
 * @param {{ method?: string, body?: unknown }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json" };
  const key = readKey();
  if (key) headers.authorization = `Bearer ${key}`;
  /** @type {RequestInit} */
  const init = { method: options.method ?? "GET", headers, cache: "no-store" };
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(
      0,
      "unreachable",
      `Cannot reach the gateway (${error instanceof Error ? error.message : String(error)}). Is it running?`,
    );
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = body && typeof body === "object" ? body.error : undefined;
    throw new ApiError(
      response.status,
      typeof error?.code === "string" ? error.code : `http_${response.status}`,
      typeof error?.message === "string" ? error.message : `The gateway answered HTTP ${response.status}.`,
    );
  }
  return body;
}

/**
 * Wires the key form shared by both pages. `onKey` runs once a key is stored (at once when the tab already
 * holds one); `reject` shows the form again with the gateway's reason, for a key it refused.
 * @param {{ onKey: () => void }} handlers
 * @returns {{ reject: (message: string) => void }}
 */
export function setUpKeyGate(handlers) {
  const section = element("key-section");
  const form = /** @type {HTMLFormElement} */ (element("key-form"));
  const input = /** @type {HTMLInputElement} */ (element("key-input"));
  const error = element("key-error");
  const content = element("content");
  const change = element("change-key");

  const ask = () => {
    section.hidden = false;
    content.hidden = true;
    change.hidden = true;
    input.focus();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key === "") return;
    saveKey(key);
    input.value = "";
    error.textContent = "";
    section.hidden = true;
    content.hidden = false;
    change.hidden = false;
    handlers.onKey();
  });
  change.addEventListener("click", () => {
    forgetKey();
    error.textContent = "";
    ask();
  });
  if (readKey()) {
    section.hidden = true;
    content.hidden = false;
    change.hidden = false;
    handlers.onKey();
  } else ask();
  return {
    reject(message) {
      forgetKey();
      error.textContent = `The gateway refused this API key: ${message}`;
      ask();
    },
  };
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function element(id) {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found;
}

/**
 * Creates an element with attributes and children; strings become text, never markup.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string>} [attributes]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function html(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** @param {number} value */
export function formatCount(value) {
  return integer.format(value);
}

/**
 * @param {number | null | undefined} share in [0, 1]
 * @param {number} [digits]
 */
export function formatPercent(share, digits = 1) {
  if (share === null || share === undefined) return "–";
  return `${(share * 100).toFixed(digits)}%`;
}

/** @param {number | null | undefined} usd */
export function formatUsd(usd) {
  if (usd === null || usd === undefined) return "–";
  const size = Math.abs(usd);
  // Fractions of a cent (one LLM call) keep two significant digits instead of rounding to $0.0000.
  if (size > 0 && size < 0.001) return `$${usd.toLocaleString(undefined, { maximumSignificantDigits: 2 })}`;
  const digits = size >= 100 ? 0 : size >= 1 ? 2 : 4;
  return `$${usd.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/**
 * @param {number | null | undefined} ms
 * @param {boolean} [unit] false leaves out " ms", e.g. for the first of two figures
 */
export function formatMs(ms, unit = true) {
  if (ms === null || ms === undefined) return "–";
  const figure = ms >= 100 || Number.isInteger(ms) ? formatCount(ms) : ms.toFixed(1);
  return unit ? `${figure} ms` : figure;
}

/** @param {number} ms epoch */
export function formatTime(ms) {
  return new Date(ms).toLocaleString(undefined, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}
