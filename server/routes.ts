import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { FastifyBaseLogger } from "fastify";
import type { Store } from "../shared/index.js";

/** The Memorabilia API routes and the services they register (for reflection and health). */
export interface ApiRoutes {
  readonly services: DescService[];
  routes(router: ConnectRouter): void;
}

/** The API services over `store`. */
export function apiRoutes(_store: Store, _options: { heartbeatMs: number; logger: FastifyBaseLogger }): ApiRoutes {
  // Wired to shared/api once its services land.
  return { services: [], routes: () => {} };
}
