/**
 * An error answered from the request's headers alone, before any byte of its body is read: in the
 * wire format of the request's protocol, built with connect's own protocol helpers, so every
 * client reads it as it reads connect's answers.
 *
 * - gRPC and gRPC-Web: a trailers-only response (HTTP 200, `grpc-status` and `grpc-message` in the
 *   headers, no body).
 * - Connect unary: the HTTP status of the code and the JSON error body.
 * - Connect streaming: HTTP 200 and an end-of-stream message carrying the error.
 */
import type * as http from "node:http";
import type * as http2 from "node:http2";
import type { ConnectError } from "@connectrpc/connect";
import {
  codeToHttpStatus,
  createEndStreamSerialization,
  endStreamFlag,
  errorToJsonBytes,
} from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";

/** The wire protocol of a request, from its method and content type. */
export type WireProtocol = "grpc" | "grpc-web" | "connect-unary" | "connect-stream";

/** The protocol of a request (Connect unary for anything that is not gRPC, gRPC-Web or a Connect stream). */
export function wireProtocol(contentType: string | undefined): WireProtocol {
  const type = contentType?.toLowerCase() ?? "";
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  if (type.startsWith("application/connect+")) return "connect-stream";
  return "connect-unary";
}

/** A response: status, headers and an optional body. */
export interface EarlyResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | undefined;
}

const endStream = createEndStreamSerialization({});

/** The response that carries `error` in `protocol` (`contentType` is the request's, echoed for gRPC and streams). */
export function earlyResponse(
  protocol: WireProtocol,
  contentType: string | undefined,
  error: ConnectError,
): EarlyResponse {
  switch (protocol) {
    case "grpc":
    case "grpc-web": {
      const trailer = new Headers();
      setTrailerStatus(trailer, error);
      const headers: Record<string, string> = {
        "content-type": contentType ?? (protocol === "grpc" ? "application/grpc" : "application/grpc-web+proto"),
      };
      trailer.forEach((value, key) => {
        headers[key] = value;
      });
      return { status: 200, headers, body: undefined };
    }
    case "connect-stream": {
      const json = endStream.serialize({ metadata: new Headers(), error });
      const body = new Uint8Array(5 + json.byteLength);
      body[0] = endStreamFlag;
      new DataView(body.buffer).setUint32(1, json.byteLength);
      body.set(json, 5);
      return { status: 200, headers: { "content-type": contentType ?? "application/connect+proto" }, body };
    }
    default:
      return {
        status: codeToHttpStatus(error.code),
        headers: { "content-type": "application/json" },
        body: errorToJsonBytes(error, {}),
      };
  }
}

/**
 * Answers an HTTP/2 stream with `error` and resets it once the answer is out, so the client
 * stops sending the body (RST_STREAM NO_ERROR after a complete response, RFC 9113 §8.1).
 */
export function answerStream(
  stream: http2.ServerHttp2Stream,
  protocol: WireProtocol,
  contentType: string | undefined,
  error: ConnectError,
): void {
  if (stream.destroyed || stream.closed) return;
  stream.on("error", () => {});
  if (stream.headersSent) {
    stream.close(2 /* INTERNAL_ERROR: the answer had begun */);
    return;
  }
  const res = earlyResponse(protocol, contentType, error);
  const headers = { ":status": res.status, ...res.headers };
  // Unread request bytes are discarded (flow control must not stall the answer).
  stream.resume();
  if (res.body === undefined) stream.respond(headers, { endStream: true });
  else {
    stream.respond(headers);
    stream.end(res.body);
  }
  resetWhenSent(stream);
}

function resetWhenSent(stream: http2.ServerHttp2Stream, waitedMs = 0): void {
  if (stream.destroyed || stream.closed || stream.state.remoteClose) return;
  if (stream.state.localClose) {
    stream.close(0 /* NO_ERROR */);
    return;
  }
  if (waitedMs >= 2000) {
    stream.close(8 /* CANCEL */);
    return;
  }
  setTimeout(() => resetWhenSent(stream, Math.max(1, waitedMs * 2)), waitedMs).unref();
}

/**
 * Answers an HTTP/1.1 request with `error`. Node discards the unread body once the answer is out
 * (nothing is buffered, inflated or decoded); a body still arriving 2 s later has its connection
 * closed. (Closing at once would reset the connection with the client's bytes unread, and the
 * client could lose the answer.)
 */
export function answerHttp1(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  protocol: WireProtocol,
  contentType: string | undefined,
  error: ConnectError,
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const early = earlyResponse(protocol, contentType, error);
  res.writeHead(early.status, early.headers);
  res.end(early.body);
  req.resume();
  if (!req.complete)
    setTimeout(() => {
      if (!req.complete) req.socket.destroy();
    }, 2000).unref();
}
