/**
 * The response side of a streaming call on the gRPC stream lane: enveloped replies collected and
 * written to the HTTP/2 stream in one `write` per turn, HEADERS sent with the first write (or
 * with the trailers), then the trailers, written the way connect-node's compat response does
 * (HEADERS, DATA, trailing HEADERS).
 */
import type * as http2 from "node:http2";
import { closeUnfinishedRequest } from "./grpc-fast-lane.js";
import type { LaneContext } from "./grpc-lane-context.js";

/** Replies buffered past this many bytes are written at once instead of at the end of the turn. */
const FLUSH_BYTES = 64 * 1024;

/** Writes one stream's replies and trailers (see the module comment). */
export class ReplyWriter {
  readonly #stream: http2.ServerHttp2Stream;
  readonly #context: LaneContext;
  #pending: { flags: number; data: Uint8Array }[] = [];
  #pendingBytes = 0;
  #scheduled = false;
  #responded = false;
  #drainWaiter: (() => void) | null = null;
  /** The last write was not taken in whole: wait for `drained()` before producing more. */
  blocked = false;
  /** The stream closed before the call finished (client reset): nothing more is written. */
  gone = false;

  constructor(stream: http2.ServerHttp2Stream, context: LaneContext) {
    this.#stream = stream;
    this.#context = context;
    stream.on("drain", () => {
      this.blocked = false;
      this.#wakeDrain();
    });
  }

  /** Adds an enveloped reply; it is written by the next {@link flush} (at the latest in the check phase). */
  add(flags: number, data: Uint8Array): void {
    this.#pending.push({ flags, data });
    this.#pendingBytes += 5 + data.byteLength;
    if (this.#pendingBytes >= FLUSH_BYTES) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#onImmediate);
    }
  }

  #onImmediate = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /** Writes the replies collected so far in one `write` (an arrow: it is passed as a callback). */
  flush = (): void => {
    const pending = this.#pending;
    if (pending.length === 0 || this.gone) return;
    const out = Buffer.allocUnsafe(this.#pendingBytes);
    let off = 0;
    for (const { flags, data } of pending) {
      out[off] = flags;
      out.writeUInt32BE(data.byteLength, off + 1);
      out.set(data, off + 5);
      off += 5 + data.byteLength;
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#respond();
    if (!this.#stream.write(out)) this.blocked = true;
  };

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

  /** Writes what is left, then the trailers (the context's, as they are now), and ends the stream. */
  finish(): void {
    const stream = this.#stream;
    if (this.gone || stream.destroyed || stream.closed) return;
    this.flush();
    this.#respond();
    const trailers: http2.OutgoingHttpHeaders = {};
    this.#context.responseTrailer.forEach((v, k) => {
      trailers[k] = v;
    });
    stream.once("wantTrailers", () => {
      stream.sendTrailers(trailers);
      if (!stream.readableEnded) closeUnfinishedRequest(stream);
    });
    // A call that ended before its request did (an error): discard the rest of the request, so
    // flow control never stalls the client until the trailers are out; then end the stream.
    if (!stream.readableEnded) stream.resume();
    stream.end();
  }

  #respond(): void {
    if (this.#responded) return;
    this.#responded = true;
    const out: http2.OutgoingHttpHeaders = { ":status": 200 };
    this.#context.responseHeader.forEach((v, k) => {
      out[k] = v;
    });
    this.#stream.respond(out, { waitForTrailers: true });
  }

  #wakeDrain(): void {
    const w = this.#drainWaiter;
    if (w === null) return;
    this.#drainWaiter = null;
    w();
  }
}
