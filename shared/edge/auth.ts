/**
 * Bearer-token auth for the edge handler: optional tokens with roles, compared in constant time,
 * checked by a Connect interceptor so every protocol gets the right error shape.
 * No token configured: every caller is the anonymous admin (as Redis's default user); a missing
 * or unknown token is UNAUTHENTICATED; a valid token without the rights is PERMISSION_DENIED.
 */
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import { AuthService, Role } from "../gen/memorabilia/v1/auth_service_pb.js";
import type { CommandSpec } from "../store/command.js";
import { type Access, rpcAccess } from "./access.js";

/** A role: what a token may do. */
export type RoleName = "admin" | "readwrite" | "readonly";

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

const ALLOWED: Readonly<Record<RoleName, readonly Access[]>> = {
  admin: ["read", "write", "admin"],
  readwrite: ["read", "write"],
  readonly: ["read"],
};

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
 * The interceptor that authenticates each call and checks its role against what the RPC needs
 * ({@link rpcAccess}, from the command table's flags).
 */
export function authInterceptor(tokens: readonly EdgeToken[], commands: ReadonlyMap<string, CommandSpec>): Interceptor {
  const authRequired = tokens.length > 0;
  return (next) => async (req) => {
    let identity: Identity = { name: "default", role: "admin", authRequired };
    if (authRequired) {
      const presented = bearerToken(req.header.get("authorization"));
      const entry = presented === undefined ? undefined : findToken(tokens, presented);
      if (entry === undefined) {
        throw new ConnectError(
          presented === undefined ? "a bearer token is required" : "invalid token",
          Code.Unauthenticated,
        );
      }
      identity = { name: entry.name, role: entry.role, authRequired };
      const needs = rpcAccess(commands, req.method, req.stream ? undefined : req.message);
      if (!ALLOWED[entry.role].includes(needs)) {
        throw new ConnectError(
          `token '${entry.name}' (${entry.role}) may not call ${req.method.name}: it needs ${needs} access`,
          Code.PermissionDenied,
        );
      }
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
