/**
 * The browser client: Connect or gRPC-Web over `fetch` (connect-web). Also works in any runtime
 * with `fetch` (Deno, Bun, workers, Node 18+), though Node services should prefer the Node
 * client (`server/client-node.ts`), which adds gRPC over HTTP/2 and Pipeline.
 */
import type { Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { bearerAuth } from "./auth.js";
import { createServiceClients, type MemorabiliaClient } from "./clients.js";

/** Options of the browser {@link createMemorabiliaClient}. */
export interface WebClientOptions {
  /** The server's URL, e.g. `http://127.0.0.1:7379` (or `location.origin` for the console). */
  readonly baseUrl: string;
  /** The wire protocol. @default "connect" */
  readonly protocol?: "connect" | "grpc-web";
  /** A bearer token (or a function returning the current one) sent on every call. */
  readonly token?: string | (() => string | undefined);
  /** Binary protobuf (default) or JSON (Connect only; readable in devtools). @default true */
  readonly useBinaryFormat?: boolean;
  /** Extra interceptors, run after the auth interceptor. */
  readonly interceptors?: readonly Interceptor[];
  /** Default deadline for every call, milliseconds. */
  readonly defaultTimeoutMs?: number;
  /** A `fetch` to use instead of the global one. */
  // biome-ignore lint/suspicious/noExplicitAny: the fetch signature is not declared in shared/ (no DOM types)
  readonly fetch?: any;
}

/**
 * Creates the typed clients over connect-web (Connect or gRPC-Web). Browsers cannot send client
 * streams, so `transaction.pipeline` is unavailable here: use `batch()`.
 *
 * @example
 * ```ts
 * const client = createMemorabiliaClient({ baseUrl: location.origin, protocol: "grpc-web" });
 * await client.strings.set({ key: "k", value: utf8("v"), expiry: { case: "ttlMs", value: ttl("10s") } });
 * ```
 */
export function createMemorabiliaClient(options: WebClientOptions): MemorabiliaClient {
  const interceptors = [
    ...(options.token !== undefined ? [bearerAuth(options.token)] : []),
    ...(options.interceptors ?? []),
  ];
  const common = {
    baseUrl: options.baseUrl,
    interceptors,
    useBinaryFormat: options.useBinaryFormat ?? true,
    ...(options.defaultTimeoutMs !== undefined ? { defaultTimeoutMs: options.defaultTimeoutMs } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
  };
  const transport = options.protocol === "grpc-web" ? createGrpcWebTransport(common) : createConnectTransport(common);
  return createServiceClients(transport);
}
