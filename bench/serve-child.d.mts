// Types of serve-child.mjs.
import type { ChildMessage } from "./serve-protocol.js";

/** Writes one message as a JSON line on stdout, the parent's channel. */
export declare function sendToParent(message: ChildMessage): void;

/**
 * Runs `stop` once on SIGTERM, SIGINT (Ctrl-C reaches the whole process group) or when the parent's end of
 * stdin closes (the parent died without signalling), then exits; later signals are ignored meanwhile.
 */
export declare function onParentGone(stop: () => Promise<void>): void;
