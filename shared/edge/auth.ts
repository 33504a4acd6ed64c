/**
 * Bearer-token auth for the edge handler: optional tokens with roles, compared in constant time,
 * checked by a Connect interceptor so every protocol gets the right error shape, against the one
 * policy of shared/auth (the Node server applies the same rules).
 * No token configured: every caller is the anonymous admin (as Redis's default user); a missing
 * or unknown token is UNAUTHENTICATED; a valid token without the rights is PERMISSION_DENIED; an
 * RPC the policy does not classify is refused; health checks need no token.
 */
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import { requestAccess } from "../auth/ahead.js";
import { rpcDenial } from "../auth/authorize.js";
import { createCaller, type Role as RoleName } from "../auth/caller.js";
import { type RpcRule, rpcRule } from "../auth/rpc-rules.js";
import { AuthService, Role } from "../gen/memorabilia/v1/auth_service_pb.js";
import type { CommandSpec } from "../store/command.js";

export type { RoleName };

/** One accepted token. */
export interface EdgeToken {
  /** A name for logs and WhoAmI (never the token itself). */
  readonly name: string;
  /** The secret callers send as `Authorization: Bearer <token>`. */
  readonly token: string;
  readonly role: RoleName;
}

/** Who a call comes from, as the auth interceptor decided. */
export interface Identity {
  readonly name: string;
  readonly role: RoleName;
  readonly authRequired: boolean;
}

/** The caller's identity, set on every call's context values by {@link authInterceptor}. */
export const kIdentity = createContextKey<Identity>({ name: "default", role: "admin", authRequired: false });

const encoder = new TextEncoder();

/**
 * Compares two strings in time that depends only on their lengths' maximum, never on where they
 * first differ.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The token a header carries (`Bearer <token>`), or undefined. */
export function bearerToken(authorization: string | null): string | undefined {
  const m = authorization === null ? null : /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m?.[1];
}

/** Finds the token's entry, looking at every entry whatever matches (no early exit). */
export function findToken(tokens: readonly EdgeToken[], presented: string): EdgeToken | undefined {
  let found: EdgeToken | undefined;
  for (const t of tokens) if (constantTimeEqual(t.token, presented) && found === undefined) found = t;
  return found;
}

/**
 * The interceptor that authenticates each call and checks it against the shared policy: the
 * RPC's rule, and the commands the request carries judged ahead ({@link requestAccess}).
 * `rules` classifies RPCs of routes the host adds (others are refused when tokens are on).
 */
export function authInterceptor(
  tokens: readonly EdgeToken[],
  commands: ReadonlyMap<string, CommandSpec>,
  rules: Readonly<Record<string, RpcRule>> = {},
): Interceptor {
  const authRequired = tokens.length > 0;
  return (next) => async (req) => {
    let identity: Identity = { name: "default", role: "admin", authRequired };
    const rule = rpcRule(req.service.typeName, req.method.name, commands, rules);
    if (authRequired && rule?.kind !== "public") {
      const presented = bearerToken(req.header.get("authorization"));
      const entry = presented === undefined ? undefined : findToken(tokens, presented);
      if (entry === undefined) {
        throw new ConnectError(
          presented === undefined ? "a bearer token is required" : "invalid token",
          Code.Unauthenticated,
        );
      }
      identity = { name: entry.name, role: entry.role, authRequired };
      const message = req.stream ? undefined : req.message;
      const denial = rpcDenial(createCaller(entry.name, entry.role), req.method.name, rule, {
        message,
        ahead: requestAccess(commands, req.method, message),
      });
      if (denial !== undefined) throw new ConnectError(denial, Code.PermissionDenied);
    }
    req.contextValues.set(kIdentity, identity);
    return next(req);
  };
}

const ROLES: Readonly<Record<RoleName, Role>> = {
  admin: Role.ADMIN,
  readwrite: Role.READWRITE,
  readonly: Role.READONLY,
};

/** Registers `memorabilia.v1.AuthService` (WhoAmI answers from the identity the interceptor set). */
export function registerAuthService(router: ConnectRouter): ConnectRouter {
  return router.service(AuthService, {
    whoAmI(_req, ctx) {
      const id = ctx.values.get(kIdentity);
      return { authRequired: id.authRequired, name: id.name, role: ROLES[id.role], keyPatterns: [] };
    },
  });
}
