/**
 * Request bytes in flight, all clients together (`--max-request-bytes-total`).
 *
 * `--max-request-bytes` bounds one request; a server reading many requests at once holds up to
 * that much for each of them (16 MiB × 10,000 connections). This budget bounds their sum: the
 * bytes of request bodies received and not yet done with (a one-message RPC's whole body until
 * its answer starts; a streaming RPC's incomplete message; a RESP client's unparsed input and the
 * command being read). Bytes that would take the sum past it are refused: the request they belong
 * to is answered RESOURCE_EXHAUSTED (RESP: an error, then the client is closed) and the rest of its
 * body is discarded unread — as a write past `maxmemory` is refused. A request holding at most
 * 64 KiB (a health check, an ordinary command) is never refused for others' uploads: the largest
 * holders are cut to make room for it. Refusing the bytes as they arrive, rather than cutting the
 * largest holder, keeps what a refused request had received small: under a flood of uploads the
 * process's memory follows the cap, not the sum of what every uploader managed to send.
 *
 * Bytes are counted as they arrive, before a reader keeps them. The unary lanes (the gRPC fast
 * lane, the web lane) count in their own readers with a {@link BodyHold}; for every other body (the
 * stream lane, connect's own readers) the request gate applies {@link trackRequestBody}, which
 * wraps the body's `push` (what Node's HTTP/1.1 parser and HTTP/2 stream call to hand the readable
 * side each chunk), so those readers are covered without knowing of it.
 */
import { Readable } from "node:stream";

/**
 * A request holding at most this much is never refused for others' bytes: past the cap, room is
 * made for it by cutting the largest holders (a health check, an ordinary command).
 */
export const SMALL_REQUEST_BYTES = 64 * 1024;

/** Something holding request bytes: told once when the budget cuts it. */
export interface BytesHolder {
  /** Stop holding: answer the client and drop the rest. `total` is the sum that was past the cap. */
  cut(held: number, total: number): void;
}

/** Where the budget keeps a holder's place and count: on the holder itself. */
const kSlot: unique symbol = Symbol("memorabilia.budgetSlot");
const kHeld: unique symbol = Symbol("memorabilia.budgetHeld");
type Entry = BytesHolder & { [kSlot]?: number; [kHeld]?: number };

/** The server-wide budget (see the module comment). */
export class RequestBytesBudget {
  // The holders holding bytes, each knowing its index in the array: adding and removing one
  // allocates nothing. A Map of holders, with an entry added and deleted per request, allocated a
  // new table each time it grew or shrank, and those tables (referenced by the long-lived Map)
  // were promoted: ~70 B per call.
  private readonly holders: Entry[] = [];
  private sum = 0;
  /** Holders cut so far. */
  cuts = 0;
  /**
   * Request body bytes received before their request's answer started, all requests so far: what
   * reading bodies cost the server. A refused upload adds what was read up to its refusal; the
   * rest of it (discarded unread, or drained by HTTP/1.1's lingering close) is not counted.
   */
  receivedBeforeAnswer = 0;

  /** `capBytes` 0: no cap (the bytes are still counted). */
  constructor(readonly capBytes: number) {}

  /** Request bytes held now, all holders together. */
  get inFlight(): number {
    return this.sum;
  }

  /**
   * Sets what `holder` holds now. Past the cap, a holder of more than {@link SMALL_REQUEST_BYTES}
   * is cut (the bytes it asked for are refused, as a write past maxmemory is); a smaller one is let
   * in and the holders holding the most are cut until the sum is under the cap again. False when
   * `holder` itself was cut (it must drop the bytes it was given).
   */
  update(holder: BytesHolder, bytes: number): boolean {
    const h = holder as Entry;
    const slot = h[kSlot];
    if (slot === undefined || slot < 0) {
      if (bytes === 0) return true;
      h[kSlot] = this.holders.length;
      h[kHeld] = 0;
      this.holders.push(h);
    }
    this.sum += bytes - (h[kHeld] as number);
    h[kHeld] = bytes;
    if (this.capBytes === 0 || this.sum <= this.capBytes) return true;
    if (bytes > SMALL_REQUEST_BYTES) {
      this.cut(holder, bytes);
      return false;
    }
    let survived = true;
    while (this.sum > this.capBytes) {
      let largest: Entry | undefined;
      let most = -1;
      for (const x of this.holders) {
        const n = x[kHeld] as number;
        if (n > most) {
          most = n;
          largest = x;
        }
      }
      if (largest === undefined) break;
      if (largest === holder) survived = false;
      this.cut(largest, most);
    }
    return survived;
  }

