/**
 * The response side of a streaming call on the stream lane, for every protocol and transport: the
 * enveloped replies collected and written to the sink (reply-sink.ts) in one `write` per turn,
 * the response head sent with the first write (or with the end), then the end — HTTP/2 trailers
 * for gRPC, a last envelope for gRPC-Web (trailers) and Connect (end of stream) — as connect-node
 * writes them (head, messages, end).
 */
import type * as http2 from "node:http2";
import type { LaneContext } from "./grpc-lane-context.js";
import type { ReplySink } from "./reply-sink.js";

/** Replies buffered past this many bytes are written at once instead of at the end of the turn. */
const FLUSH_BYTES = 64 * 1024;

/** An envelope: flags and data. */
export interface Envelope {
  readonly flags: number;
  readonly data: Uint8Array;
}

/**
 * Writers with replies waiting for the check phase: one `setImmediate` flushes them all (a Watch
 * event reaches a thousand streams in one turn; one immediate each cost more than their writes).
 */
let waiting: ReplyWriter[] = [];
const flushWaiting = (): void => {
  const writers = waiting;
  waiting = [];
  for (const w of writers) w.flushScheduled();
};

/** Writes one stream's replies and its end (see the module comment). */
export class ReplyWriter {
  readonly #sink: ReplySink;
  readonly #context: LaneContext;
  /** Envelopes to frame, or replies framed already (a message shared by many streams, framed once). */
  #pending: (Envelope | Buffer)[] = [];
  #pendingBytes = 0;
  #scheduled = false;
  #responded = false;
  #drainWaiter: (() => void) | null = null;
  /** The last write was not taken in whole: wait for `drained()` before producing more. */
  blocked = false;
  /** The stream closed before the call finished (client reset): nothing more is written. */
  gone = false;

  constructor(sink: ReplySink, context: LaneContext) {
    this.#sink = sink;
    this.#context = context;
    sink.onDrain(() => {
      this.blocked = false;
      this.#wakeDrain();
    });
  }

  /** Adds an enveloped reply; it is written by the next {@link flush} (at the latest in the check phase). */
  add(flags: number, data: Uint8Array): void {
    this.#pending.push({ flags, data });
    this.#pendingBytes += 5 + data.byteLength;
    this.#schedule();
  }

  /**
   * Adds a reply framed already (envelope header included), written as it is when it is the only
   * one waiting: a message shared by many streams is framed once and written to each without a copy.
   * The buffer must never change afterwards.
   */
  addFramed(framed: Buffer): void {
    this.#pending.push(framed);
    this.#pendingBytes += framed.byteLength;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#pendingBytes >= FLUSH_BYTES) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      if (waiting.push(this) === 1) setImmediate(flushWaiting);
    }
  }

  /** The check phase's flush (called once per scheduling by the shared immediate). */
  flushScheduled(): void {
    this.#scheduled = false;
    this.flush();
  }

  /** Writes the replies collected so far in one `write` (an arrow: it is passed as a callback). */
  flush = (): void => {
    if (this.#pending.length === 0 || this.gone) return;
    const out = this.#take();
    this.#respond();
    if (!this.#sink.write(out)) this.blocked = true;
  };

  /** The pending replies as one buffer (emptying the list): a single framed reply as it is. */
  #take(): Buffer {
    const pending = this.#pending;
    const only = pending.length === 1 ? pending[0] : undefined;
    let out: Buffer;
    if (only instanceof Buffer) out = only;
    else {
      out = Buffer.allocUnsafe(this.#pendingBytes);
      let off = 0;
      for (const item of pending) {
        if (item instanceof Buffer) {
          out.set(item, off);
          off += item.byteLength;
        } else {
          const { flags, data } = item as Envelope;
          out[off] = flags;
          out.writeUInt32BE(data.byteLength, off + 1);
          out.set(data, off + 5);
          off += 5 + data.byteLength;
        }
      }
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    return out;
  }

  /** Resolves once the stream has drained (or closed). */
  drained(): Promise<void> {
    if (!this.blocked || this.gone) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drainWaiter = resolve;
    });
  }

  /** The stream closed under the call. */
  closed(): void {
    this.gone = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#wakeDrain();
  }

  /**
   * Writes what is left with the last envelope (gRPC-Web's trailers, Connect's end of stream) or
   * the HTTP/2 trailers (gRPC: the context's trailers as they are now), and ends the response.
   */
  finish(last: Envelope | undefined, trailers: boolean): void {
    if (this.gone || this.#sink.gone) return;
    if (last !== undefined) {
      this.#pending.push(last as Envelope);
      this.#pendingBytes += 5 + last.data.byteLength;
    }
    const out = this.#pending.length > 0 ? this.#take() : undefined;
    this.#respond();
    let outTrailers: http2.OutgoingHttpHeaders | undefined;
    if (trailers) {
      outTrailers = {};
      const t = outTrailers;
      this.#context.responseTrailer.forEach((v, k) => {
        t[k] = v;
      });
    }
    this.#sink.end(out, outTrailers);
  }

  #respond(): void {
    if (this.#responded) return;
    this.#responded = true;
    const out: Record<string, string> = {};
    this.#context.responseHeader.forEach((v, k) => {
      out[k] = v;
    });
    this.#sink.respond(out);
  }

  #wakeDrain(): void {
    const w = this.#drainWaiter;
    if (w === null) return;
    this.#drainWaiter = null;
    w();
  }
}
