/**
 * A hostile uploader's client, over every path a request can take (gRPC on the fast lane and the
 * stream lane, gRPC compressed, gRPC-Web, Connect unary and streaming, HTTP/2 and HTTP/1.1): it
 * writes a request body piece by piece, and sees when (after how many bytes) the answer came.
 * Shared by request-body.test.ts and request-bytes-total.test.ts.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import { expect } from "vitest";

/** One request path: how the request is framed and where it goes. */
export interface Path {
  readonly name: string;
  readonly http: "1.1" | "2";
  readonly path: string;
  readonly headers: Record<string, string>;
  /** The gRPC / gRPC-Web status header, or the Connect HTTP status, that means `code`. */
  readonly streaming?: boolean;
}

export const EXECUTE = "/memorabilia.v1.CommandService/Execute";
export const PIPELINE = "/memorabilia.v1.TransactionService/Pipeline";
export const WATCH = "/memorabilia.v1.WatchService/Watch";

export const PATHS: Path[] = [
  {
    name: "gRPC unary (fast lane)",
    http: "2",
    path: EXECUTE,
    headers: { "content-type": "application/grpc", te: "trailers" },
  },
  {
    name: "gRPC unary gzip (connect)",
    http: "2",
    path: EXECUTE,
    headers: { "content-type": "application/grpc", te: "trailers", "grpc-encoding": "gzip" },
  },
  {
    name: "gRPC Pipeline (stream lane)",
    http: "2",
    path: PIPELINE,
    headers: { "content-type": "application/grpc", te: "trailers" },
    streaming: true,
  },
  { name: "gRPC-Web h2", http: "2", path: EXECUTE, headers: { "content-type": "application/grpc-web+proto" } },
  { name: "gRPC-Web h1", http: "1.1", path: EXECUTE, headers: { "content-type": "application/grpc-web+proto" } },
  { name: "Connect unary h2", http: "2", path: EXECUTE, headers: { "content-type": "application/proto" } },
  { name: "Connect unary h1", http: "1.1", path: EXECUTE, headers: { "content-type": "application/proto" } },
  {
    name: "Connect unary JSON gzip h1",
    http: "1.1",
    path: EXECUTE,
    headers: { "content-type": "application/json", "content-encoding": "gzip" },
  },
  { name: "Connect stream h1", http: "1.1", path: WATCH, headers: { "content-type": "application/connect+proto" } },
];

/** What came back: the HTTP status, the gRPC status (headers or trailers), the body as text. */
export interface Answer {
  readonly status: number;
  readonly grpcStatus: string | undefined;
  readonly text: string;
  /** Body bytes the client had handed to the socket when the answer's headers arrived. */
  readonly sentWhenAnswered: number;
}

/** An open request whose body the test writes. */
export interface OpenRequest {
  /** Writes `n` bytes; resolves when they are accepted (flow control), or at once when the request is over. */
  write(chunk: Uint8Array): Promise<void>;
  readonly answered: Promise<Answer>;
  readonly over: () => boolean;
  close(): void;
}

export function openH2(url: string, path: Path, extra: Record<string, string>): OpenRequest {
  const session = http2.connect(url);
  session.on("error", () => {});
  const stream = session.request({ ":method": "POST", ":path": path.path, ...path.headers, ...extra });
  stream.on("error", () => {});
  let sent = 0;
  let over = false;
  const answered = new Promise<Answer>((resolve) => {
    let status = 0;
    let grpcStatus: string | undefined;
    let sentWhenAnswered = 0;
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      grpcStatus = h["grpc-status"] as string | undefined;
      sentWhenAnswered = sent;
    });
    stream.on("trailers", (t) => {
      grpcStatus ??= t["grpc-status"] as string | undefined;
    });
    stream.on("data", (c: Buffer) => chunks.push(c));
    const done = () => {
      over = true;
      const text = Buffer.concat(chunks).toString("latin1");
      grpcStatus ??= /grpc-status:\s*(\d+)/.exec(text)?.[1];
      resolve({ status, grpcStatus, text, sentWhenAnswered });
    };
    stream.on("close", done);
  });
  return {
    write: (chunk) =>
      new Promise((resolve) => {
        if (over || stream.destroyed || stream.writableEnded) return resolve();
        sent += chunk.byteLength;
        if (stream.write(chunk)) resolve();
        else {
          const onDrain = () => resolve();
          stream.once("drain", onDrain);
          stream.once("close", onDrain);
        }
      }),
    answered,
    over: () => over,
    close: () => {
      stream.destroy();
      session.destroy();
    },
  };
}

export function openH1(url: string, path: Path, extra: Record<string, string>): OpenRequest {
  const { hostname, port } = new URL(url);
  const req = http.request({
    host: hostname,
    port,
    method: "POST",
    path: path.path,
    headers: { ...path.headers, ...extra, "transfer-encoding": "chunked" },
    agent: false,
  });
  req.on("error", () => {});
  req.flushHeaders();
  let sent = 0;
  let over = false;
  const answered = new Promise<Answer>((resolve) => {
    const finish = (status: number, headers: http.IncomingHttpHeaders, text: string, at: number) => {
      over = true;
      resolve({
        status,
        grpcStatus: (headers["grpc-status"] as string | undefined) ?? /grpc-status:\s*(\d+)/.exec(text)?.[1],
        text,
        sentWhenAnswered: at,
      });
    };
    req.on("response", (res) => {
      const at = sent;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", () => {});
      res.on("close", () => finish(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString("latin1"), at));
    });
    req.on("close", () => {
      if (!over) finish(0, {}, "", sent);
    });
  });
  return {
    write: (chunk) =>
      new Promise((resolve) => {
        if (over || req.destroyed) return resolve();
        sent += chunk.byteLength;
        if (req.write(chunk)) resolve();
        else {
          req.once("drain", () => resolve());
          req.once("close", () => resolve());
        }
      }),
    answered,
    over: () => over,
    close: () => req.destroy(),
  };
}

export const open = (url: string, path: Path, extra: Record<string, string> = {}): OpenRequest =>
  path.http === "2" ? openH2(url, path, extra) : openH1(url, path, extra);

/** The gRPC code (number) of an answer, whatever its protocol. */
export function codeOf(a: Answer): number | string {
  if (a.grpcStatus !== undefined) return Number(a.grpcStatus);
  const m = /"code":"([a-z_]+)"/.exec(a.text);
  return m?.[1] ?? `http ${a.status}`;
}

export const CODE_NAMES: Record<number, string> = {
  4: "deadline_exceeded",
  8: "resource_exhausted",
  16: "unauthenticated",
};
export const expectCode = (a: Answer, code: number) => {
  const got = codeOf(a);
  expect(typeof got === "number" ? got : got).toBe(typeof got === "number" ? code : CODE_NAMES[code]);
};

/** A gRPC envelope header claiming `length` bytes (the payload follows in later writes). */
export const envelopeHeader = (length: number): Uint8Array => {
  const h = new Uint8Array(5);
  new DataView(h.buffer).setUint32(1, length);
  return h;
};
export const framed = (p: Path) =>
  p.headers["content-type"]?.includes("grpc") || p.headers["content-type"]?.includes("connect+");
