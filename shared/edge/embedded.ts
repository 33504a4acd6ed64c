/**
 * The API inside the page: a Connect transport that calls the services in-process over a store,
 * with no network (the console's demo and offline mode, tests, and any embedder).
 */
import { createRouterTransport, type Transport } from "@connectrpc/connect";
import { type ApiLogger, consoleLogger } from "../api/error-map.js";
import { registerMemorabiliaServices } from "../api/register.js";
import { registerStreamingServices } from "../api/register-streaming.js";
import type { StreamingOptions } from "../api/streaming-options.js";
import type { Store } from "../store/store.js";
import { registerAuthService } from "./auth.js";

/** Options of {@link createEmbeddedTransport}. */
export interface EmbeddedTransportOptions {
  /** Receives unexpected errors. @default consoleLogger */
  readonly logger?: ApiLogger;
  /** Options of the streaming services (heartbeats, slow-reader bound, …). */
  readonly streaming?: StreamingOptions;
}

/**
 * A transport serving every Memorabilia service over `store` in-process; create clients on it
 * with `createClient(StringsService, transport)`. The caller is the anonymous admin. Start the
 * store (`store.start()`) for active expiry; lazy expiry works without it.
 */
export function createEmbeddedTransport(store: Store, options: EmbeddedTransportOptions = {}): Transport {
  const logger = options.logger ?? consoleLogger;
  return createRouterTransport((router) => {
    registerMemorabiliaServices(router, store, { logger });
    registerStreamingServices(router, store, { logger, ...options.streaming });
    registerAuthService(router);
  });
}
