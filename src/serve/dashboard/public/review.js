// @ts-check
// The review page: the open queue of one use case, one item at a time, resolved with the mouse or the keyboard.

import {
  ApiError,
  api,
  element,
  formatCount,
  formatTime,
  html,
  preferredUseCase,
  rememberUseCase,
  setUpKeyGate,
} from "./api.js";

/** @typedef {import("../../../store/types.js").ReviewItem} ReviewItem */
/** @typedef {import("../routes.js").DashboardUseCase} UseCase */

/** The most items the page holds at once (GET /v1/review's own limit); past it the count reads "1,000+". */
const queueLimit = 1000;
const emptyQueuePollMs = 10_000;
const notKept =
  "The text of this request is not kept (the use case's privacy settings): decide from the small model's and the LLM's answers below.";

const useCaseSelect = /** @type {HTMLSelectElement} */ (element("usecase"));
const labelInput = /** @type {HTMLInputElement} */ (element("label-input"));
const submitButton = /** @type {HTMLButtonElement} */ (element("submit"));
const message = element("resolve-message");
const errorBox = element("error");

/** @type {UseCase[]} */
let useCases = [];
/** @type {ReviewItem[]} */
let items = [];
let position = 0;
let capped = false;
let submitting = false;
let started = false;

const gate = setUpKeyGate({ onKey: () => void start() });

async function start() {
  try {
    const list = await api("/v1/dashboard/usecases");
    useCases = list.data;
    useCaseSelect.replaceChildren(
      ...useCases.map((useCase) =>
        html("option", { value: useCase.id }, [`${useCase.title} (${useCase.id})`]),
      ),
    );
    const preferred = preferredUseCase();
    const first = useCases.find((useCase) => useCase.id === preferred) ?? useCases[0];
    if (first === undefined) {
      errorBox.textContent = "The gateway serves no use case.";
      return;
    }
    useCaseSelect.value = first.id;
    rememberUseCase(first.id);
    await loadQueue();
    document.body.dataset.ready = "true";
    performance.mark("slmkit:ready");
    if (!started) {
      started = true;
      setInterval(() => {
        if (items.length === 0 && !document.hidden && !submitting) void loadQueue();
      }, emptyQueuePollMs);
    }
  } catch (error) {
    fail(error);
  }
}

/** Reads the open queue again, staying on the item shown when it is still open. */
async function loadQueue() {
  const useCaseId = useCaseSelect.value;
  const shownId = items[position]?.id;
  const parameters = new URLSearchParams({ usecase: useCaseId, status: "open", limit: String(queueLimit) });
  try {
    const body = await api(`/v1/review?${parameters}`);
    if (useCaseSelect.value !== useCaseId) return;
    items = body.data;
    capped = items.length >= queueLimit;
    const kept = items.findIndex((item) => item.id === shownId);
    position = Math.max(kept, 0);
    const labels = useCases.find((useCase) => useCase.id === useCaseId)?.labels ?? [];
    element("label-options").replaceChildren(...labels.map((label) => html("option", { value: label })));
    errorBox.textContent = "";
    show();
  } catch (error) {
    fail(error);
  }
}

/** @param {unknown} error */
function fail(error) {
  // 403: a valid key whose role cannot review (a client key): ask for another one.
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) gate.reject(error.message);
  else errorBox.textContent = `The review queue failed: ${error instanceof Error ? error.message : error}`;
}

/** @returns {ReviewItem | undefined} */
function shown() {
  return items[position];
}

function show() {
  element("remaining").textContent = `${formatCount(items.length)}${capped ? "+" : ""}`;
  const item = shown();
  element("item").hidden = item === undefined;
  element("empty").hidden = item !== undefined;
  if (item === undefined) return;
  element("item-heading").textContent = `Item ${position + 1} of ${formatCount(items.length)}`;
  // The use case's privacy settings may keep no text for review (storeText and redactPii both off).
  const text = element("item-text");
  text.textContent = item.inputText ?? notKept;
  text.classList.toggle("not-kept", item.inputText === null);
  element("item-slm").replaceChildren(
    ...(item.slmLabel === null
      ? ["no guess"]
      : [
          html("strong", {}, [item.slmLabel]),
          item.slmConfidence === null ? "" : ` (confidence ${item.slmConfidence.toFixed(3)})`,
        ]),
  );
  element("item-llm").replaceChildren(
    item.llmLabel === null ? "no label from the LLM" : html("strong", {}, [item.llmLabel]),
  );
  element("item-reason").textContent = item.reason;
  element("item-created").textContent = formatTime(item.createdAt);
  /** @type {HTMLButtonElement} */ (element("take-slm")).disabled = item.slmLabel === null;
  /** @type {HTMLButtonElement} */ (element("take-llm")).disabled = item.llmLabel === null;
  /** @type {HTMLButtonElement} */ (element("previous")).disabled = position === 0;
  /** @type {HTMLButtonElement} */ (element("next")).disabled = position >= items.length - 1;
  if (labelInput.dataset.item !== item.id) {
    // An extraction is corrected, not picked: start from the small model's fields (a JSON object) to edit.
    labelInput.value = isExtract() ? (item.slmLabel ?? "") : "";
    labelInput.dataset.item = item.id;
  }
}

