// Golden-section search: the minimum of a one-dimensional unimodal function, used to fit temperatures.

/** Narrows [low, high] around the minimum of `f` for `iterations` steps; returns the middle of what is left. */
export function goldenSectionMinimum(
  f: (x: number) => number,
  low: number,
  high: number,
  iterations: number,
): number {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = high - ratio * (high - low);
  let b = low + ratio * (high - low);
  let fa = f(a);
  let fb = f(b);
  for (let iteration = 0; iteration < iterations; iteration++) {
    if (fa < fb) {
      high = b;
      b = a;
      fb = fa;
      a = high - ratio * (high - low);
      fa = f(a);
    } else {
      low = a;
      a = b;
      fa = fb;
      b = low + ratio * (high - low);
      fb = f(b);
    }
  }
  return (low + high) / 2;
}
