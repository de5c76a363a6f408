// The part of the Store a router writes to: log rows, review items, spend and shadow comparisons.

import type { Store } from "../store/types.js";

/** The part of the Store a router writes to. */
export type RouterStore = Pick<Store, "logRequest" | "enqueueReview" | "addSpend" | "getSpend"> &
  Partial<Pick<Store, "addShadowResult">>;
