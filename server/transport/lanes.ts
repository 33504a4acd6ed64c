/**
 * The transport's lanes as the server uses them (`--transport`): with `fast`, unary gRPC calls
 * (grpc-fast-lane.ts) and the Pipeline stream (grpc-stream-lane.ts) are taken off HTTP/2 before
 * Fastify; with `connect`, nothing is, and every call goes through Fastify + connect-es as they
 * ship (the fallback, and the bench's baseline).
 */
import type * as http2 from "node:http2";
import type { ConnectRouter } from "@connectrpc/connect";
import { createGrpcFastLane } from "./grpc-fast-lane.js";
import type { GrpcLaneOptions } from "./grpc-lane-common.js";
import { createGrpcStreamLane } from "./grpc-stream-lane.js";

/** Which transport serves RPCs (`--transport`). */
export type TransportMode = "fast" | "connect";

/** The lanes in front of connect-fastify. */
export interface Lanes {
  /** Wraps the router: services registered through it are served by connect and by the lanes. */
  record(router: ConnectRouter): ConnectRouter;
  /** Offered each HTTP/2 stream once the request gate let it through: true when a lane serves it. */
  serveStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean;
  /** Unary calls the lanes served so far. */
  unaryCalls(): number;
  /** Streams the lanes served so far. */
  streamCalls(): number;
}

/** Creates the lanes of `mode` with the same interceptors, limits and context values connect gets. */
export function createLanes(mode: TransportMode, options: GrpcLaneOptions): Lanes {
  if (mode === "connect")
    return { record: (router) => router, serveStream: () => false, unaryCalls: () => 0, streamCalls: () => 0 };
  const unary = createGrpcFastLane(options);
  const streams = createGrpcStreamLane(options);
  return {
    record: (router) => unary.record(streams.record(router)),
    serveStream: (stream, headers) => unary.handle(stream, headers) || streams.handle(stream, headers),
    unaryCalls: () => unary.calls,
    streamCalls: () => streams.calls,
  };
}
