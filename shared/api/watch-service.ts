/**
 * WatchService: keyspace events as a server stream, with an optional snapshot of the matching keys
 * first, heartbeats on idle streams, and a bound on what a slow client may leave queued. Events
 * reach the streams through one {@link WatchFanout} per service (off the writer's path, one
 * message per event, shared by every stream).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  EventClass,
  type KeyspaceEvent,
  type WatchRequest,
  type WatchResponseSchema,
  WatchService,
} from "../gen/memorabilia/v1/watch_service_pb.js";
import { type Bytes, bytesFromUtf8 } from "../store/bytes.js";
import type { EventClass as StoreEventClass } from "../store/events.js";
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
import { type EventBatch, preEncodedResponse, WatchFanout } from "./watch-fanout.js";
import { isBinaryCall } from "./wire-format.js";

type WatchMessage = MessageInitShape<typeof WatchResponseSchema>;

/** The store's event classes by API enum value (the request filter). */
const STORE_CLASSES: Partial<Record<EventClass, StoreEventClass>> = {
  [EventClass.GENERIC]: "generic",
  [EventClass.STRING]: "string",
  [EventClass.LIST]: "list",
  [EventClass.HASH]: "hash",
  [EventClass.SET]: "set",
  [EventClass.ZSET]: "zset",
  [EventClass.STREAM]: "stream",
  [EventClass.EXPIRED]: "expired",
  [EventClass.EVICTED]: "evicted",
};

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

/** The stream of one Watch call (see watch_service.proto for the contract). */
async function* watch(
  store: Store,
  fanout: WatchFanout,
  req: WatchRequest,
  signal: AbortSignal,
  binary: boolean,
  options: ResolvedStreamingOptions,
  streams: StreamCounter,
): AsyncGenerator<WatchMessage> {
  const classes = req.classes.map((c) => token(c, STORE_CLASSES, "classes") as StoreEventClass);
  const pattern = req.pattern === "" ? "*" : bytesFromUtf8(req.pattern);
  const idleMs = heartbeatMs(req.heartbeatMs, options);
  let unsubscribe = (): void => {};
  const queue = new StreamQueue<EventBatch>({
    limits: options.queueLimits,
    fellBehind: "watch fell behind",
    sizeOf: (b) => b.bytes,
    countOf: (b) => b.count,
    now: options.monotonicNow,
    onFail: () => unsubscribe(),
    onOverflow: (reason) => streams.countOverflow(reason),
    budget: streams.budget,
  });
  // Subscribed before the snapshot is read, so no change falls between the two (at least once).
  unsubscribe = fanout.watch(
    { pattern, events: req.events, classes, includeTtl: req.includeTtl, coalesceMs: req.coalesceMs },
    (batch) => queue.push(batch),
  );
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
    const max = options.maxEventsPerMessage;
    for (;;) {
      const take = await queue.next(idleMs, signal, max);
      if ("idle" in take) {
        yield { kind: { case: "heartbeat", value: { atMs: BigInt(store.clock.now()) } } };
        continue;
      }
      let total = 0;
      for (const b of take.items) total += b.count;
      if (total <= max) {
        // Binary protocols send the batches' bytes, encoded once for every stream; JSON the
        // shared message objects. One batch (the usual case): its one response, no copy at all.
        const first = take.items[0] as EventBatch;
        if (binary) yield take.items.length === 1 ? first.response() : preEncodedResponse(take.items);
        else if (take.items.length === 1)
          yield { kind: { case: "events", value: { events: first.events as KeyspaceEvent[] } } };
        else yield { kind: { case: "events", value: { events: take.items.flatMap((b) => b.events) } } };
        continue;
      }
      const all = take.items.flatMap((b) => b.events);
      for (let i = 0; i < all.length; i += max)
        yield { kind: { case: "events", value: { events: all.slice(i, i + max) } } };
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    unsubscribe();
    queue.close();
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
  const fanout = new WatchFanout(store, { defer: options.defer, now: resolved.monotonicNow });
  return {
    watch(req, ctx) {
      return streams.guard(
        watch(store, fanout, req, ctx.signal, isBinaryCall(ctx.requestHeader), resolved, streams),
        resolved.logger,
        procedure,
      );
    },
  };
}
