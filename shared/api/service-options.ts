/**
 * What every service factory takes, and the wrapper that routes every handler's failure through
 * the one error mapping.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { type ApiLogger, consoleLogger, toConnectError } from "./error-map.js";

/** Options of the service factories and of `registerMemorabiliaServices`. */
export interface ServiceOptions {
  /** Receives unexpected errors (mapped to INTERNAL). @default consoleLogger */
  readonly logger?: ApiLogger;
}

type UnaryHandler = (request: unknown, context: HandlerContext) => unknown;

/**
 * Wraps each handler of a service implementation so that whatever it throws reaches the client
 * as a mapped ConnectError (and unexpected errors are logged once).
 */
export function guarded<S extends DescService>(
  service: S,
  impl: ServiceImpl<S>,
  options: ServiceOptions = {},
): ServiceImpl<S> {
  const logger = options.logger ?? consoleLogger;
  const out: Record<string, UnaryHandler> = {};
  for (const [name, handler] of Object.entries(impl as Record<string, UnaryHandler>)) {
    const procedure = `/${service.typeName}/${service.method[name]?.name ?? name}`;
    const fail = (error: unknown): never => {
      throw toConnectError(error, logger, procedure);
    };
    // Not `async`: a handler that answers synchronously (GET, SET on the in-memory engine) is
    // answered as it returned, without a promise and an async frame per call. A throw is still
    // a rejection, as from an async function.
    out[name] = (request, context) => {
      try {
        const result = handler(request, context);
        return result instanceof Promise ? result.then(undefined, fail) : result;
      } catch (error) {
        return Promise.reject(toConnectError(error, logger, procedure));
      }
    };
  }
  return out as unknown as ServiceImpl<S>;
}
