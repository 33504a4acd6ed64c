/**
 * Options of the streaming and session services (Watch, Pub/Sub, transactions, server info), the
 * bounds they apply to what clients ask for, and the error mapping and accounting of streams.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { PubSubHub } from "../store/pubsub.js";
import { type ApiLogger, consoleLogger, toConnectError } from "./error-map.js";
import type { ServiceOptions } from "./service-options.js";
import { type OverflowReason, type QueueLimits, StreamBudget } from "./stream-queue.js";

/** Memory figures a host reports (Node: `process.memoryUsage()`); each may be unknown. */
export interface MemoryUsage {
  /** JavaScript heap in use, bytes. */
  readonly heapUsedBytes?: number;
  /** JavaScript heap reserved, bytes. */
  readonly heapTotalBytes?: number;
  /** Resident set size, bytes. */
  readonly rssBytes?: number;
}

/**
 * Persistence counters a host reports (the Node server: its file persistence and what it loaded
 * at start). Times are Unix milliseconds; durations milliseconds.
 */
export interface PersistenceUsage {
  /** When a write reaches the disk (`always`, `everysec`, `no`). */
  readonly fsync: string;
  /** Bytes in the current log segment. */
  readonly logBytes: number;
  /** Last log fsync, when any. */
  readonly lastFsyncAtMs?: number;
  /** Log fsyncs since start. */
  readonly fsyncs: number;
  /** When the last snapshot finished, when any. */
  readonly lastSnapshotAtMs?: number;
  /** How long the last snapshot took, when any. */
  readonly lastSnapshotMs?: number;
  /** Snapshots written since start. */
  readonly snapshots: number;
  /** Key records appended to the log since start. */
  readonly recordsWritten: number;
  /** Bytes appended to the log since start. */
  readonly bytesWritten: number;
  /** Keys present after loading at start. */
  readonly loadedKeys: number;
  /** How long loading took. */
  readonly loadMs: number;
  /** Bytes of torn or corrupt tails dropped while loading. */
  readonly corruptTailBytesDropped: number;
  /** The last write error while writes are failing. */
  readonly lastError?: string;
}

/** maxmemory counters a host reports (shaped like the store's `EvictionStats`). */
export interface EvictionUsage {
  /** The eviction policy (`allkeys-lru`, `noeviction`, …). */
  readonly policy: string;
  /** The limit, bytes. */
  readonly maxBytes: number;
  /** Memory in use by the store's own accounting, bytes. */
  readonly usedBytes: number;
  /** Keys evicted since start. */
  readonly evictedKeys: number;
  /** Commands refused with OOM since start. */
  readonly oomRejections: number;
}

