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
    out[name] = async (request, context) => {
      try {
        return await handler(request, context);
      } catch (error) {
        throw toConnectError(error, logger, procedure);
      }
    };
  }
  return out as unknown as ServiceImpl<S>;
}
