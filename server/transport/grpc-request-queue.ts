/**
 * The request side of a streaming call on the stream lane (every protocol; an HTTP/2 stream or an
 * HTTP/1.1 request body): the bytes split into envelopes as they arrive, handed to the service implementation as an async iterable
 * of parsed messages, one per pull.
 *
 * It reproduces what connect's gRPC handler builds from `transformPrepend` (a bad grpc-timeout
 * is thrown on the first pull), `transformSplitEnvelope` (readMaxBytes checked when an envelope
 * header is read; "incomplete envelope" when bytes are left at the end), `transformDecompressEnvelope`
 * (a compressed flag without grpc-encoding is refused) and `transformParseEnvelope` (parsed with
 * the method's serializer, at the pull, so a bad message fails after the replies to the messages
 * before it; envelopes with the protocol's end flag skipped: gRPC-Web's trailers, Connect's end
 * of stream), without the chain of async generators, one promise per message.
 *
 * Bounded: past `highWaterBytes` of unread envelopes the HTTP/2 stream is paused (flow control
 * then stops the client) and resumed once the implementation has pulled the queue down.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { envelopeDecompress } from "./connect-internals.js";
import type { RequestBody } from "./reply-sink.js";

/** An envelope's flags and body. */
interface Envelope {
  readonly flags: number;
  readonly data: Uint8Array;
}

/** What the queue parses a message with (connect's serializer for the method's input). */
export interface RequestParser {
  parse(data: Uint8Array): unknown;
}

/** Options of {@link RequestQueue}. */
export interface RequestQueueOptions {
  readonly readMaxBytes: number;
  readonly parser: RequestParser;
  /** Thrown on the first pull (a bad grpc-timeout), as connect's `transformPrepend` does. */
  readonly firstError?: unknown;
  /** Unread envelope bytes past which the stream is paused. @default 1 MiB */
  readonly highWaterBytes?: number;
  /**
   * Envelopes with this flag (and not compressed) are skipped, as connect's `transformParseEnvelope`
   * skips them: gRPC-Web's trailer flag (0x80), Connect's end-stream flag (0x02). @default none
   */
  readonly endFlag?: number;
}

const COMPRESSED = 1;
const EMPTY = new Uint8Array(0);

/** The request messages of one stream (see the module comment). Iterate it once. */
export class RequestQueue implements AsyncIterableIterator<unknown> {
  readonly #stream: RequestBody;
  readonly #readMaxBytes: number;
  readonly #endFlag: number;
  readonly #parser: RequestParser;
  readonly #highWater: number;
  #firstError: unknown;
  /** Complete envelopes not pulled yet, from `#head`. */
  #envelopes: Envelope[] = [];
  #head = 0;
  /** Bytes of the envelopes not pulled yet (for backpressure). */
  #queuedBytes = 0;
  /** Bytes received and not yet consumed as an envelope header or body. */
  #parts: Buffer[] = [];
  /** Where the unread bytes of `#parts[0]` start. */
  #partOffset = 0;
  #partBytes = 0;
  /** The body length of the envelope whose header was read, or -1 between envelopes. */
  #bodyLength = -1;
  #bodyFlags = 0;
  /** Set once the request has ended (true) or failed (an error), after the queued envelopes. */
  #ended = false;
  #failure: unknown;
  #failed = false;
  /** No more input is taken (failed, aborted, or returned). */
  #closed = false;
  #paused = false;
  #waiter: { resolve: (r: IteratorResult<unknown>) => void; reject: (e: unknown) => void } | null = null;
  /** Called when a pull finds nothing queued and has to wait (the lane flushes its replies then). */
  onWait: () => void = () => {};

