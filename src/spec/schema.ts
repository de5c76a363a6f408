// The `usecase.yaml` contract as a zod schema: one narrow task, its data, targets, routing, privacy and costs.

import { z } from "zod";

/**
 * The industries the SLM use-case brief names. `industry` stays a free string (a use case may belong to
 * none of them); these are the values the catalog and reports know how to group by.
 */
export const knownIndustries = [
  "manufacturing",
  "retail",
  "healthcare",
  "financial-services",
  "field-services",
] as const;

export const taskTypes = ["classify", "extract", "answer"] as const;
/** Value types of extraction fields; each has a normalizer (dates, amounts, codes) in the extract model. */
export const fieldTypes = [
  "string",
  "date",
  "time",
  "integer",
  "number",
  "money",
  "quantity",
  "code",
] as const;
export const deploymentKinds = ["edge", "cloud", "hybrid"] as const;
/** Where a request goes when the small model is not confident enough. */
export const fallbackKinds = ["llm", "review", "slm"] as const;

/** Every default the schema fills in, in one place so docs, templates and reports can quote them. */
export const useCaseDefaults = {
  deployment: "hybrid",
  routing: { targetAccuracy: 0.97, fallback: "llm", shadowRate: 0 },
  llm: { baseUrl: "https://api.openai.com/v1", apiKeyEnv: "OPENAI_API_KEY", timeoutMs: 10_000 },
  privacy: { storeText: false, redactPii: true, retentionDays: 30 },
  monitor: {
    window: 1000,
    psiThreshold: 0.2,
    minRequests: 200,
    unknownShareIncrease: 0.1,
    escalationRateIncrease: 0.1,
    intervalSeconds: 60,
  },
} as const;

const slugPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const environmentVariablePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Messages are written for the person editing the YAML: what is allowed, not what zod checked.
const text = (what: string) => z.string().min(1, `must not be empty (${what})`);
const filePath = text("a path relative to usecase.yaml");
const fraction = z.number().gt(0, "must be in (0, 1]").lte(1, "must be in (0, 1]");
const share = z.number().gte(0, "must be in [0, 1]").lte(1, "must be in [0, 1]");
const money = z.number().gte(0, "must be ≥ 0 (US dollars)");
const positive = z.number().gt(0, "must be > 0");
const positiveInteger = z.int("must be a whole number").gt(0, "must be a whole number > 0");

const labelSchema = z
  .object({
    /** The label exactly as it appears in the data's `label` field. */
    name: text("the label as it appears in the data"),
    /** One line on what belongs to this label: read by people, and by LLM prompts as the class definition. */
    description: z.string().optional(),
  })
  .strict();

const fieldSchema = z
  .object({
    /** The span label in the data (`spans[].label`) and the key in the extracted JSON. */
    name: text("the field's span label"),
    type: z.enum(fieldTypes),
    /** A record without this field is incomplete and escalated. Default false. */
    required: z.boolean().default(false),
    description: z.string().optional(),
  })
  .strict();