/** Options of {@link registerStreamingServices} and the streaming service factories. */
export interface StreamingOptions extends ServiceOptions {
  /** Heartbeat interval when the client asks for none (ms). @default 15_000 */
  readonly heartbeatDefaultMs?: number;
  /** Shortest heartbeat interval a client may ask for (ms). @default 1_000 */
  readonly heartbeatMinMs?: number;
  /** Longest heartbeat interval a client may ask for (ms). @default 60_000 */
  readonly heartbeatMaxMs?: number;
  /** Events (or messages) waiting for a slow client before its stream ends with RESOURCE_EXHAUSTED. @default 10_000 */
  readonly maxQueuedEvents?: number;
  /**
   * Bytes waiting for a slow client (Watch events, Pub/Sub messages) before its stream ends with
   * RESOURCE_EXHAUSTED at once: Redis's `client-output-buffer-limit pubsub` hard limit. @default 32 MiB
   */
  readonly outputBufferHardBytes?: number;
  /** Bytes that may wait at most {@link outputBufferSoftMs} in a row (the soft limit). @default 8 MiB */
  readonly outputBufferSoftBytes?: number;
  /** How long a stream may stay above the soft limit (ms). @default 60_000 */
  readonly outputBufferSoftMs?: number;
  /**
   * Bytes waiting in all Watch and Subscribe streams together; past it the stream holding the
   * most is closed with RESOURCE_EXHAUSTED (see {@link StreamBudget}). @default 256 MiB
   */
  readonly outputBufferTotalBytes?: number;
  /**
   * Streams open at once on this server (Watch, Subscribe, InfoStream, Pipeline), all clients
   * together; one more is refused with RESOURCE_EXHAUSTED. @default 10_000
   */
  readonly maxStreams?: number;
  /** The count of open, refused and overflowed streams (a host passes its own to export them). @default a new one */
  readonly streams?: StreamCounter;
  /** A monotonic clock in ms (the soft limit's timer, the fan-out's spacing). @default `performance.now` */
  readonly monotonicNow?: () => number;
  /**
   * Runs a function after the current event-loop turn: when Watch events are fanned out (after
   * the write that emitted them). Node hosts pass `setImmediate`. @default `setTimeout(fn, 0)`
   */
  readonly defer?: (fn: () => void) => void;
  /** Events sent in one stream message at most. @default 512 */
  readonly maxEventsPerMessage?: number;
  /** Keys per watch snapshot page when the client asks for none. @default 100 */
  readonly snapshotPageSize?: number;
  /** Largest watch snapshot page a client may ask for. @default 1_000 */
  readonly maxSnapshotPageSize?: number;
  /** Shortest InfoStream interval (ms). @default 250 */
  readonly infoMinIntervalMs?: number;
  /** The Pub/Sub hub. @default a new hub per registration */
  readonly pubsub?: PubSubHub;
  /** Memory figures (Node hosts pass `process.memoryUsage`). @default `performance.memory` where the runtime has it */
  readonly memoryUsage?: () => MemoryUsage;
  /** Persistence counters, when the host persists (Info reports persistence disabled otherwise). */
  readonly persistence?: () => PersistenceUsage | undefined;
  /** maxmemory counters, when a memory limit is set (Info reports eviction disabled otherwise). */
  readonly eviction?: () => EvictionUsage | undefined;
  /** Connected clients (network connections), when the host knows. */
  readonly connectedClients?: () => number;
  /** Version reported by Info. @default "dev" */
  readonly version?: string;
  /** When the server started (ms since the epoch, store clock). @default the store's clock at registration */
  readonly startedAtMs?: number;
}

/** {@link StreamingOptions} with every default applied. */
export interface ResolvedStreamingOptions {
  readonly logger: ApiLogger;
  readonly heartbeatDefaultMs: number;
  readonly heartbeatMinMs: number;
  readonly heartbeatMaxMs: number;
  readonly maxQueuedEvents: number;
  /** The output-buffer limits of every event stream. */
  readonly queueLimits: QueueLimits;
  /** Bytes waiting in all event streams together. */
  readonly outputBufferTotalBytes: number;
  readonly maxStreams: number;
  readonly monotonicNow: () => number;
  readonly maxEventsPerMessage: number;
  readonly snapshotPageSize: number;
  readonly maxSnapshotPageSize: number;
  readonly infoMinIntervalMs: number;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 1) throw new TypeError(`${name} must be a number >= 1, got ${v}`);
  return Math.floor(v);
}

