// Parsers for numeric CLI options: a bad value is an error that names the flag, never a silent NaN.

import { InvalidArgumentError } from "commander";

export function parseNumberOption(flag: string): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (value.trim() === "" || !Number.isFinite(parsed)) {
      throw new InvalidArgumentError(`${flag} expects a number, got "${value}".`);
    }
    return parsed;
  };
}

export function parseIntegerOption(flag: string, minimum = 0): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed)) {
      throw new InvalidArgumentError(`${flag} expects a whole number, got "${value}".`);
    }
    if (parsed < minimum)
      throw new InvalidArgumentError(`${flag} must be at least ${minimum}, got ${parsed}.`);
    return parsed;
  };
}