export const useCaseSchema = z
  .object({
    /** The contract version; only 1 exists. */
    version: z.literal(1),
    /** A slug: lowercase letters, digits and dashes, e.g. `support`. Names the model, logs and API routes. */
    id: z
      .string()
      .regex(
        slugPattern,
        'must be a slug: lowercase letters, digits and dashes, e.g. "support" or "refill-requests"',
      ),
    title: text("a short human-readable name"),
    /** Free text; the brief's industries are listed in `knownIndustries`. */
    industry: text("e.g. retail or healthcare").optional(),
    task: z.enum(taskTypes),
    /** classify and answer: the classes, at least two, unique names. */
    labels: z.array(labelSchema).optional(),
    /** extract: the fields to pull out of the text. */
    schema: z
      .object({ fields: z.array(fieldSchema).min(1, "needs at least one field") })
      .strict()
      .optional(),
    /** answer: a JSONL file of `{label, answer}`; answers may hold `{slot}` placeholders. */
    faq: filePath.optional(),
    /** JSONL files, relative to usecase.yaml. `valid` and `test` are optional: train holds back a part when missing. */
    data: z
      .object({
        train: filePath,
        valid: filePath.optional(),
        test: filePath.optional(),
      })
      .strict(),
    /** The model directory `slmkit train` writes and `slmkit serve` loads, relative to usecase.yaml. */
    model: filePath.optional(),
    /** What "good enough" means; reports compare measured figures with these. Each one is optional. */
    targets: z
      .object({
        /** Accuracy on the test set, in (0, 1]. */
        accuracy: fraction.optional(),
        /** 95th percentile latency of one request, in milliseconds. */
        p95LatencyMs: positive.optional(),
        /** Cost of 1,000 requests including escalations, in US dollars. */
        costPer1kRequestsUsd: money.optional(),
      })
      .strict()
      .optional(),
    /** Where the small model runs. Default "hybrid" (local model, remote fallback). */
    deployment: z.enum(deploymentKinds).default(useCaseDefaults.deployment),
    routing: z
      .object({
        /** Accepted answers must reach this accuracy; the confidence threshold is calibrated for it. Default 0.97. */
        targetAccuracy: fraction.default(useCaseDefaults.routing.targetAccuracy),
        /** Where unsure requests go. Default "llm". */
        fallback: z.enum(fallbackKinds).default(useCaseDefaults.routing.fallback),
        /** Share of accepted requests also sent to the fallback to measure agreement, in [0, 1]. Default 0. */
        shadowRate: share.default(useCaseDefaults.routing.shadowRate),
      })
      .strict()
      .prefault({}),
    /** The large model that answers escalations: any OpenAI-compatible endpoint. Absent: no LLM configured. */
    llm: z
      .object({
        /** Default "https://api.openai.com/v1"; Azure, Ollama, vLLM and Foundry Local have their own. */
        baseUrl: z
          .url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. "http://localhost:11434/v1"' })
          .default(useCaseDefaults.llm.baseUrl),
        model: text("the model or deployment name, e.g. gpt-4o-mini"),
        /** The environment variable holding the API key; the key itself never goes in the file. Default OPENAI_API_KEY. */
        apiKeyEnv: z
          .string()
          .regex(environmentVariablePattern, "must be an environment variable name, e.g. OPENAI_API_KEY")
          .default(useCaseDefaults.llm.apiKeyEnv),
        /** US dollars per 1,000 input tokens. Absent: cost reports say "unknown" rather than assume free. */
        pricePer1kInputUsd: money.optional(),
        /** US dollars per 1,000 output tokens. */
        pricePer1kOutputUsd: money.optional(),
        /** Per-request timeout in milliseconds. Default 10000. */
        timeoutMs: positiveInteger.default(useCaseDefaults.llm.timeoutMs),
        /** The model's licence or terms of use, as `slmkit baseline` reports it. Absent: "unknown". */
        license: text('the licence or terms, e.g. "OpenAI services agreement"').optional(),
      })
      .strict()
      .optional(),
    /**
     * A prebuilt small model (Phi-3-mini or any GGUF file) to measure with `slmkit baseline` or use as a teacher.
     * Absent: none. Paths are relative to the use case file.
     */
    prebuilt: z
      .object({
        /** The .gguf file. */
        gguf: text("the path of a .gguf file, e.g. models/phi-3-mini-4k-instruct-q4.gguf"),
        /** LoRA adapters (.gguf) applied on load, e.g. one fine-tuned elsewhere. Default none. */
        loraAdapters: z.array(text("the path of a LoRA adapter .gguf file")).default([]),
        /** A Jinja chat template overriding the one in the file. Default: the file's own. */
        chatTemplate: z.string().min(1).optional(),
        /** CPU threads. Default 1 on 2 cores or fewer, else cores - 1. */
        threads: positiveInteger.optional(),
        /** Context size in tokens. Default 512. */
        contextSize: positiveInteger.optional(),
        /** Training examples shown in the prompt. Default 3. */
        fewShot: z.number().int().min(0).max(50).default(3),
        /**
         * The model's licence, as `slmkit baseline` reports it when the file does not declare one
         * (`general.license`). Absent: the file's own, else "unknown".
         */
        license: text('the licence, e.g. "mit"').optional(),
      })
      .strict()
      .optional(),
    privacy: z
      .object({
        /**
         * Keep request text in the log (otherwise only hashes and outcomes), PII-redacted when `redactPii`. Review
         * items keep the redacted text when `redactPii`, and the text as written only with `storeText` and not
         * `redactPii` (see src/route/stored-text.ts). Default false.
         */
        storeText: z.boolean().default(useCaseDefaults.privacy.storeText),
        /** Mask emails, phones, cards, IBANs and national ids before text leaves the machine or is stored. Default true. */
        redactPii: z.boolean().default(useCaseDefaults.privacy.redactPii),
        /** Stored text older than this many days is deleted from every table (`slmkit logs purge`). Default 30. */
        retentionDays: z
          .int("must be a whole number of days")
          .gte(0, "must be ≥ 0 days")
          .default(useCaseDefaults.privacy.retentionDays),
      })
      .strict()
      .prefault({}),
    /** Spending caps on escalation, in US dollars; absent caps are unlimited. */
    budget: z
      .object({
        dailyUsd: money.optional(),
        monthlyUsd: money.optional(),
      })
      .strict()
      .optional(),
    monitor: z
      .object({
        /** Drift compares the most recent `window` requests with the training data. Default 1000. */
        window: positiveInteger.default(useCaseDefaults.monitor.window),
        /** Population stability index above which drift is reported. Default 0.2. */
        psiThreshold: positive.default(useCaseDefaults.monitor.psiThreshold),
        /** Fewer requests than this in the window: checks report "insufficient" rather than guess. Default 200. */
        minRequests: positiveInteger.default(useCaseDefaults.monitor.minRequests),
        /** Alert when the mean share of unseen n-grams rises by more than this over the reference. Default 0.1. */
        unknownShareIncrease: share.default(useCaseDefaults.monitor.unknownShareIncrease),
        /** Alert when the escalation rate rises by more than this over the reference. Default 0.1. */
        escalationRateIncrease: share.default(useCaseDefaults.monitor.escalationRateIncrease),
        /** Alert below this accuracy on feedback and below this shadow agreement. Default `routing.targetAccuracy`. */
        minAccuracy: fraction.optional(),
        /**
         * Compare with this pinned window of served traffic (ISO 8601 times) instead of the training data.
         * Default: the training data's profile.
         */
        pinnedWindow: z
          .object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
          .strict()
          .optional(),
        /** How often `slmkit serve` recomputes drift, in seconds. Default 60. */
        intervalSeconds: positiveInteger.default(useCaseDefaults.monitor.intervalSeconds),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  // Runs even when fields above failed, so one pass reports every problem; hence it reads `value` defensively.
  .superRefine((value, context) => checkTaskSections(value, context), {
    when: (payload) => typeof payload.value === "object" && payload.value !== null,
  });

/** A validated use case with every default filled in. */
export type UseCase = z.output<typeof useCaseSchema>;
/** A use case as written in YAML: optional sections may be left out. */
export type UseCaseInput = z.input<typeof useCaseSchema>;
export type UseCaseLabel = z.output<typeof labelSchema>;
export type UseCaseField = z.output<typeof fieldSchema>;
export type FieldType = (typeof fieldTypes)[number];
export type DeploymentKind = (typeof deploymentKinds)[number];
export type FallbackKind = (typeof fallbackKinds)[number];

interface IssueSink {
  addIssue(issue: { code: "custom"; message: string; path: PropertyKey[] }): void;
}

/** Which sections each task needs, and which it must not have (they would be silently ignored). */
const sectionsOfTask = {
  classify: { needs: ["labels"], forbids: ["schema", "faq"] },
  extract: { needs: ["schema"], forbids: ["labels", "faq"] },
  answer: { needs: ["labels", "faq"], forbids: ["schema"] },
} as const;

function checkTaskSections(value: unknown, context: IssueSink): void {
  const spec = value as Record<string, unknown>;
  const task = spec.task;
  if (task !== "classify" && task !== "extract" && task !== "answer") return;
  const sections = sectionsOfTask[task];
  for (const section of sections.needs) {
    if (spec[section] === undefined) {
      context.addIssue({
        code: "custom",
        path: [section],
        message: `missing: task "${task}" needs ${section}`,
      });
    }
  }
  for (const section of sections.forbids) {
    if (spec[section] !== undefined) {
      context.addIssue({
        code: "custom",
        path: [section],
        message: `not used by task "${task}"; remove it or change task`,
      });
    }
  }
  if (task !== "extract" && Array.isArray(spec.labels)) {
    checkUniqueNames(spec.labels, ["labels"], "label", context);
    if (spec.labels.length < 2) {
      context.addIssue({
        code: "custom",
        path: ["labels"],
        message: `task "${task}" needs at least 2 labels, got ${spec.labels.length}`,
      });
    }
  }
  const schema = spec.schema as { fields?: unknown } | undefined;
  if (task === "extract" && Array.isArray(schema?.fields)) {
    checkUniqueNames(schema.fields, ["schema", "fields"], "field", context);
  }
}

function checkUniqueNames(items: unknown[], path: PropertyKey[], kind: string, context: IssueSink): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const name = (item as { name?: unknown } | null)?.name;
    if (typeof name !== "string") return;
    if (seen.has(name)) {
      context.addIssue({
        code: "custom",
        path: [...path, index, "name"],
        message: `duplicate ${kind} "${name}"; each ${kind} must appear once`,
      });
    }
    seen.add(name);
  });
}
