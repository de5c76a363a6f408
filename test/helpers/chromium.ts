// Headless Chromium for browser tests and benches: Debian's build with one fixed set of flags, no network of its own.

import { accessSync, constants } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";

/** Headless, and nothing that calls home: no background networking, updates, sync or QUIC. */
export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** Why browser tests cannot run here, or undefined when Chromium is installed. */
export function chromiumMissing(): string | undefined {
  try {
    accessSync(chromiumPath, constants.X_OK);
    return undefined;
  } catch {
    return `no Chromium at ${chromiumPath} (install Debian's chromium package)`;
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}
