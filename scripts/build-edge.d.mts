// Types of build-edge.mjs.

/** Where `npm run build` writes the browser module. */
export declare const edgeModulePath: string;

/** The browser module built in memory: its text, and its size minified and gzipped (level 9), in bytes. */
export declare function buildEdgeModule(): Promise<{ text: string; bytes: number; gzipBytes: number }>;
