// The per-use-case runtime: what the app serves of a use case (its spec, model and router), found by id.

import type { RouterStats } from "../route/router.js";
import type { RouteRequest, RouteResult } from "../route/types.js";
import type { UseCase } from "../spec/schema.js";
import { useCaseNotFound } from "./errors.js";

/** What the app needs of a router of any task: route one text (hot reload is the server's business). */
export interface RouterHandle {
  route(request: RouteRequest): Promise<RouteResult>;
  /** Resolves when the router's background work so far (shadow calls, cache writes, spend records) is done. */
  idle(): Promise<void>;
  /** Waits for the router's background work (shadow calls, cache writes, spend records). */
  close(): Promise<void>;
  stats(): RouterStats;
}

/** What the app and dashboard read of a served model, whatever its task. */
export interface ServedModel {
  /** A classifier's or answerer's labels; an extractor's fields. */
  readonly labels: readonly string[];
  /** Calibrated threshold: of the label's confidence, or of an extracted record's. */
  readonly threshold: number;
}

/** One served use case. */
export interface UseCaseRuntime {
  id: string;
  spec: UseCase;
  modelDir: string;
  model: ServedModel;
  modelVersion: string;
  router: RouterHandle;
  createdAt: number;
}

/** The served use case `id`, or a 404 naming `param` (where the client gave the id). */
export function findUseCase(
  useCases: ReadonlyMap<string, UseCaseRuntime>,
  id: string,
  param: string,
): UseCaseRuntime {
  const useCase = useCases.get(id);
  if (useCase === undefined) throw useCaseNotFound(id, param);
  return useCase;
}