/** Whether the selected use case extracts fields: its review answers are JSON objects, not labels. */
function isExtract() {
  return useCases.find((useCase) => useCase.id === useCaseSelect.value)?.task === "extract";
}

/** @param {"slm" | "llm"} source */
function take(source) {
  const item = shown();
  const label = source === "slm" ? item?.slmLabel : item?.llmLabel;
  if (label === null || label === undefined) return;
  labelInput.value = label;
  message.textContent = `“${label}” chosen: Enter submits it.`;
}

/**
 * The use case's label the typed text names (ignoring case and spaces around it); undefined when none does.
 * @param {string} typed
 */
function labelOf(typed) {
  // The server checks an extraction's JSON against the use case's fields and says what is wrong.
  if (isExtract()) return typed.trim() || undefined;
  const labels = useCases.find((useCase) => useCase.id === useCaseSelect.value)?.labels ?? [];
  const wanted = typed.trim().toLowerCase();
  if (labels.length === 0) return typed.trim() || undefined;
  return labels.find((label) => label.toLowerCase() === wanted);
}

/** A typed label outside the set, waiting for a second Enter: how a reviewer names a new intent. */
let pendingNewLabel = "";

async function submit() {
  const item = shown();
  if (item === undefined || submitting) return;
  const typed = labelInput.value.trim();
  let label = labelOf(labelInput.value);
  if (label === undefined && typed !== "" && typed === pendingNewLabel) label = typed;
  if (label === undefined) {
    pendingNewLabel = typed;
    message.textContent =
      typed === ""
        ? "Choose a label first: 1, 2, or type one after /."
        : `“${typed}” is not one of this use case's labels; pick one from the suggestions, or press Enter again to record it as a new label (add it to usecase.yaml's labels before \`slmkit retrain\` so the model learns it).`;
    labelInput.focus();
    return;
  }
  pendingNewLabel = "";
  submitting = true;
  submitButton.disabled = true;
  try {
    await api(`/v1/review/${encodeURIComponent(item.id)}`, { method: "POST", body: { label } });
    remove(item.id);
    message.textContent = `Resolved as “${label}”. ${items.length === 0 ? "The queue is empty." : "Next item shown."}`;
  } catch (error) {
    if (error instanceof ApiError && error.code === "review_not_found") {
      remove(item.id);
      message.textContent = "Someone else resolved that item already; it is off the queue.";
    } else if (error instanceof ApiError && (error.status === 401 || error.status === 403))
      gate.reject(error.message);
    else message.textContent = `Not saved: ${error instanceof Error ? error.message : error}`;
  } finally {
    submitting = false;
    submitButton.disabled = false;
  }
  // Leave the label box so that the shortcuts work on the next item straight away.
  if (document.activeElement === labelInput) labelInput.blur();
  if (items.length === 0 && capped) void loadQueue();
}

/** @param {string} id */
function remove(id) {
  items = items.filter((entry) => entry.id !== id);
  position = Math.min(position, Math.max(0, items.length - 1));
  show();
}

/** @param {number} step */
function move(step) {
  const next = Math.min(Math.max(0, position + step), Math.max(0, items.length - 1));
  if (next === position) return;
  position = next;
  message.textContent = "";
  show();
}

function skip() {
  const item = shown();
  if (item === undefined) return;
  if (items.length === 1) {
    message.textContent = "This is the only open item.";
    return;
  }
  items.splice(position, 1);
  items.push(item);
  if (position >= items.length - 1) position = 0;
  message.textContent = "Skipped: the item moved to the end of the queue.";
  show();
}

element("resolve-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void submit();
});
element("take-slm").addEventListener("click", () => take("slm"));
element("take-llm").addEventListener("click", () => take("llm"));
element("previous").addEventListener("click", () => move(-1));
element("next").addEventListener("click", () => move(1));
element("skip").addEventListener("click", skip);
element("reload").addEventListener("click", () => void loadQueue());
useCaseSelect.addEventListener("change", () => {
  rememberUseCase(useCaseSelect.value);
  items = [];
  message.textContent = "";
  void loadQueue();
});

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || element("item").hidden || element("content").hidden)
    return;
  const target = event.target;
  if (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  ) {
    // Typing goes to the field; Enter in the label box submits the form by itself.
    if (event.key === "Escape") target.blur();
    return;
  }
  // Enter on the page or on one of the item's buttons submits; elsewhere (a link, the header) it keeps its
  // usual meaning.
  const onItem = target === document.body || (target instanceof Element && target.closest("#item") !== null);
  switch (event.key) {
    case "1":
      take("slm");
      break;
    case "2":
      take("llm");
      break;
    case "/":
      labelInput.focus();
      labelInput.select();
      break;
    case "Enter":
      if (!onItem) return;
      void submit();
      break;
    case "j":
      move(1);
      break;
    case "k":
      move(-1);
      break;
    case "s":
      skip();
      break;
    default:
      return;
  }
  event.preventDefault();
});
