/**
 * The Node client: `import { createMemorabiliaClient } from "memorabilia/client"` in Node. Adds
 * gRPC over HTTP/2 (the only protocol that carries Pipeline's bidirectional stream) to the
 * runtime-neutral client, on connect-node transports.
 */
import type { Interceptor, Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { bearerAuth } from "../shared/client/auth.js";
import { createServiceClients, type MemorabiliaClient } from "../shared/client/clients.js";

export * from "../shared/client/index.js";

/**
 * The HTTP/2 session's memory cap, in MB (Node's default is 10). A request larger than that,
 * answered early by the server (RESOURCE_EXHAUSTED past --max-request-bytes), left the session
 * unable to take the answer's frames: the call hung until its deadline. The cap bounds what
 * nghttp2 may hold for the session; it allocates nothing. `nodeOptions.maxSessionMemory` overrides it.
 */
const MAX_SESSION_MEMORY_MB = 1024;

/** A wire protocol. */
export type Protocol = "grpc" | "grpc-web" | "connect";

/** Options of the Node {@link createMemorabiliaClient}. */
export interface NodeClientOptions {
  /** The server's URL, e.g. `http://127.0.0.1:7379` (`https:` for TLS). */
  readonly baseUrl: string;
  /** The wire protocol. @default "grpc" */
  readonly protocol?: Protocol;
  /** HTTP version for Connect and gRPC-Web (gRPC always uses HTTP/2). @default "2" for grpc, "1.1" otherwise */
  readonly httpVersion?: "1.1" | "2";
  /** A bearer token (or a function returning the current one) sent on every call. */
  readonly token?: string | (() => string | undefined);
  /** Binary protobuf (default) or JSON (Connect only). @default true */
  readonly useBinaryFormat?: boolean;
  /** Extra interceptors, run after the auth interceptor. */
  readonly interceptors?: readonly Interceptor[];
  /** Default deadline for every call, milliseconds. */
  readonly defaultTimeoutMs?: number;
  /** TLS and socket options for Node's `http2.connect` / `https.request` (e.g. `{ ca }`). */
  readonly nodeOptions?: Record<string, unknown>;
}

/** The Node client: the typed service clients plus `close()` for the HTTP/2 connection. */
export interface NodeMemorabiliaClient extends MemorabiliaClient {
  /** The protocol in use. */
  readonly protocol: Protocol;
  /** Closes the HTTP/2 session (in-flight calls fail); the process can then exit. No-op on HTTP/1.1. */
  close(): void;
}

/**
 * Creates the typed clients over connect-node: gRPC (HTTP/2, the default), gRPC-Web or Connect
 * (HTTP/1.1 by default, or HTTP/2).
 *
 * @example
 * ```ts
 * const client = createMemorabiliaClient({ baseUrl: "http://127.0.0.1:7379", token: process.env.MEMORABILIA_TOKEN });
 * const p = pipeline(client.transaction);
 * await p.sendAll([command("set", { key: "a", value: utf8("1") }), command("get", { key: "a" })]);
 * await p.close();
 * client.close();
 * ```
 */
export function createMemorabiliaClient(options: NodeClientOptions): NodeMemorabiliaClient {
  const protocol = options.protocol ?? "grpc";
  const httpVersion = protocol === "grpc" ? "2" : (options.httpVersion ?? "1.1");
  const interceptors = [
    ...(options.token !== undefined ? [bearerAuth(options.token)] : []),
    ...(options.interceptors ?? []),
  ];
  const sessionManager =
    httpVersion === "2"
      ? new Http2SessionManager(options.baseUrl, {}, {
          maxSessionMemory: MAX_SESSION_MEMORY_MB,
          ...(options.nodeOptions as object | undefined),
        } as never)
      : undefined;
  const common = {
    baseUrl: options.baseUrl,
    interceptors,
    useBinaryFormat: options.useBinaryFormat ?? true,
    ...(options.defaultTimeoutMs !== undefined ? { defaultTimeoutMs: options.defaultTimeoutMs } : {}),
    ...(options.nodeOptions !== undefined ? { nodeOptions: options.nodeOptions as never } : {}),
  };
  let transport: Transport;
  if (protocol === "grpc") transport = createGrpcTransport({ ...common, sessionManager });
  else if (httpVersion === "2") {
    const h2 = { ...common, httpVersion: "2" as const, sessionManager };
    transport = protocol === "connect" ? createConnectTransport(h2) : createGrpcWebTransport(h2);
  } else {
    const h1 = { ...common, httpVersion: "1.1" as const };
    transport = protocol === "connect" ? createConnectTransport(h1) : createGrpcWebTransport(h1);
  }
  return {
    ...createServiceClients(transport),
    protocol,
    close() {
      sessionManager?.abort();
    },
  };
}
