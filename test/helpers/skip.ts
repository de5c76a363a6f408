// The one way a test skips because something it needs is missing here: visible in the report on a laptop, a
// failure under CI=true, so a green CI run always means the test ran.

/**
 * Pass why a test cannot run on this machine (`missing`, or undefined when it can) and get what to give node:test
 * as `{ skip }` or to `context.skip()`. With CI=true a missing dependency throws instead, so the run fails.
 */
export function skipUnlessAvailable(missing: string, options?: { cause?: unknown }): string;
export function skipUnlessAvailable(
  missing: string | undefined,
  options?: { cause?: unknown },
): string | undefined;
export function skipUnlessAvailable(
  missing: string | undefined,
  options?: { cause?: unknown },
): string | undefined {
  if (missing === undefined) return undefined;
  if (process.env.CI === "true") {
    throw new Error(
      `${missing}. CI=true runs every test, so this fails the run instead of skipping.`,
      options,
    );
  }
  return missing;
}
