import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2SecureServer, IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { resolve } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import {
  Code,
  type ConnectError,
  type ConnectRouter,
  cors as connectCors,
  createContextValues,
} from "@connectrpc/connect";
import { fastifyConnectPlugin } from "@connectrpc/connect-fastify";
import fastifyCors from "@fastify/cors";
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyInstance, type FastifyServerFactory, LogController } from "fastify";
import { createAuthService } from "../shared/api/auth-service.js";
import { mapRouterDecodeErrors } from "../shared/api/decode-errors.js";
import { HealthState, registerHealthService, ServingStatus } from "../shared/api/health.js";
import { registerReflectionServices } from "../shared/api/reflection.js";
import { StreamCounter } from "../shared/api/streaming-options.js";
import { Health } from "../shared/gen/grpc/health/v1/health_pb.js";
import { AuthService } from "../shared/gen/memorabilia/v1/auth_service_pb.js";
import { createStore, type Store } from "../shared/index.js";
import { type Evictor, installEviction } from "../shared/store/eviction.js";
import { PubSubHub } from "../shared/store/pubsub.js";
import { authInterceptor, authorizeCurrent } from "./auth/auth-interceptor.js";
import { Login } from "./auth/login.js";
import { LoginThrottle } from "./auth/login-throttle.js";
import { loadTokens, TokenError, type TokenRegistry } from "./auth/tokens.js";
import { binaryReplyInterceptor } from "./binary-reply-interceptor.js";
import { callerPrecheck } from "./caller-precheck.js";
import {
  type CleartextServer,
  type CleartextServerOptions,
  createCleartextServer,
  type DualHandler,
} from "./cleartext-server.js";
import { type ClientErrors, createClientErrors } from "./client-errors.js";
import type { ServerConfig } from "./config.js";
import { ConfigError } from "./config.js";
import { createGrpcFastLane, type GrpcFastLane, installFastLane } from "./grpc-fast-lane.js";
import type { GrpcLaneOptions } from "./grpc-lane-common.js";
import { createGrpcStreamLane, type GrpcStreamLane } from "./grpc-stream-lane.js";
import { hostStats } from "./host-stats.js";
import { isLoopback, kRemoteAddress, observeInterceptor, protectedModeInterceptor } from "./interceptors.js";
import { jsonGuardDecoder } from "./json-guard.js";
import { createServerMetrics, type ServerMetrics } from "./metrics.js";
import { durabilityInterceptor } from "./persistence/durability-interceptor.js";
import { FilePersistence, PersistenceError } from "./persistence/file-persistence.js";
import type { LoadReport, Persistence } from "./persistence/types.js";
import { installProtobufFieldIndex } from "./protobuf-field-index.js";
import { createRequestGate, type RequestGateOptions } from "./request-gate.js";
import { startRespPort } from "./resp/resp-app.js";
import { apiRoutes } from "./routes.js";
import { limitSecureServer } from "./secure-server-limits.js";

/** A running server. */
export interface MemorabiliaServer {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly health: HealthState;
  readonly metrics: ServerMetrics;
  /** Persistence, when `--data-dir` is set. */
  readonly persistence: Persistence | undefined;
  /** What was loaded at start (with `--data-dir`). */
  readonly loaded: LoadReport | undefined;
  /** The maxmemory controller, when `--maxmemory` is set. */
  readonly evictor: Evictor | undefined;
  /** The configured tokens (auth is on when any is). */
  readonly tokens: TokenRegistry;
  /** The base URL (`http://127.0.0.1:7379` or `https://…`). */
  readonly url: string;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** Unary gRPC calls served by the fast lane so far (0 when it is off). */
  fastLaneCalls(): number;
  /** The bound RESP port (`--resp-port`), or undefined when it is off. */
  readonly respPort: number | undefined;
  /** Pipeline streams served by the stream lane so far (0 when it is off). */
  streamLaneCalls(): number;
  /**
   * Graceful shutdown: health turns NOT_SERVING, no new connections, in-flight calls and streams
   * get `shutdownTimeoutMs` to finish (then they are aborted), the store's timers stop.
   */
  close(): Promise<void>;
}

/** Options that are not configuration: injected collaborators (tests, embedding). */
export interface ServerDeps {
  /** The store to serve. @default a new store with the configured limits and sweep */
  readonly store?: Store;
  /**
   * Serve unary gRPC over HTTP/2 on the fast lane (same semantics, a fraction of the CPU).
   * @default true, unless the environment sets MEMORABILIA_GRPC_FAST_LANE=off (for comparisons)
   */
  readonly grpcFastLane?: boolean;
}

