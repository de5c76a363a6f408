// The one module that reads process.env: every environment variable slmkit uses is named here.

export interface Environment {
  /** A variable by name, e.g. the use case's `llm.apiKeyEnv`; undefined when unset or empty. */
  get(name: string): string | undefined;
  /** `PORT`: the gateway's port for `npm start` / `slmkit serve`. Default 8787. */
  port: number;
  /** `CI`: "true" on CI, where tests must not skip services. */
  ci: boolean;
}

export function readEnvironment(source: NodeJS.ProcessEnv = process.env): Environment {
  const port = Number(source.PORT ?? 8787);
  return {
    get: (name) => {
      const value = source[name];
      return value === undefined || value === "" ? undefined : value;
    },
    port: Number.isInteger(port) && port >= 0 && port < 65536 ? port : 8787,
    ci: source.CI === "true",
  };
}
