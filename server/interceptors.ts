import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { FastifyBaseLogger } from "fastify";
import { kRemoteAddress } from "../shared/api/call-client.js";
import { isDecodeFailure } from "../shared/api/decode-errors.js";
import type { ClientErrors } from "./client-errors.js";
import type { ServerMetrics } from "./metrics.js";

/** The caller's address, passed from Fastify into each call's context values (shared/api reads it for the command log). */
export { kRemoteAddress };

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** True for loopback addresses (127.0.0.0/8, ::1, IPv4-mapped loopback). */
export const isLoopback = (address: string | undefined): boolean => address !== undefined && LOOPBACK.test(address);

/** The refusal of a non-loopback caller in protected mode. */
export const protectedModeError = (): ConnectError =>
  new ConnectError(
    "DENIED Memorabilia is running in protected mode: no authentication is configured, so only loopback clients are accepted. Configure auth tokens, or start with --no-protected-mode if you really want every client to connect.",
    Code.PermissionDenied,
  );

/**
 * Protected mode, as Redis has it: with no auth configured, calls from outside loopback are
 * refused with PERMISSION_DENIED and a message that says why and how to change it.
 */
export function protectedModeInterceptor(enabled: () => boolean): Interceptor {
  // Not an async function: it hands on next's promise as is (an async wrapper would add a promise
  // and two microtask turns per call); the refusal is a rejected promise, as an async throw is.
  return (next) => (req) => {
    if (enabled() && !isLoopback(req.contextValues.get(kRemoteAddress))) {
      return Promise.reject(protectedModeError());
    }
    return next(req);
  };
}

/**
 * Records every call in the metrics and logs unexpected failures (INTERNAL/UNKNOWN) once, with
 * their cause; expected errors (bad input, WRONGTYPE…) are not logged, so a flood of bad input
 * does not become a flood of logs.
 */
export function observeInterceptor(
  metrics: ServerMetrics,
  log: FastifyBaseLogger,
  clientErrors?: ClientErrors,
): Interceptor {
  // One procedure name per method, not a new string per call.
  const names = new WeakMap<object, string>();
  return (next) => async (req) => {
    let procedure = names.get(req.method);
    if (procedure === undefined) {
      procedure = `${req.service.typeName}/${req.method.name}`;
      names.set(req.method, procedure);
    }
    const t0 = performance.now();
    try {
      const res = await next(req);
      metrics.observeRpc(procedure, "ok", (performance.now() - t0) / 1000);
      return res;
    } catch (error) {
      const ce = ConnectError.from(error);
      // A request message that does not decode (a server stream's, parsed inside the handler) is
      // the client's mistake: answered INVALID_ARGUMENT (shared/api/decode-errors.ts), counted and
      // logged once in a while, never with a stack.
      if (ce.code === Code.Internal && isDecodeFailure(ce.rawMessage)) {
        metrics.observeRpc(procedure, Code[Code.InvalidArgument], (performance.now() - t0) / 1000);
        clientErrors?.note(
          "undecodable_request",
          req.contextValues.get(kRemoteAddress),
          `${procedure}: ${ce.rawMessage}`,
        );
        throw error;
      }
      metrics.observeRpc(procedure, Code[ce.code] ?? String(ce.code), (performance.now() - t0) / 1000);
      if (ce.code === Code.Internal || ce.code === Code.Unknown) {
        log.error({ procedure, err: ce.cause ?? ce }, "unexpected error in RPC handler");
      }
      throw error;
    }
  };
}
