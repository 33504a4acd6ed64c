/**
 * The queue between a synchronous event source (keyspace events, Pub/Sub messages) and a server
 * stream: bounded by items and by bytes (a slow reader ends its stream instead of growing
 * memory, as Redis's `client-output-buffer-limit` closes a slow Pub/Sub client), woken by new
 * items, by a heartbeat timer, or by the RPC's AbortSignal. Every queue of a server also counts
 * against one {@link StreamBudget}: the bytes waiting in all streams together are bounded too.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { abortError } from "./invoke.js";

/** What {@link StreamQueue.next} resolves with: items, or nothing for an idle interval (a heartbeat is due). */
export type QueueTake<T> = { readonly items: T[] } | { readonly idle: true };

/**
 * The output-buffer limits of one stream (Redis's `client-output-buffer-limit <class> hard soft
 * soft-seconds`): more than `hardBytes` waiting ends the stream at once; more than `softBytes`
 * waiting for `softMs` without a break ends it too; more than `maxItems` waiting ends it.
 */
export interface QueueLimits {
  readonly maxItems: number;
  readonly hardBytes: number;
  readonly softBytes: number;
  readonly softMs: number;
}

/**
 * Why a queue failed on its limits (for the count of streams closed that way): its own message
 * count, its hard or soft byte limit, or the server-wide total of every stream's bytes.
 */
export type OverflowReason = "items" | "hard" | "soft" | "total";

/**
 * The bytes waiting in every stream of a server together, bounded (`limit`): per-stream limits
 * alone let `--max-streams` never-reading clients hold `--max-streams` × the hard limit. Past
 * the total, the stream holding the most bytes is closed (RESOURCE_EXHAUSTED) until the total
 * fits again — the slowest reader pays, not whichever stream happened to receive the last event.
 * Redis has no such global bound (its `maxmemory` does not count client buffers by default).
 */
export class StreamBudget {
  /** Most bytes waiting in all streams together. */
  limit = Number.POSITIVE_INFINITY;
  /** Bytes waiting in all streams now. */
  bytes = 0;
  private readonly queues = new Set<StreamQueue<unknown>>();

  /** A queue starts counting. */
  join(queue: StreamQueue<unknown>): void {
    this.queues.add(queue);
  }

  /** A queue stops counting (its bytes were released). */
  leave(queue: StreamQueue<unknown>): void {
    this.queues.delete(queue);
  }

  /** Bytes enter (`delta` > 0) or leave a queue; past the limit, the largest queues are closed. */
  change(delta: number): void {
    this.bytes += delta;
    while (this.bytes > this.limit) {
      let largest: StreamQueue<unknown> | undefined;
      for (const q of this.queues) if (largest === undefined || q.bytes > largest.bytes) largest = q;
      if (largest === undefined || largest.bytes === 0) return;
      largest.overflowTotal(this.limit);
    }
  }
}

/** Options of a {@link StreamQueue}. */
export interface StreamQueueOptions<T> {
  readonly limits: QueueLimits;
  /** The start of the error message (e.g. `watch fell behind`). */
  readonly fellBehind: string;
  /** The bytes an item will take on the wire (an estimate; it only has to grow with the item). */
  readonly sizeOf: (item: T) => number;
  /** The messages an item holds (a batch of events: its length), for `maxItems`. @default 1 */
  readonly countOf?: (item: T) => number;
  /** Milliseconds of a monotonic clock (the soft limit's timer). */
  readonly now: () => number;
  /** Called once when the queue fails (unsubscribe there, so nothing more arrives). */
  readonly onFail?: () => void;
  /** Called once when the queue fails on one of its limits. */
  readonly onOverflow?: (reason: OverflowReason) => void;
  /** The server-wide budget this queue counts against. @default none */
  readonly budget?: StreamBudget;
}

const MIB = 1024 * 1024;

/** `n` bytes in the unit an operator reads (`32 MiB`, `1500 bytes`). */
export function formatBytes(n: number): string {
  return n >= MIB && n % MIB === 0 ? `${n / MIB} MiB` : `${n} bytes`;
}

