import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { FastifyBaseLogger } from "fastify";
import {
  MEMORABILIA_SERVICES,
  registerMemorabiliaServices,
  registerStreamingServices,
  STREAMING_SERVICES,
} from "../shared/api/index.js";
import type { StreamingOptions } from "../shared/api/streaming-options.js";
import type { Store } from "../shared/index.js";
import type { PubSubHub } from "../shared/store/pubsub.js";
import type { HostStats } from "./host-stats.js";
import { VERSION } from "./package-root.js";

/** The Memorabilia API routes and the services they register (for reflection and health). */
export interface ApiRoutes {
  readonly services: DescService[];
  routes(router: ConnectRouter): void;
}

/** Options of {@link apiRoutes}. */
export interface ApiRoutesOptions {
  /** Default heartbeat interval of idle server streams. */
  readonly heartbeatMs: number;
  readonly logger: FastifyBaseLogger;
  /** Open client connections, for ServerService.Info. */
  readonly connectedClients?: () => number;
  /** Persistence and eviction counters, for ServerService.Info. */
  readonly hostStats?: HostStats;
  /** Stream limits and their counter (`--max-streams`, `--stream-buffer-*`). */
  readonly streams?: Pick<
    StreamingOptions,
    | "maxStreams"
    | "outputBufferHardBytes"
    | "outputBufferSoftBytes"
    | "outputBufferSoftMs"
    | "outputBufferTotalBytes"
    | "streams"
  >;
  /** The Pub/Sub hub (shared with the RESP port); a new one when absent. */
  readonly pubsub?: PubSubHub;
}

/** The package version (INFO). */
export { VERSION };

/**
 * The API services over `store`: the data-type services, Watch, Pub/Sub, transactions
 * (Exec, Batch, Pipeline) and server info/config, logging unexpected errors through the
 * server's logger.
 */
export function apiRoutes(store: Store, options: ApiRoutesOptions): ApiRoutes {
  const logger = {
    error(message: string, details: { readonly error: unknown; readonly procedure?: string }) {
      options.logger.error({ err: details.error, procedure: details.procedure }, message);
    },
  };
  const startedAtMs = Date.now();
  return {
    services: [...MEMORABILIA_SERVICES, ...STREAMING_SERVICES],
    routes(router) {
      registerMemorabiliaServices(router, store, { logger });
      registerStreamingServices(router, store, {
        logger,
        heartbeatDefaultMs: options.heartbeatMs,
        heartbeatMinMs: Math.min(1000, options.heartbeatMs),
        version: VERSION,
        startedAtMs,
        connectedClients: options.connectedClients,
        // Watch events fan out right after the turn that wrote them (no 1 ms timer clamp).
        defer: (fn) => setImmediate(fn),
        ...options.streams,
        pubsub: options.pubsub,
        persistence: options.hostStats?.persistence,
        eviction: options.hostStats?.eviction,
        memoryUsage: () => {
          const m = process.memoryUsage();
          return { heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, rssBytes: m.rss };
        },
      });
    },
  };
}
