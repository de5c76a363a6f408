// Parses `openai:<model>@<baseUrl>` model references (DESIGN.md, "Model references") and recognises Azure URLs.

import { SlmkitError } from "../../errors.js";

export interface OpenAiReference {
  model: string;
  /** The API's base URL; OpenAI's own (`https://api.openai.com/v1`) when the reference names none. */
  baseUrl: string;
  /** True for Azure OpenAI / Azure AI Foundry hosts, which authenticate with an `api-key` header. */
  azure: boolean;
}

export const defaultOpenAiBaseUrl = "https://api.openai.com/v1";

/** Host suffixes of Azure OpenAI and Azure AI Foundry endpoints. */
const azureHostSuffixes = [".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com"];

/**
 * `openai:gpt-4o-mini@https://api.openai.com/v1` → `{model: "gpt-4o-mini", baseUrl, azure: false}`. The model
 * ends at the first "@" that starts an http(s) URL, so model names may hold ":" or "@" (`llama3.2:1b`);
 * `openai:<model>` alone means OpenAI's own API.
 */
export function parseOpenAiReference(reference: string): OpenAiReference {
  const example =
    "e.g. openai:gpt-4o-mini@https://api.openai.com/v1 or openai:llama3.2@http://localhost:11434/v1";
  if (!reference.startsWith("openai:")) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `"${reference}" is not an OpenAI-compatible model reference (${example})`,
    );
  }
  const rest = reference.slice("openai:".length);
  const match = /^(.+?)@(https?:\/\/.+)$/i.exec(rest);
  const model = (match === null ? rest : (match[1] ?? "")).trim();
  const baseUrl = match === null ? defaultOpenAiBaseUrl : (match[2] ?? "");
  if (model === "" || model.startsWith("@")) {
    throw new SlmkitError("INVALID_OPTION", `model reference "${reference}" names no model (${example})`);
  }
  if (match === null && rest.includes("@")) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `model reference "${reference}": the part after "@" must be an http(s) base URL (${example})`,
    );
  }
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (error) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `model reference "${reference}": "${baseUrl}" is not a valid URL (${example})`,
      {
        cause: error,
      },
    );
  }
  return { model, baseUrl, azure: isAzureHost(url.hostname) };
}

/** Whether `hostname` belongs to Azure OpenAI or Azure AI Foundry. */
export function isAzureHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return azureHostSuffixes.some((suffix) => host.endsWith(suffix));
}

/** The reference string of a model at a base URL, as reports and logs name it. */
export function formatOpenAiReference(model: string, baseUrl: string): string {
  return `openai:${model}@${baseUrl}`;
}
