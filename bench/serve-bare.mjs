// Child process of bench/serve.ts: the bare baseline the gateway is compared with. `POST /v1/chat/completions`
// parses the OpenAI-shaped JSON body (JSON.parse, then the last user message) and returns a fixed
// chat.completion (a reply the gateway gave, so the size is the same), on Fastify 5 (the gateway's framework)
// or on Node's plain `http`. No auth, no validation, no routing, no logging: the floor of the framework. Plain
// JavaScript run without tsx, as the gateway child (serve-gateway.mjs, over dist/) is: the two are compared on
// the same runtime (tsx rewrites every module it loads and adds a call per closure created).
//
// Usage: node bench/serve-bare.mjs --kind fastify|http --reply <file.json>

import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import Fastify from "fastify";
import { onParentGone, sendToParent } from "./serve-child.mjs";

const { values } = parseArgs({
  options: { kind: { type: "string" }, reply: { type: "string" } },
  strict: true,
});
if ((values.kind !== "fastify" && values.kind !== "http") || values.reply === undefined)
  throw new Error("serve-bare.mjs needs --kind fastify|http --reply <file.json>.");

const fixedReply = JSON.parse(readFileSync(values.reply, "utf8"));

/** The same work the gateway does before routing, minus validation: find the last user message. */
function lastUserMessage(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (message?.role === "user" && typeof message.content === "string") return message.content;
  }
  return "";
}

/** A fresh object per request, as the gateway builds one, serialized by the framework. */
function reply(text) {
  return { ...fixedReply, created: Math.floor(Date.now() / 1000), input_chars: text.length };
}

if (values.kind === "fastify") {
  const app = Fastify({ logger: false });
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body));
    } catch (error) {
      done(error, undefined);
    }
  });
  app.post("/v1/chat/completions", async (request) => reply(lastUserMessage(request.body)));
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  onParentGone(() => app.close());
  sendToParent({ event: "ready", url, pid: process.pid });
} else {
  const server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      if (request.method !== "POST" || request.url !== "/v1/chat/completions") {
        response.writeHead(404, { "content-type": "application/json" });
        response.end('{"error":{"message":"not found"}}');
        return;
      }
      let text;
      try {
        text = lastUserMessage(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        response.writeHead(400, { "content-type": "application/json" });
        response.end('{"error":{"message":"invalid JSON"}}');
        return;
      }
      const payload = JSON.stringify(reply(text));
      response.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(payload),
      });
      response.end(payload);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  onParentGone(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  sendToParent({ event: "ready", url: `http://127.0.0.1:${port}`, pid: process.pid });
}
