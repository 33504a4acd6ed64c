/**
 * Registers the streaming and session services (Watch, Pub/Sub, transactions, server info) on a
 * Connect router.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { PubSubService } from "../gen/memorabilia/v1/pubsub_service_pb.js";
import { ServerService } from "../gen/memorabilia/v1/server_service_pb.js";
import { StreamReaderService } from "../gen/memorabilia/v1/streams_service_pb.js";
import { TransactionService } from "../gen/memorabilia/v1/transaction_service_pb.js";
import { WatchService } from "../gen/memorabilia/v1/watch_service_pb.js";
import { PubSubHub } from "../store/pubsub.js";
import type { Store } from "../store/store.js";
import { createPubSubService } from "./pubsub-service.js";
import { createServerService } from "./server-service.js";
import { createStreamReaderService } from "./stream-reader-service.js";
import { resolveStreamingOptions, StreamCounter, type StreamingOptions } from "./streaming-options.js";
import { createTransactionService } from "./transaction-service.js";
import { createWatchService } from "./watch-service.js";

/** The descriptors of every service {@link registerStreamingServices} registers (for reflection, health, docs). */
export const STREAMING_SERVICES: readonly DescService[] = [
  WatchService,
  PubSubService,
  TransactionService,
  ServerService,
  StreamReaderService,
];

/**
 * Registers WatchService, PubSubService, TransactionService, ServerService and StreamReaderService over `store` on
 * `router`, sharing one Pub/Sub hub (`options.pubsub`, else a new one) and one count of open
 * streams (`options.streams`, else a new one: reported by Info, capped at `options.maxStreams`).
 * Returns the router.
 *
 * @example
 * ```ts
 * const store = createStore();
 * const transport = createRouterTransport((router) => {
 *   registerMemorabiliaServices(router, store);
 *   registerStreamingServices(router, store, { heartbeatDefaultMs: 15_000 });
 * });
 * ```
 */
export function registerStreamingServices(
  router: ConnectRouter,
  store: Store,
  options: StreamingOptions = {},
): ConnectRouter {
  const hub = options.pubsub ?? new PubSubHub();
  const streams = options.streams ?? new StreamCounter();
  const resolved = resolveStreamingOptions(options);
  streams.limit = resolved.maxStreams;
  streams.budget.limit = resolved.outputBufferTotalBytes;
  return router
    .service(WatchService, createWatchService(store, options, streams))
    .service(PubSubService, createPubSubService(hub, store.clock, options, streams))
    .service(TransactionService, createTransactionService(store, options, streams))
    .service(ServerService, createServerService(store, hub, options, streams))
    .service(StreamReaderService, createStreamReaderService(store, options, streams));
}