/** connect's JSON options: its `textDecoder` refuses JSON too deep or too large to parse (json-guard.ts). */
const JSON_OPTIONS: Record<string, unknown> = { textDecoder: jsonGuardDecoder() };

/**
 * The transport's limits from the configuration. The HTTP/2 receive windows are raised from
 * HTTP/2's 64 KiB (uploads crawled: 5.3 MB took 3-4.7 s) to a request's size, within bounds:
 * what one stream or connection may have in flight stays a small multiple of --max-request-bytes.
 */
export function transportLimits(config: ServerConfig): CleartextServerOptions {
  const stream = Math.max(65_535, Math.min(config.maxRequestBytes + 5, 4 << 20));
  return {
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    limits: {
      maxClients: config.maxClients,
      maxClientsPerAddress: config.maxClientsPerAddress,
      idleTimeoutMs: config.idleTimeoutMs,
    },
    http2Windows: { stream, connection: Math.min(2 * stream, 8 << 20) },
  };
}

/** Builds and starts the server. */
export async function startServer(config: ServerConfig, deps: ServerDeps = {}): Promise<MemorabiliaServer> {
  // Parsing a Batch/Pipeline Command was ~4 µs in protobuf-es's per-instance field index (see the file).
  installProtobufFieldIndex();
  // --engine etcd: the keyspace lives in an etcd cluster (server/engines/etcd), loaded only then.
  const etcd =
    config.engine === "etcd" && deps.store === undefined
      ? (await import("./engines/etcd/etcd-engine.js")).createEtcdEngine(config)
      : undefined;
  const store =
    deps.store ??
    createStore({
      repository: etcd?.repository,
      limits: {
        maxKeyBytes: config.maxKeyBytes,
        maxValueBytes: config.maxValueBytes,
        maxArgs: config.maxArgs,
        maxScanCount: config.maxScanCount,
        maxReplyBytes: config.maxReplyBytes,
      },
      sweep: {
        pattern: config.sweepPattern,
        // setImmediate yields to I/O without the ~1 ms clamp of setTimeout(0): mass expiry drains ~2x faster.
        yieldToLoop: () => new Promise<void>((resolve) => setImmediate(resolve)),
      },
    });
  let tokens: TokenRegistry;
  try {
    tokens = loadTokens(config.tokens, config.tokensFile);
  } catch (error) {
    if (error instanceof TokenError) throw new ConfigError(error.message);
    throw error;
  }
  const tls = config.tlsCert !== undefined && config.tlsKey !== undefined;
  let cleartext: CleartextServer | undefined;
  let metricsRef: ServerMetrics | undefined;
  // Set once the logger and metrics exist; connections are only accepted after that.
  let clientErrors: ClientErrors | undefined;
  // Unary gRPC over HTTP/2 skips Fastify and connect's stream plumbing (grpc-fast-lane.ts); set
  // below, once the interceptors and routes exist.
  let fastLane: GrpcFastLane | undefined;
  // The Pipeline stream likewise (grpc-stream-lane.ts); MEMORABILIA_GRPC_STREAM_LANE=off leaves it to connect.
  let streamLane: GrpcStreamLane | undefined;
  const useFastLane = deps.grpcFastLane ?? process.env.MEMORABILIA_GRPC_FAST_LANE !== "off";
  let precheck: RequestGateOptions["precheck"];
  // Every RPC is judged from its headers before its body is read (request-gate.ts): who may call,
  // the deadline, and how long its body may take to arrive.
  const gate = createRequestGate({
    // Set once the Login exists (below); no request arrives before the server listens.
    precheck: (method, header, address) => precheck?.(method, header, address),
    maxTimeoutMs: config.maxTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    onRefused: (kind, address, detail) => clientErrors?.note(kind, address, detail),
  });
  // Each HTTP/2 stream: the gate, then the gRPC lanes, else Fastify's compat handling.
  const serveStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean =>
    gate.handleStream(stream, headers) ||
    (fastLane?.handle(stream, headers) ?? false) ||
    (streamLane?.handle(stream, headers) ?? false);
  const laneShutdown = new AbortController();
  const serverFactory: FastifyServerFactory = (handler) => {
    cleartext = createCleartextServer(handler as unknown as DualHandler, {
      maxConcurrentStreams: config.maxStreamsPerConnection,
      ...transportLimits(config),
      onRefused: (reason, address) => clientErrors?.note(reason, address),
      onClientError: (kind, address) => clientErrors?.note(kind, address),
      onConnection: (p) => metricsRef?.countConnection(p),
      fastLane: serveStream,
    });
    return cleartext as never;
  };
  const logger = {
    level: config.logLevel,
    redact: ["req.headers.authorization", 'req.headers["x-memorabilia-token"]'],
  };
  const app: FastifyInstance = tls
    ? (Fastify({
        logger,
        http2: true,
        https: {
          allowHTTP1: true,
          key: readFileSync(config.tlsKey as string),
          cert: readFileSync(config.tlsCert as string),
          handshakeTimeout: config.handshakeTimeoutMs,
          settings: {
            maxConcurrentStreams: config.maxStreamsPerConnection,
            initialWindowSize: transportLimits(config).http2Windows?.stream,
          },
        },
        forceCloseConnections: true,
        logController: new LogController({ disableRequestLogging: true }),
      }) as unknown as FastifyInstance)
    : Fastify({
        logger,
        serverFactory,
        forceCloseConnections: false,
        logController: new LogController({ disableRequestLogging: true }),
      });

  // Persistence: load before anything is served, then record every change.
  let persistence: FilePersistence | undefined;
  let loaded: LoadReport | undefined;
  if (config.dataDir !== undefined) {
    const local = store.repository.local;
    if (local === undefined)
      throw new ConfigError(
        "--data-dir needs a storage engine whose keyspace is in this process's memory (--engine memory)",
      );
    persistence = new FilePersistence(local, {
      dir: config.dataDir,
      fsync: config.fsync,
      onCorrupt: config.onCorruptTail,
      snapshotMinLogBytes: config.snapshotMinLogBytes,
      logger: app.log,
      now: () => store.clock.now(),
    });
    try {
      loaded = await persistence.load();
      app.log.info(
        {
          ...loaded,
          dropped: loaded.dropped.length,
          damage: loaded.damage.length,
          fsync: config.fsync,
          dir: config.dataDir,
        },
        `persistence: loaded ${loaded.keys} keys in ${loaded.ms} ms`,
      );
      persistence.start();
    } catch (error) {
      if (error instanceof PersistenceError) throw new ConfigError(error.message);
      // An unreadable or unwritable data dir: one line saying which and why, not a stack.
      const e = error as NodeJS.ErrnoException;
      if (typeof e.code === "string")
        throw new ConfigError(
          `cannot use the data dir ${config.dataDir}: ${e.message} (--data-dir must be a readable and writable directory)`,
        );
      throw error;
    }
  }
  const evictor =
    config.maxmemory > 0
      ? installEviction(store, {
          maxBytes: config.maxmemory,
          policy: config.maxmemoryPolicy,
          samples: config.maxmemorySamples,
        })
      : undefined;
  // The store's admission check: who may run what, writes refused while the log cannot be
  // written (Redis's MISCONF), then maxmemory.
  const durablePersistence = persistence;
  if (tokens.enabled || persistence !== undefined || evictor !== undefined) {
    store.admit = (spec, argv) => {
      if (tokens.enabled) authorizeCurrent(spec, argv);
      if (durablePersistence?.failing && spec.flags.includes("write")) throw durablePersistence.misconf();
      if (evictor !== undefined) evictor.admit(spec, argv);
    };
  }

  const stats = hostStats(persistence, loaded, evictor);
  const streamCounter = new StreamCounter();
  const metrics = createServerMetrics(store, stats, streamCounter);
  metricsRef = metrics;
  clientErrors = createClientErrors({ log: app.log, count: (kind) => metrics.countClientError(kind) });
  const services: DescService[] = [Health, AuthService];
  // One Pub/Sub hub for gRPC's PubSubService and the RESP port: a message published on either reaches both.
  const hub = new PubSubHub();
  const register = apiRoutes(store, {
    heartbeatMs: config.heartbeatMs,
    logger: app.log,
    hostStats: stats,
    streams: {
      streams: streamCounter,
      maxStreams: config.maxStreams,
      outputBufferHardBytes: config.streamBufferHardBytes,
      outputBufferSoftBytes: config.streamBufferSoftBytes,
      outputBufferSoftMs: config.streamBufferSoftMs,
    },
    pubsub: hub,
  });
  services.push(...register.services);
  const health = new HealthState(services.map((s) => s.typeName));
  await etcd?.start(store, health, app.log);
  // Every path that authenticates (RPCs, /metrics) counts, logs and throttles failures the same way.
  const login = new Login(tokens, {
    log: app.log,
    onFailure: (reason) => metrics.countAuthFailure(reason),
    throttle: new LoginThrottle({
      burst: config.authFailureBurst,
      refillPerSecond: 1000 / config.authFailureRefillMs,
    }),
  });
  precheck = callerPrecheck({
    protectedMode: config.protectedMode && !tokens.enabled,
    login: tokens.enabled ? login : undefined,
    commands: store.commands,
  });

  const routes = (router: ConnectRouter): void => {
    register.routes(router);
    router.service(AuthService, createAuthService({ authRequired: tokens.enabled }));
    registerHealthService(router, health);
    registerReflectionServices(router, services);
    mapRouterDecodeErrors(router);
  };

  // A Host header that is not a valid authority would make the Connect adapter fail to build the
  // request URL, log, and never answer (the client saw an empty 200): refuse it here with a 400.
  app.addHook("onRequest", async (req, reply) => {
    // HTTP/1.1 RPCs pass the gate here (HTTP/2 streams passed it before reaching Fastify).
    if (req.raw.httpVersionMajor === 1 && gate.handleHttp1(req.raw as IncomingMessage, reply.raw as ServerResponse)) {
      reply.hijack();
      return;
    }
    const host = req.headers.host ?? (req.headers as Record<string, string | undefined>)[":authority"];
    if (host === undefined) return;
    let ok = true;
    try {
      ok = new URL(`http://${host}/`).host !== "";
    } catch {
      ok = false;
    }
    if (!ok) return reply.code(400).header("connection", "close").send("invalid Host header\n");
  });

  // The API scope: CORS and the Connect routes (connect-fastify replaces content-type parsers
  // in its own scope, so other routes live in sibling scopes).
  await app.register(async (scope) => {
    if (config.corsOrigins.length > 0) {
      await scope.register(fastifyCors, {
        origin: config.corsOrigins.includes("*") ? true : config.corsOrigins,
        methods: [...connectCors.allowedMethods],
        allowedHeaders: [...connectCors.allowedHeaders, "Authorization"],
        exposedHeaders: [...connectCors.exposedHeaders, "Memorabilia-Error-Code"],
        maxAge: 7200,
      });
    }
    const interceptors = [
      ...(tokens.enabled ? [authInterceptor(login, { commands: store.commands })] : []),
      observeInterceptor(metrics, app.log, clientErrors),
      // With auth configured, protected mode has done its job: tokens guard every call.
      protectedModeInterceptor(() => config.protectedMode && !tokens.enabled),
      // Every fsync mode: a reply leaves once its changes are written (fsynced with always).
      ...(persistence !== undefined ? [durabilityInterceptor(persistence)] : []),
    ];
    // The fast lanes get the same interceptors, limits and context values, and record the same
    // service implementations as they are registered on the router.
    const laneOptions: GrpcLaneOptions = {
      interceptors,
      readMaxBytes: config.maxRequestBytes,
      maxTimeoutMs: config.maxTimeoutMs,
      shutdownSignal: laneShutdown.signal,
      contextValues: (remoteAddress) => createContextValues().set(kRemoteAddress, remoteAddress),
    };
    const lane = createGrpcFastLane(laneOptions);
    const useStreamLane = useFastLane && process.env.MEMORABILIA_GRPC_STREAM_LANE !== "off";
    const streams = createGrpcStreamLane(laneOptions);
    await scope.register(fastifyConnectPlugin, {
      routes: (router) => {
        routes(useFastLane ? lane.record(useStreamLane ? streams.record(router) : router) : router);
        gate.addMethods(router.handlers.map((h) => [h.requestPath, h.method] as const));
      },
      readMaxBytes: config.maxRequestBytes,
      maxTimeoutMs: config.maxTimeoutMs,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      // connect decodes every JSON message through this decoder: it bounds depth and size first.
      jsonOptions: JSON_OPTIONS,
      // Outermost: the others see each reply as the service made it; then it is written once.
      interceptors: [binaryReplyInterceptor, ...interceptors],
      contextValues: (req) => createContextValues().set(kRemoteAddress, req.socket.remoteAddress),
    });
    if (useFastLane) fastLane = lane;
    if (useStreamLane) streamLane = streams;
  });
  if (tls)
    limitSecureServer(app.server as unknown as Http2SecureServer, {
      ...transportLimits(config),
      onRefused: (reason, address) => clientErrors?.note(reason, address),
    });
  // The TLS port is Fastify's own HTTP/2 server (ALPN h2 + HTTP/1.1): the lane goes in front of
  // its compat handling the same way (HTTP/1.1 requests never emit "stream").
  if (tls) installFastLane(app.server as unknown as Http2SecureServer, serveStream);

  // Operations scope: metrics and a plain health probe.
  await app.register(async (scope) => {
    scope.get("/metrics", async (req, reply) => {
      if (tokens.enabled) {
        try {
          login.authenticate(req.headers.authorization, req.socket.remoteAddress, "/metrics");
        } catch (error) {
          const throttled = (error as ConnectError).code === Code.ResourceExhausted;
          return reply
            .code(throttled ? 429 : 401)
            .header("www-authenticate", "Bearer")
            .send(throttled ? `${(error as ConnectError).rawMessage}\n` : "a bearer token is required\n");
        }
      } else if (config.protectedMode && !isLoopback(req.socket.remoteAddress))
        return reply.code(403).send("protected mode\n");
      reply.header("content-type", metrics.registry.contentType);
      return metrics.registry.metrics();
    });
    scope.get("/healthz", async (_req, reply) => {
      const serving = health.get("") === ServingStatus.SERVING;
      return reply.code(serving ? 200 : 503).send(serving ? "ok\n" : "shutting down\n");
    });
  });

  // The console scope: the built web console, or a page saying how to build it.
  const consoleDir = resolve(config.consoleDir);
  await app.register(async (scope) => {
    if (existsSync(resolve(consoleDir, "index.html"))) {
      await scope.register(fastifyStatic, { root: consoleDir, prefix: "/", index: ["index.html"] });
    } else {
      scope.get("/", async (_req, reply) =>
        reply
          .type("text/html")
          .send(
            `<!doctype html><title>Memorabilia</title><h1>Memorabilia</h1><p>The API is up. The web console is not built in ${consoleDir}: run <code>npm run build</code>.</p>`,
          ),
      );
    }
  });

  if (tokens.enabled) {
    app.log.info({ tokens: tokens.describe() }, "auth: bearer tokens required on every RPC");
    if (!tls && !isLoopback(config.host) && config.host !== "localhost") {
      app.log.warn(
        { host: config.host },
        "!!! AUTH WITHOUT TLS ON A NON-LOOPBACK ADDRESS: bearer tokens travel in cleartext and anyone on the network path can read and replay them. Configure --tls-cert and --tls-key, or put a TLS proxy in front. !!!",
      );
    }
  } else if (!isLoopback(config.host) && config.host !== "localhost") {
    app.log.warn(
      { host: config.host },
      config.protectedMode
        ? "listening beyond loopback in protected mode: non-loopback clients will be refused until auth is configured"
        : "listening beyond loopback with protected mode OFF and no auth: anyone who can reach this port can read and write every key",
    );
  }

  await app.listen({ host: config.host, port: config.port });
  const resp =
    config.respPort === undefined
      ? undefined
      : await startRespPort({ config, store, hub, tokens, login, hostStats: stats, logger: app.log, persistence });
  store.start();
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const hostForUrl = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `${tls ? "https" : "http"}://${hostForUrl}:${port}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      health.setAll(ServingStatus.NOT_SERVING);
      // As connect-fastify does for its calls: in-flight fast-lane calls are cancelled at the deadline.
      setTimeout(() => laneShutdown.abort(), config.shutdownTimeoutMs).unref();
      const deadline = setTimeout(() => cleartext?.destroyConnections(), config.shutdownTimeoutMs + 1000);
      deadline.unref();
      // Stop accepting, then ask live connections to finish (HTTP/2 GOAWAY, idle HTTP/1.1 closed).
      const closed = app.close();
      cleartext?.closeConnectionsGracefully();
      await Promise.all([closed, resp?.close(config.shutdownTimeoutMs)]);
      clearTimeout(deadline);
      store.stop();
      await persistence?.close();
      await etcd?.close();
    })();
    return closing;
  };
  const fastLaneCalls = () => fastLane?.calls ?? 0;
  const streamLaneCalls = () => streamLane?.calls ?? 0;
  return {
    app,
    store,
    health,
    metrics,
    persistence,
    loaded,
    evictor,
    tokens,
    url,
    port,
    respPort: resp?.port,
    fastLaneCalls,
    streamLaneCalls,
    close,
  };
}