/** Applies the defaults and checks every bound (a precise TypeError for a bad option). */
export function resolveStreamingOptions(options: StreamingOptions = {}): ResolvedStreamingOptions {
  const heartbeatMinMs = positive(options.heartbeatMinMs, 1_000, "heartbeatMinMs");
  const heartbeatMaxMs = positive(options.heartbeatMaxMs, Math.max(60_000, heartbeatMinMs), "heartbeatMaxMs");
  if (heartbeatMaxMs < heartbeatMinMs) throw new TypeError("heartbeatMaxMs must be >= heartbeatMinMs");
  const heartbeatDefaultMs = clamp(
    positive(options.heartbeatDefaultMs, 15_000, "heartbeatDefaultMs"),
    heartbeatMinMs,
    heartbeatMaxMs,
  );
  const maxSnapshotPageSize = positive(options.maxSnapshotPageSize, 1_000, "maxSnapshotPageSize");
  const maxQueuedEvents = positive(options.maxQueuedEvents, 10_000, "maxQueuedEvents");
  const hardBytes = positive(options.outputBufferHardBytes, 32 * 1024 * 1024, "outputBufferHardBytes");
  const softBytes = positive(
    options.outputBufferSoftBytes,
    Math.min(8 * 1024 * 1024, hardBytes),
    "outputBufferSoftBytes",
  );
  if (softBytes > hardBytes) throw new TypeError("outputBufferSoftBytes must be <= outputBufferHardBytes");
  const softMs = positive(options.outputBufferSoftMs, 60_000, "outputBufferSoftMs");
  return {
    logger: options.logger ?? consoleLogger,
    heartbeatDefaultMs,
    heartbeatMinMs,
    heartbeatMaxMs,
    maxQueuedEvents,
    queueLimits: { maxItems: maxQueuedEvents, hardBytes, softBytes, softMs },
    outputBufferTotalBytes: positive(options.outputBufferTotalBytes, 256 * 1024 * 1024, "outputBufferTotalBytes"),
    maxStreams: positive(options.maxStreams, 1_000, "maxStreams"),
    monotonicNow: options.monotonicNow ?? (() => performance.now()),
    maxEventsPerMessage: positive(options.maxEventsPerMessage, 512, "maxEventsPerMessage"),
    snapshotPageSize: Math.min(positive(options.snapshotPageSize, 100, "snapshotPageSize"), maxSnapshotPageSize),
    maxSnapshotPageSize,
    infoMinIntervalMs: positive(options.infoMinIntervalMs, 250, "infoMinIntervalMs"),
  };
}

/** `value` within [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** The heartbeat interval for a client's request (0: the default), within the server's bounds. */
export function heartbeatMs(requested: number, options: ResolvedStreamingOptions): number {
  return requested === 0
    ? options.heartbeatDefaultMs
    : clamp(requested, options.heartbeatMinMs, options.heartbeatMaxMs);
}

/**
 * Counts the streams of the streaming services: open now (for Info and metrics), refused over the
 * server-wide cap, and closed because their client fell behind (by limit).
 */
export class StreamCounter {
  /** Streams open now. */
  open = 0;
  /** Most streams open at once; one more is refused with RESOURCE_EXHAUSTED. */
  limit = Number.POSITIVE_INFINITY;
  /** Streams refused because {@link limit} were open. */
  refused = 0;
  /** Streams closed because their client fell behind, by the limit that closed them. */
  readonly overflowed: Record<OverflowReason, number> = { items: 0, hard: 0, soft: 0, total: 0 };
  /** The bytes waiting in every Watch and Subscribe stream together, and their bound. */
  readonly budget = new StreamBudget();

  /** Counts a stream closed on one of its output-buffer limits. */
  countOverflow(reason: OverflowReason): void {
    this.overflowed[reason]++;
  }

  /**
   * Wraps a stream so it is counted while open (refused past {@link limit}) and whatever it
   * throws reaches the client as a mapped ConnectError (unexpected errors logged once, as unary
   * handlers do).
   */
  guard<T>(source: AsyncIterable<T>, logger: ApiLogger, procedure: string): AsyncIterableIterator<T> {
    return new GuardedStream(this, source, logger, procedure);
  }
}

/**
 * What {@link StreamCounter.guard} returns: the async generator `async *guard() { check the
 * limit; open++; try { yield* source } catch (e) { throw toConnectError(e) } finally { open-- } }`
 * written out as an iterator, so a message costs one `then` here instead of a generator's
 * resumption and its promises (a Pipeline stream passes every command's answer through it).
 * Steps as that generator's: nothing runs before the first `next`, the limit is checked there,
 * a `return` before it closes nothing; once the source is done, has thrown or was returned, the
 * stream counts as closed and every later `next` is done. Pulls are made one at a time (a `next`
 * while one is pending waits for it), as a generator queues them.
 */
