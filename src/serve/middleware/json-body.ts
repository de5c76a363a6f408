// JSON bodies, read as bytes: invalid UTF-8 and invalid JSON are clear 400s, not replaced characters.

import type { FastifyInstance } from "fastify";
import { badRequest } from "../errors.js";

/** Replaces Fastify's JSON parser with one that refuses invalid UTF-8; an empty (blank) body parses as undefined. */
export function registerJsonBody(app: FastifyInstance): void {
  // One decoder serves every request: a whole-buffer decode keeps no state between calls, even after an error.
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(badRequest("invalid_encoding", "the request body is not valid UTF-8."), undefined);
      return;
    }
    try {
      done(null, text.trim() === "" ? undefined : JSON.parse(text));
    } catch {
      done(badRequest("invalid_json", "the request body is not valid JSON."), undefined);
    }
  });
}
