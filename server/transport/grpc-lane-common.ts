/**
 * What the lanes share: grpc-fast-lane.ts (unary gRPC calls), web-lane.ts (unary gRPC-Web and
 * Connect) and stream-lane.ts (every streaming call). Their options and connect's validation of them, the route table
 * filled through a recording router, the check of which HTTP/2 requests a lane may take at all,
 * the set of live calls the shutdown signal aborts, and small pieces of connect's behaviour
 * (RST_STREAM reasons, header reads and copies) both lanes reproduce.
 */
import type { IncomingMessage } from "node:http";
import type * as http2 from "node:http2";
import type { DescMessage, DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createServiceImplSpec,
  type Interceptor,
} from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import type { RequestBytesBudget } from "../request-bytes.js";
import {
  type Compression,
  compressionNegotiate,
  createMethodSerializationLookup,
  validateUniversalHandlerOptions,
} from "./connect-internals.js";
import type { CorsHeaders } from "./cors-headers.js";
import { abortReason } from "./grpc-lane-context.js";
import { fastFromBinary } from "./protobuf-fast-reader.js";
import { fastToBinary } from "./protobuf-fast-writer.js";

/** Options every lane takes: the same values the connect-fastify plugin gets. */
export interface GrpcLaneOptions {
  readonly interceptors: readonly Interceptor[];
  readonly readMaxBytes: number;
  readonly maxTimeoutMs: number;
  /** Aborted when the shutdown deadline passes (in-flight calls are cancelled). */
  readonly shutdownSignal?: AbortSignal;
  /**
   * The context values of a call from this remote address, whose request arrived on `source`
   * (the HTTP/2 stream or HTTP/1.1 request: the host finds what the request gate decided about it).
   */
  readonly contextValues?: (
    remoteAddress: string | undefined,
    source?: http2.ServerHttp2Stream | IncomingMessage,
  ) => ContextValues;
  /** Replies at least this large are compressed (when the client accepts it), as the plugin's `compressMinBytes`. @default connect's (1024) */
  readonly compressMinBytes?: number;
  /** Response compressions offered, as the plugin's `acceptCompression`. @default gzip, brotli */
  readonly acceptCompression?: readonly Compression[];
  /** The CORS headers Fastify's CORS plugin adds (when `--cors-origin` is set): the lanes add the same to every answer. */
  readonly cors?: CorsHeaders;
  /**
   * The server's request-bytes budget (`--max-request-bytes-total`): the unary lanes count their
   * bodies against it in their own readers (the request gate wraps nothing on them).
   */
  readonly requestBytes?: RequestBytesBudget;
}

/** A lane: records the routes, then takes the HTTP/2 streams it can serve. */
export interface GrpcLane {
  /** Wraps a router: services registered through it are served by the router and by the lane. */
  record(router: ConnectRouter): ConnectRouter;
  /** Serves the stream and returns true, or returns false (nothing touched) for the normal path. */
  handle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean;
  /** The request paths served (for tests and metrics). */
  readonly paths: ReadonlySet<string>;
  /** Calls (streams) taken so far. */
  readonly calls: number;
}

/** The lane's options as connect's handlers see them (defaults filled in, limits checked). */
export type LaneHandlerOptions = ReturnType<typeof validateUniversalHandlerOptions>;

/** Validates the lane's options as connect does for its own handlers (same defaults). */
export function validateLaneOptions(options: GrpcLaneOptions): LaneHandlerOptions {
  return validateUniversalHandlerOptions({
    readMaxBytes: options.readMaxBytes,
    maxTimeoutMs: options.maxTimeoutMs,
    compressMinBytes: options.compressMinBytes,
    interceptors: [...options.interceptors],
    acceptCompression: [...(options.acceptCompression ?? [compressionGzip, compressionBrotli])],
  });
}

/** One method's implementation as connect's `createServiceImplSpec` gives it. */
export type MethodImplSpec = ReturnType<typeof createServiceImplSpec>["methods"][string];

/** A method a lane serves: its implementation, its service and its serializers. */
export interface LaneRoute<S extends MethodImplSpec> {
  readonly spec: S;
  readonly service: DescService;
  readonly serialization: ReturnType<typeof createMethodSerializationLookup>;
  /** The output serializer the lane uses: see {@link replySerializer}. */
  readonly serialize: (value: unknown) => Uint8Array;
  /** The input parser the lane uses: see {@link requestParser}. */
  readonly parse: (data: Uint8Array) => unknown;
}

/**
 * The method's input parser: the reflection-free reader (the message `fromBinary` gives), and
 * connect's own parser whenever the input does not parse (with its `parse binary: …` error).
 */
function requestParser(
  desc: DescMessage,
  serialization: ReturnType<typeof createMethodSerializationLookup>,
): (data: Uint8Array) => unknown {
  const stock = serialization.getI(true);
  return (data) => {
    try {
      return fastFromBinary(desc, data);
    } catch {
      return stock.parse(data);
    }
  };
}

