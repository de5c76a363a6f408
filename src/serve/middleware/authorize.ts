// What a verified key may do. A key has a role (client < reviewer < admin, each with everything the one before it
// has) and may be scoped to some use cases. Each route declares the lowest role it needs in its options
// (`needs.reviewer`, i.e. `config: { role: "reviewer" }`), and one check made here refuses a key below it with a
// 403; a use case outside the key's scope is the same 404 as one that does not exist (`findUseCaseFor`), so a
// scope does not leak names.

import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from "fastify";
import type { ApiKeyRecord, ApiKeyRole } from "../../store/types.js";
import { permissionDenied, useCaseNotFound } from "../errors.js";
import { findUseCase, type UseCaseRuntime } from "../runtime.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The lowest role a key needs for this route. A keyed route that declares none is admin-only: a route added
     * without thinking about it is closed, not open.
     */
    role?: ApiKeyRole;
  }
}

const rank: Readonly<Record<ApiKeyRole, number>> = { client: 0, reviewer: 1, admin: 2 };

/** A route's options declaring the lowest role it needs: `app.post(path, needs.admin, handler)`. */
export const needs = {
  client: { config: { role: "client" } },
  reviewer: { config: { role: "reviewer" } },
  admin: { config: { role: "admin" } },
} as const;

/** Whether the key has `role` or a higher one. No key (auth turned off, `--no-auth`) may do everything. */
export function hasRole(key: ApiKeyRecord | null, role: ApiKeyRole): boolean {
  return key === null || rank[key.role] >= rank[role];
}

/** Whether the key may see the use case. No key (auth turned off) sees every use case. */
export function mayUseCase(key: ApiKeyRecord | null, useCaseId: string): boolean {
  return key === null || key.useCases === null || key.useCases.includes(useCaseId);
}

/** The served use cases the key may see, in the order they are served. */
export function visibleUseCases(
  key: ApiKeyRecord | null,
  useCases: ReadonlyMap<string, UseCaseRuntime>,
): UseCaseRuntime[] {
  const all = [...useCases.values()];
  return key === null || key.useCases === null ? all : all.filter((useCase) => mayUseCase(key, useCase.id));
}

/** `findUseCase` for the request's key: a use case outside its scope is the 404 of an unknown one. */
export function findUseCaseFor(
  request: FastifyRequest,
  useCases: ReadonlyMap<string, UseCaseRuntime>,
  id: string,
  param: string,
): UseCaseRuntime {
  if (!mayUseCase(request.apiKey, id)) throw useCaseNotFound(id, param);
  return findUseCase(useCases, id, param);
}

export interface AuthorizationOptions {
  /** Paths served without a key (probes, the dashboard's pages): they need no role. */
  isPublic(path: string): boolean;
}

/**
 * Makes each route's declared role count. Call it before the routes are registered. A route that needs more than
 * `client` gets one callback `onRequest` hook, run after the key is verified and before the body is read; a
 * client route (chat, predict) gets none, since every key is at least a client: the chat path costs nothing more.
 */
export function registerAuthorization(app: FastifyInstance, options: AuthorizationOptions): void {
  app.addHook("onRoute", (route) => {
    if (options.isPublic(route.url)) return;
    const role = route.config?.role ?? "admin";
    if (role === "client") return;
    const check = requireRole(role);
    const existing = route.onRequest;
    route.onRequest =
      existing === undefined ? [check] : [...(Array.isArray(existing) ? existing : [existing]), check];
  });
}

function requireRole(role: ApiKeyRole): onRequestHookHandler {
  return (request, _reply, done) => {
    const key = request.apiKey;
    if (hasRole(key, role)) done();
    else {
      const what = `${request.method} ${request.routeOptions.url ?? request.url}`;
      done(permissionDenied(role, (key as ApiKeyRecord).role, what));
    }
  };
}
