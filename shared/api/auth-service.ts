/**
 * AuthService: tells a caller who the server thinks it is (Redis `ACL WHOAMI`, plus the role and
 * key patterns), so a console can ask for a token or hide what the token may not do.
 * Runtime-neutral: the host authenticates the call and puts the {@link CallerIdentity} in the
 * call's context values under {@link kCallerIdentity}.
 */
import { Code, ConnectError, createContextKey, type ServiceImpl } from "@connectrpc/connect";
import { type AuthService, Role } from "../gen/memorabilia/v1/auth_service_pb.js";

/** The authenticated caller, as the host's auth layer resolved it. */
export interface CallerIdentity {
  readonly name: string;
  readonly role: "admin" | "readwrite" | "readonly";
  /** Redis globs of the keys the caller may touch; empty means every key. */
  readonly keyPatterns: readonly string[];
}

/** Where the host puts the caller's identity (undefined: anonymous). */
export const kCallerIdentity = createContextKey<CallerIdentity | undefined>(undefined, {
  description: "authenticated caller",
});

const ROLES = { admin: Role.ADMIN, readwrite: Role.READWRITE, readonly: Role.READONLY } as const;

/** Options of {@link createAuthService}. */
export interface AuthServiceOptions {
  /** True when the host requires a token (an anonymous call then gets UNAUTHENTICATED). */
  readonly authRequired: boolean;
}

/** Creates the AuthService implementation. */
export function createAuthService(options: AuthServiceOptions): ServiceImpl<typeof AuthService> {
  return {
    whoAmI(_request, context) {
      const id = context.values.get(kCallerIdentity);
      if (id === undefined) {
        if (options.authRequired) throw new ConnectError("a bearer token is required", Code.Unauthenticated);
        // No auth configured: every caller the host lets in is the anonymous admin (Redis's default user).
        return { authRequired: false, name: "default", role: Role.ADMIN, keyPatterns: [] };
      }
      return {
        authRequired: options.authRequired,
        name: id.name,
        role: ROLES[id.role],
        keyPatterns: [...id.keyPatterns],
      };
    },
  };
}
