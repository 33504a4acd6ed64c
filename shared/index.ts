/**
 * Memorabilia's embedded store: `import { createStore } from "memorabilia"`.
 *
 * Runtime-neutral: runs unchanged in Node, browsers and edge runtimes.
 */
export {
  type Bytes,
  bytesFromArray,
  bytesFromUtf8,
  bytesToArray,
  bytesToUtf8,
  isUtf8,
  toBytes,
} from "./store/bytes.js";
export { type Clock, createManualClock, type ManualClock, systemClock } from "./store/clock.js";
export type {
  CommandFlag,
  CommandGroup,
  CommandInfo,
  CommandSpec,
  KeyspaceContext,
  KeyspaceHandler,
  KeyspaceOps,
  Limits,
} from "./store/command.js";
export { DEFAULT_LIMITS } from "./store/command.js";
export { ALL_COMMANDS, commandInfos } from "./store/commands.js";
export { type ErrorCode, StoreError } from "./store/errors.js";
export { EventBus, type EventClass, type EventFilter, type EventListener, type KeyspaceEvent } from "./store/events.js";
export type { SweepOptions, SweepRunResult, SweepStats } from "./store/expire.js";
export { compileGlob, globMatch } from "./store/glob.js";
export { MapRepository, type MapRepositoryOptions } from "./store/map-repository.js";
export { formatDouble, OK, type Reply, Status } from "./store/reply.js";
export type {
  EngineCapabilities,
  ExpireSliceResult,
  KeyPages,
  KeyspaceView,
  KeyView,
  LocalKeyspace,
  MaybePromise,
  Repository,
  RepositoryHost,
  RepositoryObserver,
  RepositoryStats,
  ScanFilter,
  ScanPage,
  StoredEntry,
  WatchHandle,
} from "./store/repository.js";
export {
  type Arg,
  createStore,
  Store,
  type StoreOptions,
  type StoreStats,
  type TransactionOptions,
} from "./store/store.js";
export type { TransactionMode } from "./store/transaction.js";
export { type ContainerValue, type KeyType, typeOf, type Value } from "./store/value.js";
