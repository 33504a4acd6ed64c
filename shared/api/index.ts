/**
 * Memorabilia's API services: Connect implementations of the `memorabilia.v1` services over a
 * {@link Store}, runtime-neutral (they run in Node, browsers and edge runtimes alike).
 *
 * Every RPC runs the store's own commands (`store.run`), so the API has exactly the core's
 * semantics. Store errors reach clients through one table ({@link STORE_ERROR_CODES}) with the
 * Redis-style message, the store's code in the `memorabilia-error-code` header and an
 * `ErrorDetail`; anything unexpected becomes INTERNAL and goes to the {@link ApiLogger}.
 *
 * @example
 * ```ts
 * import { createStore } from "../store/store.js";
 * import { registerMemorabiliaServices } from "./index.js";
 * const routes = (router: ConnectRouter) => registerMemorabiliaServices(router, createStore());
 * ```
 */
export { createBitmapsService } from "./bitmaps-service.js";
export { COMMAND_ROUTES, CommandDispatcher } from "./command-dispatch.js";
export { createCommandService } from "./command-service.js";
export {
  type ApiLogger,
  connectCodeOf,
  consoleLogger,
  ERROR_CODE_HEADER,
  STORE_ERROR_CODES,
  toConnectError,
} from "./error-map.js";
export { createGeoService } from "./geo-service.js";
export { createHashesService } from "./hashes-service.js";
export { createHyperLogLogService } from "./hyperloglog-service.js";
export { createKeysService } from "./keys-service.js";
export { createListsService } from "./lists-service.js";
export { createPubSubService } from "./pubsub-service.js";
export { MEMORABILIA_SERVICES, registerMemorabiliaServices } from "./register.js";
export { registerStreamingServices, STREAMING_SERVICES } from "./register-streaming.js";
export { replyMessage } from "./reply-message.js";
export { createServerService } from "./server-service.js";
export type { ServiceOptions } from "./service-options.js";
export { createSetsService } from "./sets-service.js";
export { createSortedSetsService } from "./sorted-sets-service.js";
export {
  type EvictionUsage,
  type MemoryUsage,
  type PersistenceUsage,
  StreamCounter,
  type StreamingOptions,
} from "./streaming-options.js";
export { createStreamsService } from "./streams-service.js";
export { createStringsService } from "./strings-service.js";
export { createTransactionService } from "./transaction-service.js";
export { createWatchService } from "./watch-service.js";
