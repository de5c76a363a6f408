// `slmkit keys create|list` with roles and use-case scopes, and `slmkit logs purge` per use case, run in this
// process through commander on a store of the test's own.

import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Command, CommanderError } from "commander";
import { registerLogsCommands } from "../../src/cli/logs.js";
import { registerServeCommands } from "../../src/cli/serve.js";
import { SlmkitError } from "../../src/errors.js";
import { createStore } from "../../src/store/index.js";
import type { RequestLogEntry } from "../../src/store/types.js";
import { runCommand, temporaryDirectory } from "../helpers/cli.js";

const dir = temporaryDirectory("slmkit-keys-");

describe("slmkit keys", () => {
  const store = `sqlite:${join(dir, "keys.db")}`;
  const keys = (...args: string[]) => runCommand(registerServeCommands, ["keys", ...args, "--store", store]);

  test("create: a client key of every use case unless told, and it says so; a role and use cases when given", async () => {
    const plain = await keys("create", "--name", "shop website");
    assert.match(plain.stdout, /^slmk_[a-z0-9]{12}_\S{43}\n$/);
    assert.match(plain.stderr, /for "shop website": role client, every use case; it is shown once/);

    const desk = await keys(
      "create",
      "--name",
      "support desk",
      "--role",
      "reviewer",
      "--usecase",
      "support",
      "--usecase",
      "returns",
    );
    assert.match(desk.stderr, /role reviewer, use cases support, returns/);
    const operator = await keys("create", "--name", "operator", "--role", "admin");
    assert.match(operator.stderr, /role admin, every use case/);

    const opened = createStore({ kind: "sqlite", path: join(dir, "keys.db") });
    try {
      const verified = await opened.verifyApiKey(desk.stdout.trim());
      assert.equal(verified?.role, "reviewer");
      assert.deepEqual(verified?.useCases, ["support", "returns"]);
    } finally {
      await opened.close();
    }
  });

  test("list: every key with its role and scope, and a note on keys from before roles", async () => {
    const listed = await keys("list");
    const lines = listed.stdout.trim().split("\n");
    assert.equal(lines.length, 3);
    assert.match(
      lines[0] ?? "",
      /^[a-z0-9]{12} {2}shop website {2}role client {2}every use case {2}created /,
    );
    assert.match(
      lines[1] ?? "",
      / {2}support desk {2}role reviewer {2}use cases support, returns {2}created /,
    );
    assert.match(lines[2] ?? "", / {2}operator {2}role admin {2}every use case {2}created /);
    assert.match(listed.stderr, /keys created before roles existed are admins with every use case/);
  });

  test("create refuses an unknown role, and a scope on an admin key, creating nothing", async () => {
    await assert.rejects(
      keys("create", "--name", "x", "--role", "root"),
      (error: unknown) =>
        error instanceof CommanderError && /Allowed choices are client, reviewer, admin/.test(error.message),
    );
    await assert.rejects(
      keys("create", "--name", "x", "--role", "admin", "--usecase", "support"),
      (error: unknown) =>
        SlmkitError.isInstance(error) && /an admin key has every use case/.test(error.message),
    );
    await assert.rejects(
      keys("create", "--name", "x", "--usecase", "Not A Slug"),
      (error: unknown) => SlmkitError.isInstance(error) && /is not a use case id/.test(error.message),
    );
    assert.equal((await keys("list")).stdout.trim().split("\n").length, 3);
  });

  test("the help says new keys are clients", () => {
    const program = new Command().exitOverride();
    registerServeCommands(program);
    const create = program.commands
      .find((command) => command.name() === "keys")
      ?.commands.find((command) => command.name() === "create");
    const help = (create?.helpInformation() ?? "").replace(/\s+/g, " ");
    assert.match(help, /--role <role> what the key may do; new keys are clients unless told\./);
    assert.match(help, /\(choices: "client", "reviewer", "admin", default: "client"\)/);
    assert.match(help, /--usecase <id> .*\(default: every use case\)/);
  });
});

describe("slmkit logs purge", () => {
  const path = join(dir, "logs.db");
  const row = (id: string, useCaseId: string, ageDays: number): RequestLogEntry => ({
    id,
    useCaseId,
    apiKeyId: null,
    createdAt: Date.now() - ageDays * 86_400_000,
    inputHash: "hash",
    inputText: `text of ${id}`,
    answeredBy: "review",
    reason: "test",
    label: "billing",
    confidence: 0.4,
    threshold: 0.5,
    slmLabel: "billing",
    slmConfidence: 0.4,
    llmLabel: null,
    latencyMs: 1,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    modelVersion: null,
  });

  test("with --usecase it purges that use case only, after its retentionDays; review items too", async () => {
    const store = createStore({ kind: "sqlite", path });
    await store.migrate();
    store.logRequest(row("support-old", "support", 40));
    store.logRequest(row("support-new", "support", 1));
    store.logRequest(row("returns-old", "returns", 40));
    await store.enqueueReview({
      requestId: "support-old",
      useCaseId: "support",
      inputText: "text of support-old",
      slmLabel: "billing",
      slmConfidence: 0.4,
      llmLabel: null,
      reason: "test",
    });
    await store.close();
    await writeFile(
      join(dir, "support.yaml"),
      `version: 1
id: support
title: Support
task: classify
labels:
  - name: billing
  - name: refund
data:
  train: train.jsonl
model: model
privacy:
  retentionDays: 30
`,
    );
    // The review item was queued just now; the log rows are 40 days old.
    const purged = await runCommand(registerLogsCommands, [
      "logs",
      "purge",
      "--usecase",
      join(dir, "support.yaml"),
      "--store",
      `sqlite:${path}`,
    ]);
    assert.match(purged.stdout, /removed the text of 1 stored rows of use case "support" older than 30 days/);
    const reopened = createStore({ kind: "sqlite", path });
    try {
      await reopened.migrate();
      assert.equal((await reopened.getRequest("support-old"))?.inputText, null);
      assert.equal((await reopened.getRequest("support-new"))?.inputText, "text of support-new");
      assert.equal(
        (await reopened.getRequest("returns-old"))?.inputText,
        "text of returns-old",
        "another use case",
      );
      assert.equal(
        (await reopened.listReview())[0]?.inputText,
        "text of support-old",
        "queued within 30 days",
      );
    } finally {
      await reopened.close();
    }
    const everything = await runCommand(registerLogsCommands, [
      "logs",
      "purge",
      "--days",
      "0",
      "--store",
      `sqlite:${path}`,
    ]);
    assert.match(everything.stdout, /removed the text of 3 stored rows older than 0 days/);
  });
});
