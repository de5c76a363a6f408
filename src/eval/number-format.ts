// Internal number formatting shared by the text summary and the HTML report; fixed to en-US so output is stable.

const countFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** A share in [0, 1] as a percentage, e.g. 0.9741 -> "97.4%"; "n/a" for null. */
export function formatPercent(share: number | null, decimals = 1): string {
  return share === null ? "n/a" : `${(share * 100).toFixed(decimals)}%`;
}

/** A whole number with thousands separators, e.g. 52310 -> "52,310". */
export function formatCount(value: number): string {
  return countFormat.format(value);
}

/** Milliseconds with enough digits to tell a 3 µs call from a 3 ms one; microseconds below 0.1 ms. */
export function formatMilliseconds(milliseconds: number): string {
  if (milliseconds >= 100) return `${milliseconds.toFixed(0)} ms`;
  if (milliseconds >= 1) return `${milliseconds.toFixed(2)} ms`;
  if (milliseconds >= 0.1) return `${milliseconds.toFixed(3)} ms`;
  return `${(milliseconds * 1000).toFixed(1)} µs`;
}

/** Bytes in decimal units (1 MB = 1,000,000 bytes), as file managers and download sizes show them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** Seconds as "0.42 s", "12.3 s" or "4 min 05 s". */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
}

/** A threshold or ratio with a fixed number of decimals. */
export function formatDecimal(value: number, decimals = 3): string {
  return value.toFixed(decimals);
}

/** "1 text", "2 texts", "1,000 texts". */
export function formatQuantity(count: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : plural}`;
}
