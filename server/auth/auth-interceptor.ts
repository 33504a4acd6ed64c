/**
 * Authentication and authorization of every RPC and stream, on every protocol (gRPC, gRPC-Web and
 * Connect all carry `Authorization: Bearer <token>`), by the one policy of shared/auth.
 *
 * - No token, or a token that matches none: UNAUTHENTICATED (and the address's throttle spends a
 *   try; past its burst: RESOURCE_EXHAUSTED, see login-throttle.ts).
 * - A valid token without the right: PERMISSION_DENIED (the RPC's rule, or the store's NOPERM
 *   from the per-command check). An RPC or a command the policy does not classify: refused.
 *
 * The caller is kept in an AsyncLocalStorage while the handler runs (and while each message of a
 * stream is produced), so the store's admission hook checks every command an RPC runs — one
 * command for a typed RPC, each command of Execute, Batch, Exec and Pipeline — against the
 * caller's role and key patterns. A command run with no caller in scope while tokens are on is
 * refused (fail closed).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  Code,
  ConnectError,
  createContextKey,
  type Interceptor,
  type StreamResponse,
  type UnaryResponse,
} from "@connectrpc/connect";
import { kCallerIdentity } from "../../shared/api/auth-service.js";
import { authorizeCommand, rpcDenial, rpcRule } from "../../shared/auth/index.js";
import type { Bytes } from "../../shared/store/bytes.js";
import type { CommandSpec } from "../../shared/store/command.js";
import { createCommandTable } from "../../shared/store/commands.js";
import { kRemoteAddress } from "../interceptors.js";
import { bearerToken, Login } from "./login.js";
import type { Principal, TokenRegistry } from "./tokens.js";

export { bearerToken };

/**
 * The caller the request gate authenticated from this request's headers (request-gate.ts,
 * caller-precheck.ts), set in the call's context values by the host, never from anything the
 * client sends. With it the interceptor does not check the token a second time.
 */
export const kGateCaller = createContextKey<Principal | undefined>(undefined, { description: "gate caller" });

/** The caller of the RPC being handled (undefined outside RPCs: start-up, sweeps, persistence). */
export const currentPrincipal = new AsyncLocalStorage<Principal>();

/**
 * The store admission check: the current caller may run this command on these keys. No caller in
 * scope (a command that did not come from an authenticated RPC) is refused: never fail open.
 */
export function authorizeCurrent(spec: CommandSpec, argv: readonly Bytes[]): void {
  authorizeCommand(currentPrincipal.getStore(), spec, argv);
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

/** Options of {@link authInterceptor}. */
export interface AuthInterceptorOptions {
  /** The store's command table (the typed data RPCs are classified by it). @default the built-in table */
  readonly commands?: ReadonlyMap<string, CommandSpec>;
}

/**
 * The interceptor (install it first, so nothing runs before it). `tokens`: the registry (a
 * {@link Login} with default throttling is made for it), or the server's Login (shared with
 * `/metrics`, counted and logged).
 */
export function authInterceptor(tokens: TokenRegistry | Login, options: AuthInterceptorOptions = {}): Interceptor {
  const login = tokens instanceof Login ? tokens : new Login(tokens);
  const commands = options.commands ?? createCommandTable();
  return (next) => async (req) => {
    const rule = rpcRule(req.service.typeName, req.method.name, commands);
    if (rule?.kind === "public") return next(req);
    // Checked once: by the request gate from the headers when it saw the request (every RPC path
    // of the Node host), else here (hosts and tests without the gate).
    const p =
      req.contextValues.get(kGateCaller) ??
      login.authenticate(
        req.header.get("authorization"),
        req.contextValues.get(kRemoteAddress),
        `${req.service.typeName}/${req.method.name}`,
      );
    req.contextValues.set(kCallerIdentity, { name: p.name, role: p.role, keyPatterns: p.patterns });
    // A server stream's request is its one message: read it to judge it (Watch's pattern), hand it on.
    let message: unknown;
    if (rule?.kind === "pattern" && req.stream && p.matchers !== null) {
      const it = req.message[Symbol.asyncIterator]();
      const first = await it.next();
      message = first.value;
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
    } else if (!req.stream) message = req.message;
    // Commands are checked one by one, with their keys, by the store's admission hook.
    const denial = rpcDenial(p, req.method.name, rule, { message });
    if (denial !== undefined) throw new ConnectError(denial, Code.PermissionDenied);
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