/** A bounded FIFO that one stream drains. */
export class StreamQueue<T> {
  // items[head..] wait; taking advances head (no O(n) shift per take), compacted when half is spent.
  private items: T[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytesQueued = 0;
  private counted = 0;
  private softSince: number | null = null;
  private failure: ConnectError | null = null;
  private wake: (() => void) | null = null;
  private abortSignal: AbortSignal | null = null;

  constructor(private readonly options: StreamQueueOptions<T>) {
    options.budget?.join(this as StreamQueue<unknown>);
  }

  /** Items waiting. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Bytes waiting (the sum of {@link StreamQueueOptions.sizeOf} over the waiting items). */
  get bytes(): number {
    return this.bytesQueued;
  }

  /** Adds an item (from the source's synchronous callback). Past a limit the queue fails. */
  push(item: T): void {
    if (this.failure !== null) return;
    const { limits, fellBehind } = this.options;
    const size = this.options.sizeOf(item);
    const bytes = this.bytesQueued + size;
    const count = this.options.countOf?.(item) ?? 1;
    if (this.counted + count > limits.maxItems) {
      this.overflow("items", `${fellBehind}: more than ${limits.maxItems} messages were waiting for the client`);
      return;
    }
    if (bytes > limits.hardBytes) {
      this.overflow(
        "hard",
        `${fellBehind}: more than ${formatBytes(limits.hardBytes)} were waiting for the client (output buffer hard limit)`,
      );
      return;
    }
    if (bytes > limits.softBytes) {
      const now = this.options.now();
      if (this.softSince === null) this.softSince = now;
      else if (now - this.softSince >= limits.softMs) {
        this.overflow(
          "soft",
          `${fellBehind}: more than ${formatBytes(limits.softBytes)} were waiting for the client for ${limits.softMs} ms (output buffer soft limit)`,
        );
        return;
      }
    }
    this.items.push(item);
    this.sizes.push(size);
    this.bytesQueued = bytes;
    this.counted += count;
    this.notify();
    this.options.budget?.change(size);
  }

  /** Fails the queue: the pending items are dropped and the next {@link next} throws `error`. */
  fail(error: ConnectError): void {
    if (this.failure !== null) return;
    this.failure = error;
    const budget = this.options.budget;
    if (budget !== undefined) {
      budget.leave(this as StreamQueue<unknown>);
      budget.change(-this.bytesQueued);
    }
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.bytesQueued = 0;
    this.counted = 0;
    this.options.onFail?.();
    this.notify();
  }

  /** Throws the failure, if any (call between snapshot pages, while nothing waits on the queue). */
  check(): void {
    if (this.failure !== null) throw this.failure;
  }

  /**
   * Waits for items and takes up to `maxBatch` of them, oldest first; resolves `{idle: true}` when
   * `idleMs` pass with nothing. Rejects with the failure, or with the abort error once `signal` aborts.
   */
  async next(idleMs: number, signal: AbortSignal, maxBatch: number): Promise<QueueTake<T>> {
    this.check();
    if (signal.aborted) throw abortError(signal);
    if (this.length === 0) {
      // One abort listener per queue and signal, not one per wait (EventTarget listeners cost
      // more than the rest of a wait, and a busy stream waits once per message).
      if (this.abortSignal !== signal) {
        this.abortSignal = signal;
        signal.addEventListener("abort", () => this.notify(), { once: true });
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          timer = setTimeout(resolve, idleMs);
        });
      } finally {
        this.wake = null;
        clearTimeout(timer);
      }
      this.check();
      if (signal.aborted) throw abortError(signal);
      if (this.length === 0) return { idle: true };
    }
    const n = Math.min(maxBatch, this.length);
    const before = this.bytesQueued;
    let items: T[];
    if (this.head === 0 && n === this.items.length) {
      items = this.items;
      this.items = [];
      this.sizes = [];
      this.bytesQueued = 0;
      this.counted = 0;
    } else {
      const end = this.head + n;
      items = this.items.slice(this.head, end);
      for (let i = this.head; i < end; i++) this.bytesQueued -= this.sizes[i] as number;
      if (this.options.countOf === undefined) this.counted -= n;
      else for (const item of items) this.counted -= this.options.countOf(item);
      this.head = end;
      if (this.head === this.items.length) {
        this.items = [];
        this.sizes = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.sizes = this.sizes.slice(this.head);
        this.head = 0;
      }
    }
    // Below the soft limit again: its timer starts over (Redis resets it the same way).
    if (this.bytesQueued <= this.options.limits.softBytes) this.softSince = null;
    this.options.budget?.change(this.bytesQueued - before);
    return { items };
  }

  /**
   * Stops counting against the budget (the stream ended): call once the stream is done, whatever
   * ended it. Its waiting bytes are released.
   */
  close(): void {
    if (this.failure !== null) return;
    this.failure = new ConnectError("the stream is closed", Code.Canceled);
    const budget = this.options.budget;
    if (budget !== undefined) {
      budget.leave(this as StreamQueue<unknown>);
      budget.change(-this.bytesQueued);
    }
    this.bytesQueued = 0;
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.counted = 0;
  }

  /** Fails the queue on the server-wide budget (called by {@link StreamBudget}). */
  overflowTotal(limit: number): void {
    this.overflow(
      "total",
      `${this.options.fellBehind}: the server's streams together held more than ${formatBytes(limit)} for their clients and this one held the most (${formatBytes(this.bytesQueued)}; output buffer total limit)`,
    );
  }

  private overflow(reason: OverflowReason, message: string): void {
    this.fail(new ConnectError(`${message}; the stream is closed`, Code.ResourceExhausted));
    this.options.onOverflow?.(reason);
  }

  private notify(): void {
    const wake = this.wake;
    if (wake !== null) {
      this.wake = null;
      wake();
    }
  }
}
