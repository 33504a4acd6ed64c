/**
 * The server-streaming services the edge and embedded hosts serve beside the unary ones: Watch
 * (keyspace events) and Pub/Sub. Server streams cross a Fetch Response (Connect and gRPC-Web);
 * client and bidi streams do not, so they are left to the Node server.
 */
import type { ConnectRouter } from "@connectrpc/connect";
import { createPubSubService } from "../api/pubsub-service.js";
import { StreamCounter, type StreamingOptions } from "../api/streaming-options.js";
import { createWatchService } from "../api/watch-service.js";
import { PubSubService } from "../gen/memorabilia/v1/pubsub_service_pb.js";
import { WatchService } from "../gen/memorabilia/v1/watch_service_pb.js";
import { createPubSubHub } from "../store/pubsub.js";
import type { Store } from "../store/store.js";

/** The streaming services {@link registerEdgeStreaming} registers. */
export const EDGE_STREAMING_SERVICES = [WatchService, PubSubService] as const;

/** Registers WatchService and PubSubService over `store` on `router`. */
export function registerEdgeStreaming(router: ConnectRouter, store: Store, options: StreamingOptions = {}): void {
  const streams = new StreamCounter();
  router
    .service(WatchService, createWatchService(store, options, streams))
    .service(PubSubService, createPubSubService(options.pubsub ?? createPubSubHub(), store.clock, options, streams));
}
