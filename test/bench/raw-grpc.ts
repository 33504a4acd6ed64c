/**
 * A minimal gRPC load generator over `node:http2`: requests are encoded once up front, and a
 * call is one HTTP/2 stream (unary) or one write on a long-lived bidi stream (Pipeline). On 2
 * shared cores a full client library (connect-node, grpc-js) costs as much CPU per call as the
 * server, so it measures the client; this one costs a fraction, and the same code drives
 * Memorabilia and etcd, so the two servers are compared with the same client.
 */
import * as http2 from "node:http2";
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { type CommandSchema, PipelineRequestSchema } from "../../shared/gen/memorabilia/v1/transaction_service_pb.js";

/** A length-prefixed gRPC message (flags 0). */
export function frame(bytes: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(5 + bytes.length);
  b[0] = 0;
  b.writeUInt32BE(bytes.length, 1);
  b.set(bytes, 5);
  return b;
}

/** A protobuf message encoded and framed. */
export const encode = <D extends DescMessage>(schema: D, init: MessageInitShape<D>): Buffer =>
  frame(toBinary(schema, create(schema, init)));

/** Protobuf `bytes`/`string` field `n` (for etcd's requests, whose schemas we do not generate). */
export function bytesField(n: number, value: Uint8Array | string): Buffer {
  const v = typeof value === "string" ? Buffer.from(value) : Buffer.from(value);
  const len: number[] = [];
  let l = v.length;
  do {
    len.push((l & 0x7f) | (l >= 0x80 ? 0x80 : 0));
    l >>>= 7;
  } while (l > 0);
  return Buffer.concat([Buffer.from([(n << 3) | 2, ...len]), v]);
}

/**
 * etcd's `TxnRequest` of one range per key, framed (success = field 2, RequestOp.request_range =
 * 1, RangeRequest.key = 1): the raw side of the batched rows, encoded by hand since etcd's schemas
 * are not generated for the bench.
 */
export function etcdRangeTxn(keys: readonly Uint8Array[]): Buffer {
  return frame(Buffer.concat(keys.map((k) => bytesField(2, bytesField(1, bytesField(1, k))))));
}

/** etcd's `TxnRequest` of one put per entry, framed (RequestOp.request_put = 2, PutRequest.key = 1, value = 2). */
export function etcdPutTxn(entries: readonly (readonly [Uint8Array, Uint8Array | string])[]): Buffer {
  return frame(
    Buffer.concat(
      entries.map(([k, v]) => bytesField(2, bytesField(2, Buffer.concat([bytesField(1, k), bytesField(2, v)])))),
    ),
  );
}

/** A connection to one gRPC server over h2c (prior knowledge). */
export class RawGrpc {
  readonly session: http2.ClientHttp2Session;

  constructor(url: string) {
    this.session = http2.connect(url);
    this.session.on("error", () => {});
  }

  /** One unary call with a pre-encoded body; rejects unless grpc-status is 0. */
  unary(path: string, body: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = this.session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc+proto",
        te: "trailers",
      });
      let status: string | undefined;
      s.on("response", (h) => {
        if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      });
      s.on("trailers", (t) => {
        status = String(t["grpc-status"]);
      });
      s.on("data", () => {});
      s.on("end", () => (status === "0" ? resolve() : reject(new Error(`grpc-status ${status}`))));
      s.on("error", reject);
      s.end(body);
    });
  }

  /** Opens a bidi stream on `path` (as Pipeline). */
  stream(path: string): RawBidi {
    return new RawBidi(this.session, path);
  }

  close(): void {
    this.session.close();
  }
}

/**
 * A long-lived bidi stream whose responses come back one per request, in order: `send` writes
 * pre-encoded requests and resolves once as many responses have arrived.
 */
export class RawBidi {
  private readonly stream: http2.ClientHttp2Stream;
  /** Responses awaited per pending send, in order. */
  private readonly waiting: { left: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private buffered = Buffer.alloc(0);
  private failure: Error | undefined;

  constructor(session: http2.ClientHttp2Session, path: string) {
    this.stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc+proto",
      te: "trailers",
    });
    this.stream.on("data", (chunk: Buffer) => this.onData(chunk));
    this.stream.on("trailers", (t) => {
      if (t["grpc-status"] !== "0") this.fail(new Error(`grpc-status ${t["grpc-status"]}: ${t["grpc-message"]}`));
    });
    this.stream.on("error", (e) => this.fail(e));
    this.stream.on("close", () => this.fail(new Error("stream closed")));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  private onData(chunk: Buffer): void {
    let buf = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let off = 0;
    while (off + 5 <= buf.length) {
      const len = buf.readUInt32BE(off + 1);
      if (off + 5 + len > buf.length) break;
      off += 5 + len;
      const w = this.waiting[0];
      if (w !== undefined && --w.left === 0) {
        this.waiting.shift();
        w.resolve();
      }
    }
    buf = buf.subarray(off);
    this.buffered = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }

  /** Writes `body` (`count` framed requests) and resolves when their `count` responses are in. */
  send(body: Buffer, count: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ left: count, resolve, reject });
      this.stream.write(body);
    });
  }

  close(): void {
    this.stream.end();
    this.stream.close();
  }
}

/** A framed Pipeline request carrying `command` with tag `id`. */
export const pipelineRequest = (id: number, command: MessageInitShape<typeof CommandSchema>): Buffer =>
  encode(PipelineRequestSchema, { id: BigInt(id), command });
