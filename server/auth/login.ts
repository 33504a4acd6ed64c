/**
 * From an `Authorization` header to a caller, for every path that authenticates (the RPC
 * interceptor, `/metrics`): the token lookup, and what a failure costs the client that sent it
 * (a count, a rate-limited log line, the per-address throttle).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { FailedLoginLog, type LoginFailure, LoginThrottle, type WarnLogger } from "./login-throttle.js";
import type { Principal, TokenRegistry } from "./tokens.js";

const BEARER = /^Bearer[ ]+([^\s]+)\s*$/i;

/** The bearer token of a request, or undefined. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  return BEARER.exec(header)?.[1];
}

/** Options of {@link Login}. */
export interface LoginOptions {
  /** The per-address throttle. @default a {@link LoginThrottle} with its defaults */
  readonly throttle?: LoginThrottle;
  /** Where failures are logged (rate-limited). @default nowhere */
  readonly log?: WarnLogger;
  /** Counts each failure (the server's metric). */
  readonly onFailure?: (failure: LoginFailure) => void;
}

/** Authenticates requests against the configured tokens. */
export class Login {
  private readonly throttle: LoginThrottle;
  private readonly failures: FailedLoginLog | undefined;

  constructor(
    readonly tokens: TokenRegistry,
    private readonly options: LoginOptions = {},
  ) {
    this.throttle = options.throttle ?? new LoginThrottle();
    this.failures = options.log === undefined ? undefined : new FailedLoginLog(options.log);
  }

  /**
   * The caller whose token `authorization` carries, sent from `address` to call `procedure`.
   * Throws UNAUTHENTICATED (no token, or none matches) or, for an address that sent too many
   * wrong tokens lately, RESOURCE_EXHAUSTED without looking at the token.
   */
  authenticate(authorization: string | null | undefined, address: string | undefined, procedure: string): Principal {
    return this.authenticateSecret(bearerToken(authorization), address, procedure);
  }

  /**
   * The caller whose secret is `secret` (undefined: none was given), as {@link authenticate}: the
   * same throttle, counts and log for hosts without an `Authorization` header (the RESP port's AUTH).
   */
  authenticateSecret(secret: string | undefined, address: string | undefined, procedure: string): Principal {
    const from = address ?? "unknown";
    if (this.throttle.blocked(from)) {
      this.failed("throttled", from, procedure);
      throw new ConnectError(
        `too many failed authentications from this address: retry in ${this.throttle.retryAfterSeconds(from)} s`,
        Code.ResourceExhausted,
      );
    }
    const caller = secret === undefined ? undefined : this.tokens.authenticate(secret);
    if (caller !== undefined) return caller;
    if (secret === undefined) {
      this.failed("missing", from, procedure);
      throw new ConnectError("a bearer token is required (Authorization: Bearer <token>)", Code.Unauthenticated);
    }
    this.throttle.fail(from);
    this.failed("invalid", from, procedure);
    throw new ConnectError("invalid token", Code.Unauthenticated);
  }

  private failed(failure: LoginFailure, address: string, procedure: string): void {
    this.options.onFailure?.(failure);
    this.failures?.note(failure, address, procedure);
  }
}