  private cut(holder: BytesHolder, bytes: number): void {
    const total = this.sum;
    this.release(holder);
    this.cuts++;
    holder.cut(bytes, total);
  }

  /** `holder` holds nothing any more (its request ended, or it was cut). */
  release(holder: BytesHolder): void {
    const h = holder as Entry;
    const slot = h[kSlot];
    if (slot === undefined || slot < 0) return;
    const last = this.holders.pop() as Entry;
    if (last !== h) {
      this.holders[slot] = last;
      last[kSlot] = slot;
    }
    h[kSlot] = -1;
    this.sum -= h[kHeld] as number;
    h[kHeld] = 0;
  }
}

/** The message a request cut by the budget is answered with (RESOURCE_EXHAUSTED). */
export function budgetRefusal(capBytes: number, total: number, bytes: number): string {
  return `the server holds more than ${capBytes} bytes of request bodies (max-request-bytes-total; ${total} with this request's ${bytes}): retry later`;
}

/**
 * One request body counted by its own reader (the unary lanes: grpc-fast-lane.ts, web-lane.ts),
 * instead of {@link trackRequestBody}'s wrapper around the body's `push`. The reader adds each
 * chunk before keeping it ({@link BodyHold.add}) and drops the chunk and answers
 * RESOURCE_EXHAUSTED ({@link BodyHold.refusal}) once the budget cut the body; the call releases
 * the hold when its answer starts or it ends. Nothing is stored on the body: the wrapper and its
 * tracker rode on each HTTP/2 stream, which Node keeps until a full GC, so every unary call's
 * tracker, options and closures were promoted to the old generation (~1.3 KB a call).
 */
export class BodyHold implements BytesHolder {
  held = 0;
  /** Set once the budget cut this body: the message to answer with. */
  refusal: string | undefined = undefined;
  /** Called once when the budget cuts the body (the reader fails its read). */
  onCut: (() => void) | undefined = undefined;
  /** Set once the answer started (or the call ended): the body is no longer held. */
  released = false;

  constructor(readonly budget: RequestBytesBudget) {}

  /**
   * Counts `bytes` more received; false when the body is (now) cut: drop them. Once released,
   * bytes a reader still gets (an answer given before the body's end) are held by nobody: counted
   * again, they would sit in the budget for good, this holder never being released a second time.
   */
  add(bytes: number): boolean {
    if (this.refusal !== undefined) return false;
    if (this.released) return true;
    this.budget.receivedBeforeAnswer += bytes;
    this.held += bytes;
    return this.budget.update(this, this.held);
  }

  cut(bytes: number, total: number): void {
    this.refusal = budgetRefusal(this.budget.capBytes, total, bytes);
    this.onCut?.();
  }

  /** The body is done with (its answer started, or the call ended). */
  release(): void {
    this.onCut = undefined;
    this.released = true;
    this.budget.release(this);
  }
}

/** How a request's body is held while it is read. */
export type BodyShape =
  /** One message (unary, server streaming): every byte counts until the answer starts. */
  | "one-message"
  /** A stream of 5-byte-enveloped messages (gRPC, gRPC-Web, Connect streaming): the message being received counts. */
  | "enveloped-stream";

/** Options of {@link trackRequestBody}. */
export interface TrackOptions {
  readonly budget: RequestBytesBudget;
  readonly shape: BodyShape;
  /** True once the request's answer has started (a one-message body is no longer held: it was read, or refused). */
  readonly answerStarted: () => boolean;
  /** Answers the request RESOURCE_EXHAUSTED (the budget cut it). */
  readonly refuse: (message: string) => void;
}

/**
 * Counts the body of one request against the budget as it arrives (see the module comment). When
 * the budget cuts it, the request is answered RESOURCE_EXHAUSTED, the rest of its body is
 * discarded unread and, once the client ends it, the request is destroyed: a cut body never
 * reaches a reader complete, so a truncated message is never run.
 *
 * The body's `push` is replaced by one shared function that finds the request's tracker on the
 * body: a new closure stored on every stream made V8 treat each stream's `push` as a different
 * function where Node's stream code calls it, and cost ~10 µs of server CPU per HTTP/2 call
 * (measured: a gRPC call answered right after the gate cost 1.6× a bare node:http2 reply with a
 * closure per stream, 1.0–1.07× with the shared function). Nothing else is made per request but
 * the tracker.
 */
