// The edge runtime's one public face ("slmkit/edge", and dist/edge/slmkit-edge.js for pages): bundle in, predictions
// out, with the hybrid client around it. Nothing reachable from here uses a Node API (npm run lint checks it).

export { SlmkitError, type SlmkitErrorCode } from "../errors.js";
export type { BundleManifest, BundlePruneReport } from "../models/bundle/manifest.js";
export type {
  EdgeAnsweredBy,
  EdgeClient,
  EdgeClientOptions,
  EdgeClientStatus,
  EdgeDecision,
  EdgeFallback,
  EdgeGatewayOptions,
  EdgeSyncResult,
} from "./client.js";
export { createEdgeClient } from "./client.js";
export type {
  EdgeAnswer,
  EdgeAnswerModel,
  EdgeClassification,
  EdgeClassifyModel,
  EdgeExtraction,
  EdgeExtractModel,
  EdgeExtractOptions,
  EdgeModel,
  LoadEdgeModelOptions,
} from "./edge-model.js";
export { loadEdgeModel } from "./edge-model.js";
export type { FetchLike, FetchResponse } from "./gateway.js";
export { createIndexedDbStorage, type IndexedDbStorageOptions } from "./indexeddb-storage.js";
export { createMemoryStorage, type EdgeStorage, type EdgeStoredValue } from "./storage.js";
export type {
  DecisionEvent,
  EdgeEvent,
  EdgeEventBatch,
  EdgeEventResult,
  EdgeEventsReply,
  EscalationEvent,
  FeedbackEvent,
} from "./wire.js";