  constructor(stream: RequestBody, options: RequestQueueOptions) {
    this.#stream = stream;
    this.#endFlag = options.endFlag ?? 0;
    this.#readMaxBytes = options.readMaxBytes;
    this.#parser = options.parser;
    this.#highWater = options.highWaterBytes ?? 1 << 20;
    this.#firstError = options.firstError;
    stream.on("data", (chunk: Buffer) => this.#push(chunk));
    stream.once("end", () => this.#end());
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the input with `error` (a client reset): a waiting or later pull rejects with it. */
  abort(error: unknown): void {
    // The call is over: what was queued is dropped (the implementation would only see its signal aborted).
    this.#envelopes = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    this.#fail(error);
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.#firstError !== undefined) {
      const e = this.#firstError;
      this.#firstError = undefined;
      this.#close();
      return Promise.reject(e);
    }
    if (this.#head < this.#envelopes.length) return this.#take();
    if (this.#failed) return Promise.reject(this.#failure);
    if (this.#ended || this.#closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.onWait();
    });
  }

  /** The consumer stopped early: nothing more is read (the lane discards the rest). */
  return(): Promise<IteratorResult<unknown>> {
    this.#close();
    return Promise.resolve({ done: true, value: undefined });
  }

  #take(): Promise<IteratorResult<unknown>> {
    const env = this.#envelopes[this.#head] as Envelope;
    this.#envelopes[this.#head++] = undefined as never;
    if (this.#head === this.#envelopes.length) {
      this.#envelopes = [];
      this.#head = 0;
    }
    this.#queuedBytes -= env.data.byteLength;
    if (this.#paused && this.#queuedBytes < this.#highWater >> 1) {
      this.#paused = false;
      if (!this.#closed) this.#stream.resume();
    }
    if ((env.flags & COMPRESSED) === COMPRESSED) {
      // No request compression on this lane: connect's error for a compressed flag, verbatim.
      return envelopeDecompress(env, null, this.#readMaxBytes).then((e) => ({
        done: false,
        value: this.#parser.parse(e.data),
      }));
    }
    try {
      return Promise.resolve({ done: false, value: this.#parser.parse(env.data) });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #push(chunk: Buffer): void {
    if (this.#closed) return;
    this.#parts.push(chunk);
    this.#partBytes += chunk.length;
    const before = this.#envelopes.length - this.#head;
    for (;;) {
      if (this.#bodyLength < 0) {
        if (this.#partBytes < 5) break;
        const head = this.#consume(5);
        const length =
          ((head[1] as number) * 0x1000000 +
            (((head[2] as number) << 16) | ((head[3] as number) << 8) | (head[4] as number))) >>>
          0;
        if (length > this.#readMaxBytes) {
          // connect's decoder throws out of `decode(chunk)`, losing the envelopes completed from
          // that same chunk: so are they here (their requests are never run nor answered).
          this.#dropSince(before);
          this.#fail(
            new ConnectError(
              `message size ${length} is larger than configured readMaxBytes ${this.#readMaxBytes}`,
              Code.ResourceExhausted,
            ),
          );
          return;
        }
        this.#bodyLength = length;
        this.#bodyFlags = head[0] as number;
      }
      if (this.#partBytes < this.#bodyLength) break;
      const data = this.#consume(this.#bodyLength);
      const flags = this.#bodyFlags;
      this.#bodyLength = -1;
      // Skipped at arrival rather than at the pull: the messages the implementation sees are the same.
      if (this.#endFlag !== 0 && (flags & this.#endFlag) === this.#endFlag && (flags & COMPRESSED) === 0) continue;
      this.#envelopes.push({ flags, data });
      this.#queuedBytes += data.byteLength;
    }
    // Only complete envelopes count: a message still arriving must be read to be pulled at all.
    if (!this.#paused && this.#queuedBytes > this.#highWater) {
      this.#paused = true;
      this.#stream.pause();
    }
    if (this.#envelopes.length - this.#head > before) this.#wake();
  }

  /** Drops the envelopes queued after the first `count` still queued. */
  #dropSince(count: number): void {
    const keep = this.#head + count;
    for (let i = keep; i < this.#envelopes.length; i++)
      this.#queuedBytes -= (this.#envelopes[i] as Envelope).data.byteLength;
    this.#envelopes.length = keep;
  }

  /**
   * The next `n` bytes of the received data, as a plain Uint8Array (as connect's decoder gives
   * them; a view when they lie in one chunk, so protobuf-es's reader slices plain arrays too).
   */
  #consume(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    this.#partBytes -= n;
    const first = this.#parts[0] as Buffer;
    const off = this.#partOffset;
    if (first.length - off >= n) {
      this.#advance(first, off + n);
      return new Uint8Array(first.buffer, first.byteOffset + off, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const part = this.#parts[0] as Buffer;
      const at = this.#partOffset;
      const take = Math.min(n - filled, part.length - at);
      out.set(part.subarray(at, at + take), filled);
      filled += take;
      this.#advance(part, at + take);
    }
    return out;
  }

  /** Moves past the first chunk's bytes up to `offset` (dropping the chunk once it is all read). */
  #advance(first: Buffer, offset: number): void {
    if (offset === first.length) {
      this.#parts.shift();
      this.#partOffset = 0;
    } else this.#partOffset = offset;
  }

  #end(): void {
    if (this.#closed) return;
    // As connect's envelope decoder: bytes left over (not a header already read) are an error.
    if (this.#partBytes > 0) {
      this.#fail(new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument));
      return;
    }
    this.#ended = true;
    this.#wake();
  }

  #fail(error: unknown): void {
    if (this.#closed || this.#failed) return;
    this.#failed = true;
    this.#failure = error;
    this.#close();
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiter;
    if (w === null) return;
    this.#waiter = null;
    if (this.#head < this.#envelopes.length) this.#take().then(w.resolve, w.reject);
    else if (this.#failed) w.reject(this.#failure);
    else w.resolve({ done: true, value: undefined });
  }

  /** Stops taking input; the bytes not consumed are dropped (the envelopes queued stay). */
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#parts = [];
    this.#partOffset = 0;
    this.#partBytes = 0;
    if (this.#paused) {
      this.#paused = false;
      this.#stream.resume();
    }
  }
}
