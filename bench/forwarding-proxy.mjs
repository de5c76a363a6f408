// Child process of bench/escalation.ts and bench/serve.ts: the floor the gateway's escalation overhead is judged
// against. A bare Fastify 5 route that takes an OpenAI-shaped chat request, puts its last user message into the
// request the gateway's labeler sends (the labels' system prompt, the text, the JSON schema: read from a file,
// so the stand-in LLM receives the same bytes), forwards it over a keep-alive node:http agent to the same
// stand-in, and returns the stand-in's reply as it came. No auth, routing, cache, redaction, budget or logging:
// the least any gateway does to escalate. Plain JavaScript run without tsx, as the gateway child is, so both
// run on the same runtime.
//
// Usage: node bench/forwarding-proxy.mjs --upstream <baseUrl> --request <template.json> --api-key <key>

import { readFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import Fastify from "fastify";
import { onParentGone, sendToParent } from "./serve-child.mjs";

const { values } = parseArgs({
  options: {
    upstream: { type: "string" },
    request: { type: "string" },
    "api-key": { type: "string", default: "" },
  },
  strict: true,
});
if (values.upstream === undefined || values.request === undefined)
  throw new Error("forwarding-proxy.mjs needs --upstream <baseUrl> --request <template.json>.");

/** The labeler's request with the user message left empty: each request fills it in. */
const template = JSON.parse(readFileSync(values.request, "utf8"));
const userIndex = template.messages.findIndex((message) => message.role === "user");
const target = new URL(`${values.upstream.replace(/\/$/, "")}/chat/completions`);
const agent = new Agent({ keepAlive: true });
const authorization = `Bearer ${values["api-key"]}`;

function lastUserMessage(body) {
  const messages = Array.isArray(body?.messages) ? body.messages : [];
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (message?.role === "user" && typeof message.content === "string") return message.content;
  }
  return "";
}

/** One POST to the stand-in; resolves with its status, content type and body as bytes. */
function forward(payload) {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        agent,
        hostname: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
          authorization,
        },
      },
      (incoming) => {
        const chunks = [];
        incoming.on("data", (chunk) => chunks.push(chunk));
        incoming.on("end", () =>
          resolve({
            status: incoming.statusCode ?? 502,
            type: incoming.headers["content-type"] ?? "application/json",
            body: Buffer.concat(chunks),
          }),
        );
        incoming.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(payload);
  });
}

const app = Fastify({ logger: false });
app.post("/v1/chat/completions", async (request, reply) => {
  template.messages[userIndex].content = lastUserMessage(request.body);
  const answer = await forward(JSON.stringify(template));
  return reply.code(answer.status).type(answer.type).send(answer.body);
});
const url = await app.listen({ port: 0, host: "127.0.0.1" });
onParentGone(async () => {
  await app.close();
  agent.destroy();
});
sendToParent({ event: "ready", url, pid: process.pid });
