// The data checks' settings: the options with their defaults, checked.

import { SlmkitError } from "../../errors.js";
import type { CheckDataOptions } from "../check.js";

export type CheckSettings = Required<Omit<CheckDataOptions<unknown>, "file" | "problems" | "otherSplits">>;

/** The options with their defaults; throws INVALID_OPTION naming the first unusable one. */
export function resolveCheckSettings<T>(options: CheckDataOptions<T>): CheckSettings {
  const settings = {
    maxChars: options.maxChars ?? 2000,
    splitName: options.splitName ?? "train",
    nearDuplicateThreshold: options.nearDuplicateThreshold ?? 0.9,
    maxImbalance: options.maxImbalance ?? 10,
    minExamplesPerLabel: options.minExamplesPerLabel ?? 5,
    maxListed: options.maxListed ?? 100,
  };
  const positive = (name: keyof typeof settings, value: number, integer: boolean): void => {
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `${name} must be a positive ${integer ? "integer" : "number"}, got ${value}.`,
        { field: name },
      );
    }
  };
  positive("maxChars", settings.maxChars, true);
  positive("maxImbalance", settings.maxImbalance, false);
  positive("minExamplesPerLabel", settings.minExamplesPerLabel, true);
  positive("maxListed", settings.maxListed, true);
  if (!(settings.nearDuplicateThreshold > 0 && settings.nearDuplicateThreshold <= 1)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `nearDuplicateThreshold must be in (0, 1], got ${settings.nearDuplicateThreshold}.`,
      {
        field: "nearDuplicateThreshold",
      },
    );
  }
  return settings;
}
