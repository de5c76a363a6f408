import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import { parseOpenAiReference } from "../../src/models/openai/reference.js";

describe("openai:<model>@<baseUrl> references", () => {
  test("splits the model from the base URL", () => {
    assert.deepEqual(parseOpenAiReference("openai:gpt-4o-mini@https://api.openai.com/v1"), {
      model: "gpt-4o-mini",
      baseUrl: "https://api.openai.com/v1",
      azure: false,
    });
  });

  test("model names may hold ':' and '@'", () => {
    assert.equal(parseOpenAiReference("openai:llama3.2:1b@http://localhost:11434/v1").model, "llama3.2:1b");
    const tagged = parseOpenAiReference("openai:team@v2@http://127.0.0.1:8000/v1");
    assert.equal(tagged.model, "team@v2");
    assert.equal(tagged.baseUrl, "http://127.0.0.1:8000/v1");
  });

  test("no base URL means OpenAI's own API", () => {
    assert.equal(parseOpenAiReference("openai:gpt-4o").baseUrl, "https://api.openai.com/v1");
  });

  test("Azure hosts are recognised", () => {
    assert.equal(parseOpenAiReference("openai:dep@https://res.openai.azure.com/openai/v1").azure, true);
    assert.equal(parseOpenAiReference("openai:dep@https://res.services.ai.azure.com/openai/v1").azure, true);
    assert.equal(parseOpenAiReference("openai:dep@https://azure.example.com/v1").azure, false);
  });

  for (const bad of [
    "gguf:model.gguf",
    "openai:",
    "openai:@https://api.openai.com/v1",
    "openai:gpt@ftp://x",
    "openai:gpt@https://",
  ]) {
    test(`rejects ${JSON.stringify(bad)} with an example of the right form`, () => {
      assert.throws(
        () => parseOpenAiReference(bad),
        (error: unknown) =>
          SlmkitError.isInstance(error) &&
          error.code === "INVALID_OPTION" &&
          /e\.g\. openai:/.test(error.message),
      );
    });
  }
});
