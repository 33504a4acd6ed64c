/**
 * The queue between a synchronous event source (keyspace events, Pub/Sub messages) and a server
 * stream: bounded (a slow reader ends its stream instead of growing memory), woken by new items,
 * by a heartbeat timer, or by the RPC's AbortSignal.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { abortError } from "./invoke.js";

/** What {@link StreamQueue.next} resolves with: items, or nothing for an idle interval (a heartbeat is due). */
export type QueueTake<T> = { readonly items: T[] } | { readonly idle: true };

/** A bounded FIFO that one stream drains. */
export class StreamQueue<T> {
  private items: T[] = [];
  private failure: ConnectError | null = null;
  private wake: (() => void) | null = null;

  /**
   * @param maxQueued more items than this pending fails the queue with RESOURCE_EXHAUSTED
   * @param fellBehind the error message then (e.g. `watch fell behind`)
   * @param onFail called once when the queue fails (unsubscribe there, so nothing more arrives)
   */
  constructor(
    private readonly maxQueued: number,
    private readonly fellBehind: string,
    private readonly onFail: () => void = () => {},
  ) {}

  /** Items waiting. */
  get length(): number {
    return this.items.length;
  }

  /** Adds an item (from the source's synchronous callback). Past the bound the queue fails. */
  push(item: T): void {
    if (this.failure !== null) return;
    if (this.items.length >= this.maxQueued) {
      this.fail(
        new ConnectError(
          `${this.fellBehind}: more than ${this.maxQueued} messages were waiting for the client`,
          Code.ResourceExhausted,
        ),
      );
      return;
    }
    this.items.push(item);
    this.notify();
  }

  /** Fails the queue: the pending items are dropped and the next {@link next} throws `error`. */
  fail(error: ConnectError): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.items = [];
    this.onFail();
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
    if (this.items.length === 0) {
      let timer: unknown;
      let onAbort = (): void => {};
      try {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          timer = setTimeout(resolve, idleMs);
          onAbort = resolve;
          signal.addEventListener("abort", onAbort, { once: true });
        });
      } finally {
        this.wake = null;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      }
      this.check();
      if (signal.aborted) throw abortError(signal);
      if (this.items.length === 0) return { idle: true };
    }
    const n = Math.min(maxBatch, this.items.length);
    const items = n === this.items.length ? this.items : this.items.slice(0, n);
    this.items = n === this.items.length ? [] : this.items.slice(n);
    return { items };
  }

  private notify(): void {
    const wake = this.wake;
    if (wake !== null) {
      this.wake = null;
      wake();
    }
  }
}
