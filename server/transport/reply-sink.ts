/**
 * Where a streaming call's answer goes, whatever carries it: an HTTP/2 stream (h2c or TLS) or an
 * HTTP/1.1 request/response pair (cleartext or TLS). The stream lane and its reply writer see
 * only this: the request body to read, the response head, writes with backpressure, the end
 * (with HTTP/2 trailers for gRPC), and the exchange going away under the call.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { closeUnfinishedRequest, ignore, remoteAddress } from "./grpc-fast-lane.js";
import { resetError } from "./grpc-lane-common.js";

/** The request body as the lanes read it (an HTTP/2 stream or an HTTP/1.1 request). */
export type RequestBody = http2.ServerHttp2Stream | IncomingMessage;

/** One exchange's response side (see the module comment). */
export interface ReplySink {
  /** The request body. */
  readonly body: RequestBody;
  /** The client's address. */
  readonly remoteAddress: string | undefined;
  /** The exchange is gone (closed or destroyed): nothing more can be written. */
  readonly gone: boolean;
  /** Sends the response head (status 200 and `headers`). */
  respond(headers: Record<string, string>): void;
  /** Writes bytes; false when they were not all taken (wait for the drain listener). */
  write(data: Uint8Array): boolean;
  /** Calls `listener` each time the transport drains. */
  onDrain(listener: () => void): void;
  /** Calls `listener` once if the exchange goes away before {@link end}, with the reason as connect gives it. */
  onGone(listener: (reason: ConnectError) => void): void;
  /** Writes `data` (if any) and ends the response; `trailers` as HTTP/2 trailers (gRPC only). */
  end(data: Uint8Array | undefined, trailers: http2.OutgoingHttpHeaders | undefined): void;
}

const aborted = () => new ConnectError("the operation was aborted", Code.Canceled);

/** Adds headers to a response head before it is sent (the CORS headers). */
export type HeadDecorator = (headers: Record<string, string>) => void;

/**
 * An HTTP/2 stream as a sink; `trailers`: the response ends with trailers (gRPC); `decorate`
 * adds to the response head.
 */
export function http2Sink(stream: http2.ServerHttp2Stream, trailers: boolean, decorate?: HeadDecorator): ReplySink {
  let ended = false;
  // From the start: a reset while the handler runs emits "error", which without a listener crashes.
  stream.on("error", ignore);
  return {
    body: stream,
    remoteAddress: remoteAddress(stream),
    get gone() {
      return stream.destroyed || stream.closed;
    },
    respond(headers) {
      decorate?.(headers);
      stream.respond({ ":status": 200, ...headers }, { waitForTrailers: trailers });
    },
    write: (data) => stream.write(data),
    onDrain: (listener) => stream.on("drain", listener),
    onGone(listener) {
      stream.once("close", () => {
        if (!ended) listener(resetError(stream.rstCode) ?? aborted());
      });
    },
    end(data, out) {
      ended = true;
      if (stream.destroyed || stream.closed) return;
      if (trailers)
        stream.once("wantTrailers", () => {
          stream.sendTrailers(out ?? {});
          if (!stream.readableEnded) closeUnfinishedRequest(stream);
        });
      // A call that ended before its request did (an error): discard the rest of the request, so
      // flow control never stalls the client until the end is out; then close the stream.
      if (!stream.readableEnded) stream.resume();
      if (trailers) stream.end(data);
      else
        stream.end(data, () => {
          if (!stream.readableEnded) closeUnfinishedRequest(stream);
        });
    },
  };
}

/** An HTTP/1.1 request and its response as a sink; `decorate` adds to the response head. */
export function http1Sink(req: IncomingMessage, res: ServerResponse, decorate?: HeadDecorator): ReplySink {
  let ended = false;
  return {
    body: req,
    remoteAddress: req.socket.remoteAddress,
    get gone() {
      return res.destroyed;
    },
    respond(headers) {
      decorate?.(headers);
      res.writeHead(200, headers);
    },
    write: (data) => res.write(data),
    onDrain: (listener) => res.on("drain", listener),
    onGone(listener) {
      res.once("close", () => {
        if (!ended) listener(aborted());
      });
    },
    end(data) {
      ended = true;
      if (res.destroyed) return;
      if (!req.complete) req.resume();
      if (data === undefined) res.end();
      else res.end(data);
    },
  };
}
