// `slmkit serve` and `slmkit keys`: run the hybrid gateway, and manage its API keys.

import { type Command, Option } from "commander";
import { pino } from "pino";
import { readEnvironment } from "../config.js";
import {
  defaultBodyTimeoutMs,
  defaultHeaderTimeoutMs,
  defaultIdleTimeoutMs,
  defaultMaxConnectionsPerAddress,
} from "../serve/middleware/limits.js";
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
  headerTimeout: number;
  bodyTimeout: number;
  idleTimeout: number;
  maxConnections?: number;
  maxConnectionsPerAddress: number;
  metricsListen?: string;
  logLevel: LogLevel;
  logRequests: boolean;
}

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
type LogLevel = (typeof logLevels)[number];

const defaultStore = "sqlite:.slmkit/gateway.db";

export function registerServeCommands(program: Command): void {
  const serve = program.command("serve");
  serve
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
    );
  addConnectionOptions(serve);
  serve
    .option(
      "--metrics-listen <host:port>",
      "serve /metrics on its own listener (e.g. 127.0.0.1:9464), not on the main one",
    )
    .addOption(
      new Option("--log-level <level>", "JSON log lines (pino) on stderr from this level up")
        .choices(logLevels)
        .default("info"),
    )
    .option("--log-requests", "one log line per answered request (id, path, status, ms)", false)
    .action(async (flags: ServeFlags) => {
      const logger = createLogger(flags.logLevel);
      const gateway = await startGateway({
        usecases: flags.usecase,
        port: flags.port ?? readEnvironment().port,
        host: flags.host,
        store: flags.store,
        cache: flags.cache,
        requireAuth: flags.auth,
        rateLimitPerSecond: flags.rateLimit,
        ...(flags.rateLimitStore === undefined ? {} : { rateLimitStore: flags.rateLimitStore }),
        headerTimeoutMs: flags.headerTimeout,
        bodyTimeoutMs: flags.bodyTimeout,
        idleTimeoutMs: flags.idleTimeout,
        ...(flags.maxConnections === undefined ? {} : { maxConnections: flags.maxConnections }),
        maxConnectionsPerAddress: flags.maxConnectionsPerAddress,
        ...(flags.metricsListen === undefined ? {} : { metricsListen: flags.metricsListen }),
        logger,
        logRequests: flags.logRequests,
      });
      process.stdout.write(
        `slmkit gateway listening on ${gateway.url} serving ${[...gateway.useCases.keys()].join(", ")}\n`,
      );
      if (gateway.metricsUrl !== undefined)
        process.stdout.write(`Prometheus metrics at ${gateway.metricsUrl}/metrics\n`);
      if (flags.auth)
        process.stdout.write(
          "requests need `Authorization: Bearer <key>`: create one with `slmkit keys create --name me`\n",
        );
      await waitForShutdown(gateway, logger);
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

/** The timeouts and connection caps of `serve`, each with its default (see `ConnectionLimitOptions`). */
function addConnectionOptions(serve: Command): void {
  serve
    .option(
      "--header-timeout <ms>",
      "time to send a request's headers; past it a 408 and the connection closed",
      parseIntegerOption("--header-timeout", 1),
      defaultHeaderTimeoutMs,
    )
    .option(
      "--body-timeout <ms>",
      "time to send a whole request, headers and body (at least --header-timeout)",
      parseIntegerOption("--body-timeout", 1),
      defaultBodyTimeoutMs,
    )
    .option(
      "--idle-timeout <ms>",
      "time a kept-alive connection waits for its next request (keep it above a load balancer's idle timeout)",
      parseIntegerOption("--idle-timeout", 1),
      defaultIdleTimeoutMs,
    )
    .option(
      "--max-connections <n>",
      "open connections in all; more are closed at once (default 10000, or 3/4 of the open-file limit if lower)",
      parseIntegerOption("--max-connections", 1),
    )
    .option(
      "--max-connections-per-address <n>",
      "open connections from one client address (raise it behind a proxy)",
      parseIntegerOption("--max-connections-per-address", 1),
      defaultMaxConnectionsPerAddress,
    );
}

/** Operational events (start, reloads, drift, store outages, LLM failures, errors) as JSON lines on stderr. */
export function createLogger(level: LogLevel = "info"): Logger {
  return pino({ name: "slmkit", level }, pino.destination(2));
}

/** Resolves after SIGINT/SIGTERM once the gateway has drained; SIGHUP reloads every model (each reload is logged). */
export async function waitForShutdown(gateway: Gateway, logger: Logger): Promise<void> {
  const onHangup = () => {
    logger.info({ event: "sighup" }, "SIGHUP: reloading every model");
    for (const id of gateway.useCases.keys()) gateway.reload(id).catch(() => undefined);
  };
  process.on("SIGHUP", onHangup);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ event: "draining", signal }, "finishing in-flight requests and writing the log");
      gateway.close().then(
        () => {
          logger.info({ event: "stopped" }, "gateway stopped");
          resolve();
        },
        (error: Error) => {
          logger.error({ event: "shutdown_failed", err: error }, "shutdown error");
          process.exitCode = 1;
          resolve();
        },
      );
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  process.off("SIGHUP", onHangup);
}
