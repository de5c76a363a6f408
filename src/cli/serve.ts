// `slmkit serve` and `slmkit keys`: run the hybrid gateway, and manage its API keys.

import { type Command, Option } from "commander";
import { pino } from "pino";
import { readEnvironment } from "../config.js";
import { type Gateway, startGateway } from "../serve/server.js";
import { apiKeyRoles, createStore } from "../store/index.js";
import { parseStoreSetting } from "../store/settings.js";
import type { ApiKeyRecord, ApiKeyRole } from "../store/types.js";
import type { Logger } from "../types.js";
import { parseIntegerOption } from "./options.js";

interface ServeFlags {
  usecase: string[];
  port?: number;
  host: string;
  store: string;
  cache: string;
  auth: boolean;
  rateLimit: number;
  rateLimitStore?: string;
}

const defaultStore = "sqlite:.slmkit/gateway.db";

export function registerServeCommands(program: Command): void {
  program
    .command("serve")
    .description(
      "serve use cases over HTTP: OpenAI-compatible chat completions, task API, review queue, metrics",
    )
    .requiredOption("--usecase <yaml...>", "usecase.yaml files to serve (each with a trained model)")
    .option("--port <n>", "port (default $PORT or 8787)", parseIntegerOption("--port"))
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--store <setting>", "sqlite:<path> or a postgres:// URL", defaultStore)
    .option("--cache <setting>", "memory or a redis:// URL", "memory")
    .option("--no-auth", "accept requests without an API key (local experiments only)")
    .option(
      "--rate-limit <n>",
      "requests per second per API key",
      parseIntegerOption("--rate-limit", 1),
      1000,
    )
    .option(
      "--rate-limit-store <setting>",
      "memory (per replica) or a redis:// URL shared by replicas (default: the --cache Redis, else memory)",
    )
    .action(async (flags: ServeFlags) => {
      const gateway = await startGateway({
        usecases: flags.usecase,
        port: flags.port ?? readEnvironment().port,
        host: flags.host,
        store: flags.store,
        cache: flags.cache,
        requireAuth: flags.auth,
        rateLimitPerSecond: flags.rateLimit,
        ...(flags.rateLimitStore === undefined ? {} : { rateLimitStore: flags.rateLimitStore }),
      });
      process.stdout.write(
        `slmkit gateway listening on ${gateway.url} serving ${[...gateway.useCases.keys()].join(", ")}\n`,
      );
      if (flags.auth)
        process.stdout.write(
          "requests need `Authorization: Bearer <key>`: create one with `slmkit keys create --name me`\n",
        );
      await waitForShutdown(gateway);
    });

  const keys = program.command("keys").description("manage the gateway's API keys (stored hashed)");
  keys
    .command("create")
    .description("create a key; it is printed once")
    .requiredOption("--name <name>", "who or what the key is for")
    .addOption(
      new Option(
        "--role <role>",
        "what the key may do; new keys are clients unless told. client: chat, predict, models, feedback on " +
          "its own requests; reviewer: also the review queue and dashboard; admin: also reloads, /metrics and " +
          "feedback on any request",
      )
        .choices(apiKeyRoles)
        .default("client"),
    )
    .addOption(
      new Option("--usecase <id>", "a use case the key may use; repeat for more; not for admin keys")
        .argParser((id: string, previous: string[]) => [...previous, id])
        .default([], "every use case"),
    )
    .option("--store <setting>", "sqlite:<path> or a postgres:// URL", defaultStore)
    .action(async (flags: { name: string; role: ApiKeyRole; usecase: string[]; store: string }) => {
      const store = await createStore(parseStoreSetting(flags.store));
      try {
        await store.migrate();
        const { record, key } = await store.createApiKey(flags.name, {
          role: flags.role,
          useCases: flags.usecase.length === 0 ? null : flags.usecase,
        });
        process.stdout.write(`${key}\n`);
        process.stderr.write(
          `created key ${record.id} for "${record.name}": role ${record.role}, ${describeScope(record)}; ` +
            "it is shown once, store it now.\n",
        );
      } finally {
        await store.close();
      }
    });
  keys
    .command("list")
    .description("every key: id, name, role, use cases, created and revoked times")
    .option("--store <setting>", "sqlite:<path> or a postgres:// URL", defaultStore)
    .action(async (flags: { store: string }) => {
      const store = await createStore(parseStoreSetting(flags.store));
      try {
        await store.migrate();
        const records = await store.listApiKeys();
        for (const record of records) {
          process.stdout.write(
            `${record.id}  ${record.name}  role ${record.role}  ${describeScope(record)}  created ${new Date(record.createdAt).toISOString()}${record.revokedAt ? `  revoked ${new Date(record.revokedAt).toISOString()}` : ""}\n`,
          );
        }
        if (records.some((record) => record.role === "admin" && record.revokedAt === null)) {
          process.stderr.write(
            "note: keys created before roles existed are admins with every use case; revoke those you can " +
              "narrow and create a client or reviewer key with --role and --usecase.\n",
          );
        }
      } finally {
        await store.close();
      }
    });
  keys
    .command("revoke")
    .argument("<id>", "key id (from `slmkit keys list`)")
    .option("--store <setting>", "sqlite:<path> or a postgres:// URL", defaultStore)
    .action(async (id: string, flags: { store: string }) => {
      const store = await createStore(parseStoreSetting(flags.store));
      try {
        await store.migrate();
        const revoked = await store.revokeApiKey(id);
        process.stdout.write(revoked ? `revoked ${id}\n` : `no active key ${id}\n`);
        if (!revoked) process.exitCode = 1;
      } finally {
        await store.close();
      }
    });
}

/** "every use case", or the use cases a key is scoped to. */
function describeScope(record: ApiKeyRecord): string {
  return record.useCases === null ? "every use case" : `use cases ${record.useCases.join(", ")}`;
}

/** Operational events (store outages, LLM failures, reload refusals) as JSON lines on stderr. */
export function createLogger(): Logger {
  return pino({ name: "slmkit", level: "info" }, pino.destination(2));
}

/** Resolves after SIGINT/SIGTERM once the gateway has drained; SIGHUP reloads every model. */
export async function waitForShutdown(gateway: Gateway): Promise<void> {
  const onHangup = () => {
    for (const id of gateway.useCases.keys()) {
      gateway.reload(id).then(
        ({ version }) => process.stderr.write(`reloaded ${id}: ${version}\n`),
        (error: Error) =>
          process.stderr.write(`reload of ${id} refused, the old model keeps serving: ${error.message}\n`),
      );
    }
  };
  process.on("SIGHUP", onHangup);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`\n${signal}: finishing in-flight requests and writing the log…\n`);
      gateway.close().then(resolve, (error: Error) => {
        process.stderr.write(`shutdown error: ${error.message}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  process.off("SIGHUP", onHangup);
}
