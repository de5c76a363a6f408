// The store setting of the CLI and the gateway (`--store`), read into a backend's config.

import { SlmkitError } from "../errors.js";

/**
 * `sqlite:<path>` or a Postgres URL. A `schema` query parameter on the URL (`postgres://…/db?schema=slmkit`)
 * selects the Postgres schema, so several deployments can share one database.
 */
export function parseStoreSetting(setting: string) {
  if (setting.startsWith("postgres://") || setting.startsWith("postgresql://")) {
    const url = new URL(setting);
    const schema = url.searchParams.get("schema");
    url.searchParams.delete("schema");
    return { kind: "postgres" as const, connectionString: url.toString(), ...(schema ? { schema } : {}) };
  }
  if (setting.startsWith("sqlite:"))
    return { kind: "sqlite" as const, path: setting.slice("sqlite:".length) };
  throw new SlmkitError("INVALID_OPTION", `--store ${setting}: use sqlite:<path> or a postgres:// URL.`, {
    field: "store",
  });
}
