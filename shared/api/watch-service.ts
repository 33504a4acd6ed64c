/**
 * WatchService: keyspace events as a server stream, with an optional snapshot of the matching keys
 * first, heartbeats on idle streams, and a bound on what a slow client may leave queued.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type KeyTtlSchema, TtlStatus } from "../gen/memorabilia/v1/types_pb.js";
import {
  EventClass,
  type KeyspaceEventSchema,
  type WatchRequest,
  type WatchResponseSchema,
  WatchService,
} from "../gen/memorabilia/v1/watch_service_pb.js";
import { type Bytes, bytesFromUtf8, bytesToUtf8 } from "../store/bytes.js";
import type { KeyspaceEvent, EventClass as StoreEventClass } from "../store/events.js";
import type { Store } from "../store/store.js";
import { int, token } from "./args.js";
import { invoke } from "./invoke.js";
import { readKeyInfos } from "./key-info.js";
import { scanPageOf } from "./replies.js";
import { StreamQueue } from "./stream-queue.js";
import {
  clamp,
  heartbeatMs,
  type ResolvedStreamingOptions,
  resolveStreamingOptions,
  StreamCounter,
  type StreamingOptions,
} from "./streaming-options.js";

type WatchMessage = MessageInitShape<typeof WatchResponseSchema>;
type EventMessage = MessageInitShape<typeof KeyspaceEventSchema>;

/** The store's event classes by API enum value (the request filter). */
const STORE_CLASSES: Partial<Record<EventClass, StoreEventClass>> = {
  [EventClass.GENERIC]: "generic",
  [EventClass.STRING]: "string",
  [EventClass.LIST]: "list",
  [EventClass.HASH]: "hash",
  [EventClass.SET]: "set",
  [EventClass.ZSET]: "zset",
  [EventClass.EXPIRED]: "expired",
  [EventClass.EVICTED]: "evicted",
};

/** The API enum for each store event class. */
const API_CLASSES = Object.fromEntries(
  Object.entries(STORE_CLASSES).map(([api, store]) => [store, Number(api) as EventClass]),
) as Record<StoreEventClass, EventClass>;

/** Events after which the key exists with a time to live worth sending (`include_ttl`). */
const TTL_EVENTS: ReadonlySet<string> = new Set(["set", "expire", "persist", "rename_to", "copy_to"]);

/**
 * The keys matching `pattern`, in pages of about `pageSize` keys with their type, TTL and size.
 * SCAN's guarantee holds: every key present for the whole scan is listed (a key may show twice).
 */
async function* snapshotPages(
  store: Store,
  pattern: Bytes,
  pageSize: number,
  signal: AbortSignal,
  between: () => void,
): AsyncGenerator<WatchMessage> {
  let cursor = "0";
  let pending: Bytes[] = [];
  do {
    const reply = await invoke(store, ["SCAN", cursor, "MATCH", pattern, "COUNT", int(pageSize)], signal);
    const page = scanPageOf(reply);
    cursor = page.cursor;
    for (const k of page.items) if (typeof k === "string") pending.push(k);
    if (pending.length >= pageSize || cursor === "0") {
      const keys = await readKeyInfos(store, pending, signal);
      pending = [];
      yield { kind: { case: "snapshot", value: { keys, last: cursor === "0" } } };
      between();
    }
  } while (cursor !== "0");
}

/** The TTL of each key now (read after the commands that emitted the events have finished). */
async function ttlsOf(store: Store, keys: readonly Bytes[]): Promise<MessageInitShape<typeof KeyTtlSchema>[]> {
  const now = store.clock.now();
  const deadlines = await store.repository.atomic(keys, now, (view) => keys.map((k) => view.expireAt(k)));
  return deadlines.map((at) =>
    at === undefined
      ? { status: TtlStatus.NO_EXPIRY }
      : { status: TtlStatus.EXPIRES, ttlMs: BigInt(Math.max(0, at - now)), atMs: BigInt(at) },
  );
}

