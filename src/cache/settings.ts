// The cache setting of the CLI and the gateway (`--cache`, `--rate-limit-store`), read into a backend's config.

import { SlmkitError } from "../errors.js";

/** `memory` or a Redis URL, for `--cache` (default) or another flag of the same form such as `--rate-limit-store`. */
export function parseCacheSetting(setting: string, flag = "cache") {
  if (setting === "memory") return { kind: "memory" as const };
  if (setting.startsWith("redis://") || setting.startsWith("rediss://"))
    return { kind: "redis" as const, url: setting };
  throw new SlmkitError("INVALID_OPTION", `--${flag} ${setting}: use memory or a redis:// URL.`, {
    field: flag,
  });
}
