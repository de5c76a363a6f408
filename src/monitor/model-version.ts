// The version id of a native model directory, as the gateway logs it with every request.

import { readManifest } from "../models/native/model-directory.js";

/**
 * `<first 12 hex digits of the data hash>@<createdAt>`: the string `slmkit serve` writes into each log row's
 * `modelVersion`, so the monitor can keep the rows of the model now served.
 */
export async function readModelVersion(modelDir: string): Promise<string> {
  const manifest = await readManifest(modelDir);
  return `${manifest.dataHash.slice(0, 12)}@${manifest.createdAt}`;
}
