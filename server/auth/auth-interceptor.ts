/**
 * Authentication and authorization of every RPC and stream, on every protocol (gRPC, gRPC-Web and
 * Connect all carry `Authorization: Bearer <token>`).
 *
 * - No token, or a token that matches none: UNAUTHENTICATED.
 * - A valid token without the right: PERMISSION_DENIED (the RPC's rule in rpc-policy.ts, or the
 *   store's NOPERM from the per-command check).
 *
 * The caller is kept in an AsyncLocalStorage while the handler runs (and while each message of a
 * stream is produced), so the store's admission hook checks every command an RPC runs — one
 * command for a typed RPC, each command of Execute, Batch, Exec and Pipeline — against the
 * caller's role and key patterns.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Code, ConnectError, type Interceptor, type StreamResponse, type UnaryResponse } from "@connectrpc/connect";
import { kCallerIdentity } from "../../shared/api/auth-service.js";
import type { Bytes } from "../../shared/store/bytes.js";
import type { CommandSpec } from "../../shared/store/command.js";
import { authorizeCommand, patternCovered } from "./authorize.js";
import { roleAtLeast, rpcRule } from "./rpc-policy.js";
import type { Principal, TokenRegistry } from "./tokens.js";

/** The caller of the RPC being handled (undefined outside RPCs: start-up, sweeps, persistence). */
export const currentPrincipal = new AsyncLocalStorage<Principal>();

/** The store admission check: the current caller may run this command on these keys. */
export function authorizeCurrent(spec: CommandSpec, argv: readonly Bytes[]): void {
  const p = currentPrincipal.getStore();
  if (p !== undefined) authorizeCommand(p, spec, argv);
}

const BEARER = /^Bearer[ ]+([^\s]+)\s*$/i;

/** The bearer token of a request, or undefined. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  return BEARER.exec(header)?.[1];
}

function unauthenticated(hadToken: boolean): ConnectError {
  return new ConnectError(
    hadToken ? "invalid token" : "a bearer token is required (Authorization: Bearer <token>)",
    Code.Unauthenticated,
  );
}

/** Wraps a stream's messages so each one is produced with the caller in scope. */
function inScope<T>(p: Principal, messages: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = messages[Symbol.asyncIterator]();
      return {
        next: (v?: unknown) => currentPrincipal.run(p, () => it.next(v as never)),
        return: (v?: unknown) =>
          currentPrincipal.run(p, () =>
            it.return ? it.return(v as never) : Promise.resolve({ done: true, value: v as T }),
          ),
        throw: (e?: unknown) => currentPrincipal.run(p, () => (it.throw ? it.throw(e) : Promise.reject(e))),
      };
    },
  };
}

/** The interceptor (install it first, so nothing runs before it). */
export function authInterceptor(tokens: TokenRegistry): Interceptor {
  return (next) => async (req) => {
    const rule = rpcRule(req.service.typeName, req.method.name);
    if (rule.kind === "public") return next(req);
    const secret = bearerToken(req.header.get("authorization"));
    const p = secret === undefined ? undefined : tokens.authenticate(secret);
    if (p === undefined) throw unauthenticated(secret !== undefined);
    req.contextValues.set(kCallerIdentity, { name: p.name, role: p.role, keyPatterns: p.patterns });
    if (rule.kind === "role" && !roleAtLeast(p.role, rule.role)) {
      throw new ConnectError(
        `token '${p.name}' (${p.role}) may not call ${req.method.name}: it needs ${rule.role}`,
        Code.PermissionDenied,
      );
    }
    if (rule.kind === "pattern") {
      if (!roleAtLeast(p.role, rule.role))
        throw new ConnectError(`token '${p.name}' may not call ${req.method.name}`, Code.PermissionDenied);
      if (p.matchers !== null) {
        const check = (message: unknown): void => {
          const pattern = (message as { pattern?: string } | undefined)?.pattern || "*";
          if (!patternCovered(p, pattern))
            throw new ConnectError(
              `token '${p.name}' may not watch '${pattern}': it is limited to ${p.patterns.join(", ")}`,
              Code.PermissionDenied,
            );
        };
        if (!req.stream) check(req.message);
        else {
          // A server stream's request is its one message: read it, check it, hand it on.
          const it = req.message[Symbol.asyncIterator]();
          const first = await it.next();
          check(first.value);
          req = {
            ...req,
            message: (async function* () {
              if (!first.done) yield first.value;
              for (;;) {
                const r = await it.next();
                if (r.done) return;
                yield r.value;
              }
            })(),
          };
        }
      }
    }
    if (req.stream) {
      // Client or bidi stream: the request messages are read inside the handler, in scope.
      const res = (await currentPrincipal.run(p, () => next(req))) as StreamResponse;
      return { ...res, message: inScope(p, res.message) } as StreamResponse;
    }
    const res = await currentPrincipal.run(p, () => next(req));
    if (res.stream) return { ...res, message: inScope(p, (res as StreamResponse).message) } as StreamResponse;
    return res as UnaryResponse;
  };
}