export function trackRequestBody(body: Readable, options: TrackOptions): void {
  const tracked = body as TrackedBody;
  tracked[kTracker] = new BodyTracker(options, body.push);
  tracked.push = trackedPush;
  body.on("close", releaseOnClose);
}

const kTracker: unique symbol = Symbol("memorabilia.requestBytes");

/** A body being tracked: its tracker rides on it. */
type TrackedBody = Readable & { [kTracker]: BodyTracker | undefined };

/** One request's count against the budget, and its envelope scanning state. */
class BodyTracker implements BytesHolder {
  held = 0;
  isCut = false;
  released = false;
  // Envelope scanning (enveloped streams): bytes still to come of the current envelope's header
  // (`headerLeft` > 0) or payload.
  headerLeft = 5;
  header = 0;
  payloadLeft = 0;

  constructor(
    readonly options: TrackOptions,
    /** The body's own `push`, called for every chunk let through. */
    readonly push: Readable["push"],
  ) {}

  cut(bytes: number, total: number): void {
    this.isCut = true;
    this.options.refuse(budgetRefusal(this.options.budget.capBytes, total, bytes));
  }

  release(): void {
    this.released = true;
    this.options.budget.release(this);
  }

  /** Bytes of the message being received once `chunk` is in (enveloped streams). */
  scan(chunk: Buffer): number {
    let i = 0;
    while (i < chunk.length) {
      if (this.headerLeft > 0) {
        // The 4-byte big-endian length follows the flags byte.
        if (this.headerLeft <= 4) this.header = this.header * 256 + (chunk[i] as number);
        this.headerLeft--;
        i++;
        if (this.headerLeft === 0) {
          this.payloadLeft = this.header;
          this.held = 5;
          if (this.payloadLeft === 0) {
            this.headerLeft = 5;
            this.header = 0;
            this.held = 0;
          }
        } else this.held++;
        continue;
      }
      const take = Math.min(this.payloadLeft, chunk.length - i);
      this.payloadLeft -= take;
      this.held += take;
      i += take;
      if (this.payloadLeft === 0) {
        this.headerLeft = 5;
        this.header = 0;
        this.held = 0;
      }
    }
    return this.held;
  }
}

/** Every tracked body's `push`: counts the chunk, then hands it on (or drops it once cut). */
function trackedPush(this: TrackedBody, chunk: unknown, encoding?: BufferEncoding): boolean {
  const t = this[kTracker];
  if (t === undefined) return Readable.prototype.push.call(this, chunk, encoding);
  if (chunk === null) {
    if (!t.isCut) return t.push.call(this, chunk, encoding);
    // Its answer is out: end it without ever ending its body. Not from inside push: Node's
    // HTTP/2 close handler pushes null and reads the stream's session after (destroying here
    // detached the session under it: a crash).
    process.nextTick(destroyBody, this);
    return false;
  }
  if (t.isCut) return true; // discarded, never handed to a reader
  if (!t.released && Buffer.isBuffer(chunk)) {
    if (t.options.shape === "one-message") {
      if (t.options.answerStarted()) t.release();
      else {
        t.held += chunk.length;
        t.options.budget.receivedBeforeAnswer += chunk.length;
      }
    } else {
      if (!t.options.answerStarted()) t.options.budget.receivedBeforeAnswer += chunk.length;
      t.scan(chunk);
    }
    if (!t.released && !t.options.budget.update(t, t.held)) return true;
  }
  return t.push.call(this, chunk, encoding);
}

function destroyBody(body: Readable): void {
  body.destroy();
}

function releaseOnClose(this: TrackedBody): void {
  const t = this[kTracker];
  if (t === undefined) return;
  t.options.budget.release(t);
  // Node keeps a closed HTTP/2 stream until a full GC: nothing of the call may stay reachable
  // from it (it would be promoted with it). The push wrapper hands any late chunk straight on.
  t.released = true;
  (this as { [kTracker]: BodyTracker | undefined })[kTracker] = undefined;
}
