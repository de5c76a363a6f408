import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import OpenAI from "openai";
import { createHttpFetch } from "../../src/models/openai/http-transport.js";
import { createOpenAiLabeler } from "../../src/models/openai/openai-labeler.js";
import { answer, startFakeOpenAi } from "../helpers/fake-openai.js";

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A plain HTTP server that counts the connections it accepted. */
let server: Server;
let baseUrl: string;
let connections = 0;
let handler: Handler;

before(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => handler(request, Buffer.concat(chunks).toString("utf8"), response));
  });
  server.on("connection", () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  connections = 0;
  handler = (_request, _body, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end("{}");
  };
});

describe("node:http fetch for the OpenAI SDK", () => {
  test("sends method, headers and body, and returns status, headers and body", async () => {
    handler = (request, body, response) => {
      response.writeHead(201, { "content-type": "application/json", "x-request-id": "req-1" });
      response.end(
        JSON.stringify({
          method: request.method,
          authorization: request.headers.authorization,
          type: request.headers["content-type"],
          body,
        }),
      );
    };
    const fetch = createHttpFetch();
    const response = await fetch(`${baseUrl}/v1/echo`, {
      method: "post",
      headers: new Headers({ Authorization: "Bearer sk-1", "Content-Type": "application/json" }),
      body: '{"hello":"world"}',
    });
    assert.equal(response.status, 201);
    assert.equal(response.ok, true);
    assert.equal(response.headers.get("x-request-id"), "req-1");
    assert.deepEqual(await response.json(), {
      method: "POST",
      authorization: "Bearer sk-1",
      type: "application/json",
      body: '{"hello":"world"}',
    });
    fetch.close();
  });

  test("sequential calls reuse one kept-alive connection", async () => {
    const fetch = createHttpFetch();
    for (let index = 0; index < 5; index++) {
      const response = await fetch(`${baseUrl}/v1/x`, { method: "POST", body: "{}" });
      await response.text();
    }
    assert.equal(connections, 1);
    fetch.close();
  });

  test("a connection the server drops on reuse is retried once on a new one", async () => {
    let served = 0;
    handler = (request, _body, response) => {
      served += 1;
      // The second request on the first connection finds it closed, as when a server's idle timeout wins.
      if (served === 2) {
        request.socket.destroy();
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ served }));
    };
    const fetch = createHttpFetch();
    await (await fetch(`${baseUrl}/v1/x`, { method: "POST", body: "{}" })).text();
    const second = await fetch(`${baseUrl}/v1/x`, { method: "POST", body: "{}" });
    assert.deepEqual(await second.json(), { served: 3 });
    assert.equal(connections, 2);
    fetch.close();
  });

  test("an aborted signal rejects with its reason and closes the request", async () => {
    handler = () => undefined; // never answers
    const fetch = createHttpFetch();
    const controller = new AbortController();
    const pending = fetch(`${baseUrl}/v1/x`, { method: "POST", body: "{}", signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(pending, (error: unknown) => error instanceof Error && error.name === "AbortError");
    const already = AbortSignal.abort(new DOMException("late", "TimeoutError"));
    await assert.rejects(
      fetch(`${baseUrl}/v1/x`, { method: "POST", body: "{}", signal: already }),
      (error: unknown) => error instanceof Error && error.name === "TimeoutError",
    );
    fetch.close();
  });

  test("a refused connection rejects as fetch does: TypeError with the cause", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const fetch = createHttpFetch();
    await assert.rejects(
      fetch(`http://127.0.0.1:${port}/v1/x`, { method: "POST", body: "{}" }),
      (error: unknown) =>
        error instanceof TypeError && (error.cause as NodeJS.ErrnoException).code === "ECONNREFUSED",
    );
    fetch.close();
  });

  test("a gzip reply is decoded; a 204 has no body", async () => {
    handler = (request, _body, response) => {
      if (request.url === "/empty") {
        response.writeHead(204);
        response.end();
        return;
      }
      response.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      response.end(gzipSync('{"zipped":true}'));
    };
    const fetch = createHttpFetch();
    const zipped = await fetch(`${baseUrl}/zipped`);
    assert.deepEqual(await zipped.json(), { zipped: true });
    assert.equal(zipped.headers.get("content-encoding"), null);
    const empty = await fetch(`${baseUrl}/empty`);
    assert.equal(empty.status, 204);
    assert.equal(empty.body, null);
    fetch.close();
  });

  test("the SDK works through it, errors included", async () => {
    handler = (request, _body, response) => {
      if (request.url?.endsWith("/models")) {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: "no such route", type: "not_found" } }));
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          id: "c1",
          object: "chat.completion",
          created: 0,
          model: "m",
          choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
        }),
      );
    };
    const fetch = createHttpFetch();
    const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: "sk", maxRetries: 0, fetch });
    const completion = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal(completion.choices[0]?.message.content, "hi");
    await assert.rejects(client.models.list(), (error: unknown) => error instanceof OpenAI.NotFoundError);
    fetch.close();
  });
});

describe("labeler warm-up", () => {
  test("readies the client without asking for a completion, and never throws", async () => {
    const llm = await startFakeOpenAi(answer("billing"));
    try {
      const labeler = createOpenAiLabeler({
        baseUrl: llm.baseUrl,
        model: "gpt-test",
        labels: [{ name: "billing" }, { name: "shipping" }],
      });
      await labeler.warmUp();
      assert.equal(llm.requests.length, 0, "no chat completion is sent (nor paid for)");
      assert.equal((await labeler.classify("invoice")).label, "billing");
    } finally {
      await llm.close();
    }
    const closed = await startFakeOpenAi();
    const unreachable = closed.baseUrl;
    await closed.close();
    const labeler = createOpenAiLabeler({
      baseUrl: unreachable,
      model: "gpt-test",
      labels: [{ name: "billing" }, { name: "shipping" }],
    });
    await labeler.warmUp(500);
  });
});