/** Keyspace events as API messages, with TTLs for the events that set one when asked. */
async function eventMessages(
  store: Store,
  events: readonly KeyspaceEvent[],
  withTtl: boolean,
): Promise<EventMessage[]> {
  const out: EventMessage[] = events.map((e) => ({
    event: e.event,
    key: bytesToUtf8(e.key),
    class: API_CLASSES[e.class] ?? EventClass.UNSPECIFIED,
    atMs: BigInt(e.atMs),
  }));
  if (!withTtl) return out;
  const at: number[] = [];
  events.forEach((e, i) => {
    if (TTL_EVENTS.has(e.event)) at.push(i);
  });
  if (at.length === 0) return out;
  const ttls = await ttlsOf(
    store,
    at.map((i) => (events[i] as KeyspaceEvent).key),
  );
  at.forEach((i, j) => {
    (out[i] as { ttl?: unknown }).ttl = ttls[j];
  });
  return out;
}

/** What an event takes on the wire: key, name, class, time and framing (the overhead is an estimate). */
const eventBytes = (e: KeyspaceEvent): number => e.key.length + e.event.length + 24;

/** The stream of one Watch call (see watch_service.proto for the contract). */
async function* watch(
  store: Store,
  req: WatchRequest,
  signal: AbortSignal,
  options: ResolvedStreamingOptions,
  streams: StreamCounter,
): AsyncGenerator<WatchMessage> {
  const classes = req.classes.map((c) => token(c, STORE_CLASSES, "classes") as StoreEventClass);
  const pattern = req.pattern === "" ? "*" : bytesFromUtf8(req.pattern);
  const idleMs = heartbeatMs(req.heartbeatMs, options);
  let unsubscribe = (): void => {};
  const queue = new StreamQueue<KeyspaceEvent>({
    limits: options.queueLimits,
    fellBehind: "watch fell behind",
    sizeOf: eventBytes,
    now: options.monotonicNow,
    onFail: () => unsubscribe(),
    onOverflow: (reason) => streams.countOverflow(reason),
  });
  // Subscribed before the snapshot is read, so no change falls between the two (at least once).
  unsubscribe = store.events.subscribe({ pattern, events: req.events, classes }, (e) => queue.push(e));
  // Unsubscribes at once on abort, even while the stream is parked at a yield nobody resumes.
  const onAbort = (): void => unsubscribe();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (req.snapshot) {
      const pageSize =
        req.snapshotPageSize === 0
          ? options.snapshotPageSize
          : clamp(req.snapshotPageSize, 1, options.maxSnapshotPageSize);
      yield* snapshotPages(store, pattern, pageSize, signal, () => queue.check());
    } else {
      // Without a snapshot, a first heartbeat confirms the subscription at once (as Redis's
      // SUBSCRIBE reply does), so a client can show "live" without waiting an idle interval.
      yield { kind: { case: "heartbeat", value: { atMs: BigInt(store.clock.now()) } } };
    }
    for (;;) {
      const take = await queue.next(idleMs, signal, options.maxEventsPerMessage);
      if ("idle" in take) {
        yield { kind: { case: "heartbeat", value: { atMs: BigInt(store.clock.now()) } } };
        continue;
      }
      const events = await eventMessages(store, take.items, req.includeTtl);
      yield { kind: { case: "events", value: { events } } };
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    unsubscribe();
  }
}

/** Creates the WatchService implementation over `store`. */
export function createWatchService(
  store: Store,
  options: StreamingOptions = {},
  streams: StreamCounter = new StreamCounter(),
): ServiceImpl<typeof WatchService> {
  const resolved = resolveStreamingOptions(options);
  const procedure = `/${WatchService.typeName}/${WatchService.method.watch.name}`;
  return {
    watch(req, ctx) {
      return streams.guard(watch(store, req, ctx.signal, resolved, streams), resolved.logger, procedure);
    },
  };
}