class GuardedStream<T> implements AsyncIterableIterator<T> {
  #state: "new" | "open" | "closed" = "new";
  #it: AsyncIterator<T> | undefined;
  /** The last step's promise, and how many steps have not settled yet (they run one at a time). */
  #last: Promise<IteratorResult<T>> | undefined;
  #pending = 0;

  constructor(
    private readonly counter: StreamCounter,
    private readonly source: AsyncIterable<T>,
    private readonly logger: ApiLogger,
    private readonly procedure: string,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    return this.#queue(() => this.#pull());
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    return this.#queue(() => this.#return(value));
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    return this.#queue(() => this.#throw(error));
  }

  /** Runs `step` now, or once the steps still pending have settled (in call order). */
  #queue(step: () => Promise<IteratorResult<T>>): Promise<IteratorResult<T>> {
    if (this.#pending++ === 0) this.#last = step();
    else this.#last = (this.#last as Promise<IteratorResult<T>>).then(step, step);
    return this.#last;
  }

  /** A step's result, the step settled. */
  #settled<R>(value: R): R {
    this.#pending--;
    return value;
  }

  #pull(): Promise<IteratorResult<T>> {
    if (this.#state === "closed") return Promise.resolve(this.#settled(done()));
    if (this.#state === "new") {
      const counter = this.counter;
      if (counter.open >= counter.limit) {
        this.#state = "closed";
        counter.refused++;
        // The source never started (a generator's body has not run): close it, nothing is held.
        return Promise.resolve((this.source as Partial<AsyncGenerator<T>>).return?.(undefined)).then(
          () => {
            this.#pending--;
            throw new ConnectError(
              `too many streams open on this server (${counter.limit}): close some or raise the server's stream limit`,
              Code.ResourceExhausted,
            );
          },
          (error: unknown) => {
            this.#pending--;
            throw error;
          },
        );
      }
      counter.open++;
      this.#state = "open";
      let it: AsyncIterator<T>;
      try {
        it = this.source[Symbol.asyncIterator]();
      } catch (error) {
        return this.#failed(error);
      }
      this.#it = it;
    }
    const it = this.#it as AsyncIterator<T>;
    return this.#step(() => it.next());
  }

  #return(value: unknown): Promise<IteratorResult<T>> {
    const it = this.#it;
    if (this.#state !== "open" || it === undefined || it.return === undefined) {
      this.#close();
      return Promise.resolve(this.#settled({ done: true, value: value as T }));
    }
    const close = it.return.bind(it);
    // `yield*` forwards the return; the guard completes with the source's return value.
    return this.#step(() => close(value), true);
  }

  #throw(error: unknown): Promise<IteratorResult<T>> {
    const it = this.#it;
    if (this.#state !== "open" || it === undefined) {
      this.#close();
      this.#pending--;
      return Promise.reject(error);
    }
    if (it.throw === undefined)
      // `yield*` on a source without `throw`: the source is closed, then a TypeError is thrown.
      return this.#step(async () => {
        await it.return?.();
        throw new TypeError("The iterator does not provide a 'throw' method");
      });
    const inject = it.throw.bind(it);
    return this.#step(() => inject(error));
  }

  /**
   * One step of the source, settled: done closes the stream (completed with nothing, as the
   * generator's body ends, or with the source's value for a return); a failure closes it and is
   * mapped.
   */
  #step(step: () => Promise<IteratorResult<T>>, returning = false): Promise<IteratorResult<T>> {
    let p: Promise<IteratorResult<T>>;
    try {
      p = step();
    } catch (error) {
      return this.#failed(error);
    }
    return p.then(
      (r) => {
        this.#pending--;
        if (r.done !== true) return r;
        this.#close();
        return returning ? { done: true, value: r.value } : done();
      },
      (error: unknown) => this.#failed(error),
    );
  }

  #failed(error: unknown): Promise<never> {
    this.#pending--;
    this.#close();
    return Promise.reject(toConnectError(error, this.logger, this.procedure));
  }

  #close(): void {
    if (this.#state === "open") this.counter.open--;
    this.#state = "closed";
  }
}

/** A finished stream's step. */
const done = (): IteratorResult<never> => ({ done: true, value: undefined });
