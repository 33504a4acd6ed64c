import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { FastifyBaseLogger } from "fastify";
import { MEMORABILIA_SERVICES, registerMemorabiliaServices } from "../shared/api/index.js";
import type { Store } from "../shared/index.js";

/** The Memorabilia API routes and the services they register (for reflection and health). */
export interface ApiRoutes {
  readonly services: DescService[];
  routes(router: ConnectRouter): void;
}

/** The API services over `store`, logging unexpected errors through the server's logger. */
export function apiRoutes(store: Store, options: { heartbeatMs: number; logger: FastifyBaseLogger }): ApiRoutes {
  const logger = {
    error(message: string, details: { readonly error: unknown; readonly procedure?: string }) {
      options.logger.error({ err: details.error, procedure: details.procedure }, message);
    },
  };
  return {
    services: [...MEMORABILIA_SERVICES],
    routes(router) {
      registerMemorabiliaServices(router, store, { logger });
    },
  };
}
