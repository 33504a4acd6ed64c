/**
 * The edge entry point: the whole Memorabilia API as one Fetch handler
 * (`(Request) => Promise<Response>`) over Connect and gRPC-Web, with CORS, bearer-token auth and
 * limits, for Deno, Bun, Cloudflare Workers (in a Durable Object) and any Fetch-API host.
 *
 * Plain gRPC needs HTTP trailers, which a Fetch Response cannot carry, so it is not offered here
 * (the Node server serves it). No timer starts here: the host calls `store.start()` when it
 * serves, or drives `sweep()` from its own scheduler (Durable Object alarms, Cron Triggers).
 */
import { type ConnectRouter, createConnectRouter, type Interceptor } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import { mapRouterDecodeErrors } from "../api/decode-errors.js";
import { type ApiLogger, consoleLogger } from "../api/error-map.js";
import { HealthState, registerHealthService } from "../api/health.js";
import { MEMORABILIA_SERVICES, registerMemorabiliaServices } from "../api/register.js";
import { registerStreamingServices, STREAMING_SERVICES } from "../api/register-streaming.js";
import type { StreamingOptions } from "../api/streaming-options.js";
import type { RpcRule } from "../auth/rpc-rules.js";
import { AuthService } from "../gen/memorabilia/v1/auth_service_pb.js";
import type { SweepRunResult } from "../store/expire.js";
import { createStore, type Store, type StoreOptions } from "../store/store.js";
import { authInterceptor, type EdgeToken, registerAuthService } from "./auth.js";
import { createCorsPolicy } from "./cors.js";

/** Options of {@link createEdgeApp}. */
export interface EdgeAppOptions {
  /** The store to serve. @default a new store built from `storeOptions` */
  readonly store?: Store;
  /** Options of the store created when `store` is omitted. */
  readonly storeOptions?: StoreOptions;
  /** Accepted bearer tokens; none means every caller is the anonymous admin. @default [] */
  readonly tokens?: readonly EdgeToken[];
  /** Origins allowed by CORS (`"*"` for any); none means same origin only. @default [] */
  readonly corsOrigins?: readonly string[];
  /** Largest request message in bytes (after decompression); larger ones get RESOURCE_EXHAUSTED. @default 4 MiB */
  readonly readMaxBytes?: number;
  /** Largest timeout a client may ask for; a larger one is INVALID_ARGUMENT. @default 5 minutes */
  readonly maxTimeoutMs?: number;
  /** Receives unexpected errors. @default consoleLogger */
  readonly logger?: ApiLogger;
  /** More routes to serve beside the built-in ones (they get the same auth and limits). */
  readonly routes?: (router: ConnectRouter) => void;
  /**
   * What the RPCs of `routes` need, by `package.Service/Method` (shared/auth's rules): with
   * tokens, an RPC no rule classifies is refused (deny by default). @default {}
   */
  readonly rpcRules?: Readonly<Record<string, RpcRule>>;
  /** Options of the streaming services (heartbeats, slow-reader bound, …). */
  readonly streaming?: StreamingOptions;
  /** Interceptors run after auth. */
  readonly interceptors?: readonly Interceptor[];
}

/** A running edge app. */
export interface EdgeApp {
  /** Serves one request. Hand it to `Deno.serve`, `Bun.serve`, a Worker's `fetch`, … */
  fetch(request: Request): Promise<Response>;
  /** The store served. */
  readonly store: Store;
  /** Health of the services (`grpc.health.v1.Health`); set NOT_SERVING before shutting down. */
  readonly health: HealthState;
  /** Runs one active-expiry cycle, for a runtime's own scheduler. */
  sweep(): Promise<SweepRunResult>;
  /** Every procedure path served (`/memorabilia.v1.StringsService/Get`, …). */
  readonly procedures: readonly string[];
}

/** Default request limit: big enough for any sane command, small enough that a bomb is refused. */
export const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;
/** Default cap on client timeouts. */
export const DEFAULT_MAX_TIMEOUT_MS = 5 * 60 * 1000;

/**
 * Creates the edge app: every service over `store`, served as Connect and gRPC-Web.
 *
 * @example
 * ```ts
 * const app = createEdgeApp({ tokens: [{ name: "ci", token: secret, role: "readwrite" }] });
 * app.store.start();
 * Deno.serve(app.fetch);
 * ```
 */
export function createEdgeApp(options: EdgeAppOptions = {}): EdgeApp {
  const store = options.store ?? createStore(options.storeOptions);
  const logger = options.logger ?? consoleLogger;
  const services = [...MEMORABILIA_SERVICES, ...STREAMING_SERVICES, AuthService];
  const health = new HealthState(services.map((s) => s.typeName));
  const router = createConnectRouter({
    grpc: false,
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    maxTimeoutMs: options.maxTimeoutMs ?? DEFAULT_MAX_TIMEOUT_MS,
    interceptors: [
      authInterceptor(options.tokens ?? [], store.commands, options.rpcRules),
      ...(options.interceptors ?? []),
    ],
  });
  registerMemorabiliaServices(router, store, { logger });
  registerStreamingServices(router, store, { logger, ...options.streaming });
  registerAuthService(router);
  registerHealthService(router, health);
  options.routes?.(router);
  mapRouterDecodeErrors(router);

  const handlers = new Map<string, (request: Request) => Promise<Response>>();
  for (const h of router.handlers) handlers.set(h.requestPath, createFetchHandler(h));
  const cors = createCorsPolicy(options.corsOrigins ?? []);

  const fetch = async (request: Request): Promise<Response> => {
    const preflight = cors.preflight(request);
    if (preflight !== undefined) return preflight;
    const handler = handlers.get(new URL(request.url).pathname);
    if (handler === undefined) return cors.decorate(request, new Response("not found\n", { status: 404 }));
    try {
      return cors.decorate(request, await handler(request));
    } catch (error) {
      // The protocol layer answers every protocol error itself; reaching here is a bug.
      logger.error("edge handler failed", { error, procedure: new URL(request.url).pathname });
      return cors.decorate(request, new Response("internal error\n", { status: 500 }));
    }
  };
  return { fetch, store, health, sweep: () => store.sweep(), procedures: [...handlers.keys()] };
}