/**
 * The method's output serializer: the reflection-free writer (byte-identical to `toBinary`), and
 * connect's own serializer whenever that one would answer otherwise (a value it refuses, with its
 * `serialize binary: …` error; a reply past writeMaxBytes, with its RESOURCE_EXHAUSTED). For a
 * reply of 100,000 elements `toBinary` takes ~5x longer (reflection per element).
 */
function replySerializer(
  desc: DescMessage,
  serialization: ReturnType<typeof createMethodSerializationLookup>,
  writeMaxBytes: number,
): (value: unknown) => Uint8Array {
  const stock = serialization.getO(true);
  return (value) => {
    let bytes: Uint8Array;
    try {
      bytes = fastToBinary(desc, value as object);
    } catch {
      return stock.serialize(value as never);
    }
    return bytes.byteLength > writeMaxBytes ? stock.serialize(value as never) : bytes;
  };
}

/** A lane's routes, filled in as services are registered through {@link LaneRoutes.record}. */
export interface LaneRoutes<S extends MethodImplSpec> {
  /** The request paths served. */
  readonly paths: Set<string>;
  /** Wraps a router: services registered through it are served by the router and recorded here. */
  record(router: ConnectRouter): ConnectRouter;
  /** The route of a request the lane may take ({@link isLaneRequest}), or undefined for the normal path. */
  take(headers: http2.IncomingHttpHeaders): LaneRoute<S> | undefined;
  /** The route recorded for a request path, whatever the request. */
  route(path: string): LaneRoute<S> | undefined;
}

/**
 * Creates a lane's route table: of each service registered through `record` (without
 * per-service options), the methods `takes` accepts, with serializers under `limits`.
 */
export function createLaneRoutes<S extends MethodImplSpec>(
  limits: LaneHandlerOptions,
  takes: (method: MethodImplSpec, path: string) => method is S,
): LaneRoutes<S> {
  const byPath = new Map<string, LaneRoute<S>>();
  const paths = new Set<string>();

  const add = (service: DescService, impl: unknown): void => {
    const spec = createServiceImplSpec(service, impl as never);
    for (const m of Object.values(spec.methods)) {
      const path = `/${service.typeName}/${m.method.name}`;
      if (!takes(m, path)) continue;
      const serialization = createMethodSerializationLookup(m.method as never, undefined, undefined, limits);
      const serialize = replySerializer(m.method.output, serialization, limits.writeMaxBytes);
      const parse = requestParser(m.method.input, serialization);
      byPath.set(path, { spec: m, service, serialization, serialize, parse });
      paths.add(path);
    }
  };

  const record = (router: ConnectRouter): ConnectRouter => {
    const wrapped: ConnectRouter = {
      get handlers() {
        return router.handlers;
      },
      service(service, impl, serviceOptions) {
        // Per-service options (protocols, limits) would change the semantics: leave those to connect.
        if (serviceOptions === undefined) add(service, impl);
        router.service(service, impl, serviceOptions);
        return wrapped;
      },
      rpc(method, impl, rpcOptions) {
        router.rpc(method, impl, rpcOptions);
        return wrapped;
      },
    };
    return wrapped;
  };

  const take = (headers: http2.IncomingHttpHeaders): LaneRoute<S> | undefined =>
    isLaneRequest(headers) ? byPath.get(headers[":path"] as string) : undefined;

  return { paths, record, take, route: (path) => byPath.get(path) };
}

/** A plain `host[:port]` authority (anything else is left to the server's Host check). */
export const PLAIN_AUTHORITY = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * The route and protocol of a gRPC-Web or Connect request a lane takes, or undefined: a POST to one
 * of the lane's paths, with a plain authority, in a protocol `protocolOf` recognises (the unary web
 * lane and the stream lane differ only in that).
 */
export function takeWebRequest<R, P>(
  route: (path: string) => R | undefined,
  protocolOf: (headers: http2.IncomingHttpHeaders) => P | undefined,
  method: string | undefined,
  path: string | undefined,
  authority: string | undefined,
  headers: http2.IncomingHttpHeaders,
): [R, P] | undefined {
  if (method !== "POST" || path === undefined) return undefined;
  if (authority === undefined || !PLAIN_AUTHORITY.test(authority)) return undefined;
  const protocol = protocolOf(headers);
  if (protocol === undefined) return undefined;
  const found = route(path);
  return found === undefined ? undefined : [found, protocol];
}

/**
 * Whether a lane may take the request at all (the path is the lane's own check): a POST of
 * `application/grpc` or `application/grpc+proto`, identity `grpc-encoding`, no `Origin` (CORS
 * stays with Fastify) and a plain `host[:port]` authority.
 */
export function isLaneRequest(headers: http2.IncomingHttpHeaders): boolean {
  if (headers[":method"] !== "POST") return false;
  const type = headers["content-type"];
  if (type !== "application/grpc" && type !== "application/grpc+proto") return false;
  const encoding = headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") return false;
  if (headers.origin !== undefined) return false;
  // The server's Host check (a 400 for an invalid authority) lives in a Fastify hook: leave
  // anything but a plain host[:port] to it.
  const authority = headers[":authority"];
  return authority !== undefined && PLAIN_AUTHORITY.test(authority);
}

/** A call in a lane's live set: aborted with the shutdown signal's reason. */
export interface LiveCall {
  abort(reason?: unknown): void;
}

const kLiveSlot: unique symbol = Symbol("memorabilia.liveSlot");
type LiveEntry = LiveCall & { [kLiveSlot]?: number };

/**
 * A lane's in-flight calls (the contexts add and remove themselves): each call knows its index,
 * so adding and removing one allocates nothing. A `Set`, with a call added and deleted per
 * request, allocated a new table each time it grew or shrank, and those tables were promoted.
 */
export class LiveCalls {
  private readonly calls: LiveEntry[] = [];

  /** Calls in flight. */
  get size(): number {
    return this.calls.length;
  }

  add(call: LiveCall): void {
    const c = call as LiveEntry;
    const slot = c[kLiveSlot];
    if (slot !== undefined && slot >= 0 && this.calls[slot] === c) return;
    c[kLiveSlot] = this.calls.length;
    this.calls.push(c);
  }

  delete(call: LiveCall): void {
    const c = call as LiveEntry;
    const slot = c[kLiveSlot];
    if (slot === undefined || slot < 0 || this.calls[slot] !== c) return;
    const last = this.calls.pop() as LiveEntry;
    if (last !== c) {
      this.calls[slot] = last;
      last[kLiveSlot] = slot;
    }
    c[kLiveSlot] = -1;
  }

  /** Aborts every call in flight with `reason` and empties the set. */
  abortAll(reason: unknown): void {
    const calls = this.calls.splice(0);
    for (const c of calls) c[kLiveSlot] = -1;
    for (const c of calls) c.abort(reason);
  }
}

/**
 * A lane's in-flight calls, aborted together when the shutdown signal fires (one listener for the
 * lane instead of linking every call's signal to it).
 */
export function createLiveCalls(shutdownSignal: AbortSignal | undefined): LiveCalls {
  const live = new LiveCalls();
  shutdownSignal?.addEventListener("abort", () => live.abortAll(abortReason(shutdownSignal)));
  return live;
}

/** The reason the call's signal is aborted with once it has finished (connect builds a DOMException each time). */
export const FINISHED = new ConnectError("the call has finished", Code.Canceled);

const RST_NAMES: Record<number, [string, Code]> = {
  1: ["PROTOCOL_ERROR", Code.Internal],
  2: ["INTERNAL_ERROR", Code.Internal],
  3: ["FLOW_CONTROL_ERROR", Code.Internal],
  4: ["SETTINGS_TIMEOUT", Code.Internal],
  6: ["FRAME_SIZE_ERROR", Code.Internal],
  7: ["REFUSED_STREAM", Code.Unavailable],
  8: ["CANCEL", Code.Canceled],
  9: ["COMPRESSION_ERROR", Code.Internal],
  10: ["CONNECT_ERROR", Code.Internal],
  11: ["ENHANCE_YOUR_CALM", Code.ResourceExhausted],
  12: ["INADEQUATE_SECURITY", Code.PermissionDenied],
  13: ["HTTP_1_1_REQUIRED", Code.PermissionDenied],
};

/**
 * As connect-node maps a client's RST_STREAM code to the signal's reason; undefined for a code it
 * has no name for (NO_ERROR among them), where each lane has its own fallback.
 */
export function resetError(rstCode: number): ConnectError | undefined {
  const e = RST_NAMES[rstCode];
  return e && new ConnectError(`http/2 stream closed with error code ${e[0]} (0x${rstCode.toString(16)})`, e[1]);
}

/**
 * connect's `compressionNegotiate` for one accept header (`grpc-accept-encoding` or
 * `accept-encoding`, no request encoding: the lanes take identity requests only), its result made
 * once per header value: a client sends the same value on every call. At most 64 values are kept;
 * past them, each call negotiates.
 */
export function createNegotiator(
  accept: Parameters<typeof compressionNegotiate>[0],
  headerName: string,
): (accepted: string | null) => ReturnType<typeof compressionNegotiate> {
  const seen = new Map<string | null, ReturnType<typeof compressionNegotiate>>();
  return (accepted) => {
    let result = seen.get(accepted);
    if (result === undefined) {
      result = compressionNegotiate(accept, null, accepted, headerName);
      if (seen.size < 64) seen.set(accepted, result);
    }
    return result;
  };
}

/** A header as `Headers.get` would give it: duplicates joined with ", ", absent as null. */
export function headerValue(v: string | string[] | undefined): string | null {
  return v === undefined ? null : typeof v === "string" ? v : v.join(", ");
}

/**
 * connect's `copyHeaders` (invoke-implementation.js, not exported), verbatim: `to` gets the
 * entries of `from`, and nothing happens when both are the same object. Deleting inside
 * `to.forEach` skips every other old key (a quirk of connect's) — kept, so a lane answers
 * exactly as the normal path does.
 */
export function copyHeaders(from: Headers, to: Headers): void {
  if (from === to) return;
  to.forEach((_, key) => {
    to.delete(key);
  });
  from.forEach((value, key) => {
    to.set(key, value);
  });
}
