import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2SecureServer, Http2ServerRequest, IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { resolve } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import {
  Code,
  type ConnectError,
  type ConnectRouter,
  cors as connectCors,
  createContextValues,
  type Interceptor,
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
import { ALL_COMMANDS } from "../shared/store/commands.js";
import { type Evictor, installEviction } from "../shared/store/eviction.js";
import { PubSubHub } from "../shared/store/pubsub.js";
import { authInterceptor, authorizeCurrent, kGateCaller } from "./auth/auth-interceptor.js";
import { Login } from "./auth/login.js";
import { LoginThrottle } from "./auth/login-throttle.js";
import { loadTokens, type Principal, TokenError, type TokenRegistry } from "./auth/tokens.js";
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
import type { EtcdEngine } from "./engines/etcd/etcd-engine.js";
import { hostStats } from "./host-stats.js";
import { isLoopback, kRemoteAddress, observeInterceptor, protectedModeInterceptor } from "./interceptors.js";
import { jsonGuardDecoder } from "./json-guard.js";
import { createServerMetrics, type ServerMetrics } from "./metrics.js";
import { durabilityInterceptor } from "./persistence/durability-interceptor.js";
import { FilePersistence, PersistenceError } from "./persistence/file-persistence.js";
import type { LoadReport, Persistence } from "./persistence/types.js";
import { RequestBytesBudget } from "./request-bytes.js";
import { createRequestGate, type RequestGateOptions } from "./request-gate.js";
import { apiRoutes } from "./routes.js";
import { createScripting } from "./scripting/script-commands.js";
import { limitSecureServer } from "./secure-server-limits.js";
import { binaryReplyInterceptor } from "./transport/binary-reply-interceptor.js";
import { type CorsOptions, corsOptions, createCorsHeaders } from "./transport/cors-headers.js";
import { installFastLane } from "./transport/grpc-fast-lane.js";
import { LaneContextValues } from "./transport/grpc-lane-context.js";
import { createLanes, installRequestLane, type Lanes } from "./transport/lanes.js";

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
  /** Unary calls served by the transport's lanes so far (0 with `--transport connect`). */
  fastLaneCalls(): number;
  /** The bound RESP port (`--resp-port`), or undefined when it is off. */
  readonly respPort: number | undefined;
  /** Streams served by the transport's lanes so far (0 with `--transport connect`). */
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
/**
 * Builds and starts the server, in named steps: the store, the tokens, the transport (request
 * gate, connection limits, lanes), Fastify, persistence and eviction, metrics and login, the
 * routes (API, operations, console), then listening.
 */
export async function startServer(config: ServerConfig, deps: ServerDeps = {}): Promise<MemorabiliaServer> {
  const { store, etcd } = await createStoreOf(config, deps);
  const tokens = loadTokensOf(config);
  const tls = config.tlsCert !== undefined && config.tlsKey !== undefined;
  const transport = createTransport(config);
  const app = createFastify(config, tls ? undefined : transport.serverFactory);
  const { persistence, loaded } = await openPersistence(config, store, app.log);
  const evictor = installEvictionOf(config, store);
  admitCommands(store, tokens, persistence, evictor);

  const stats = hostStats(persistence, loaded, evictor);
  const streamCounter = new StreamCounter();
  const metrics = createServerMetrics(store, stats, streamCounter, transport.requestBytes);
  const clientErrors = createClientErrors({ log: app.log, count: (kind) => metrics.countClientError(kind) });
  transport.observe(metrics, clientErrors);
  // One Pub/Sub hub for gRPC's PubSubService and the RESP port: a message published on either reaches both.
  const hub = new PubSubHub();
  const api = apiRoutes(store, {
    heartbeatMs: config.heartbeatMs,
    logger: app.log,
    hostStats: stats,
    streams: {
      streams: streamCounter,
      maxStreams: config.maxStreams,
      outputBufferHardBytes: config.streamBufferHardBytes,
      outputBufferSoftBytes: config.streamBufferSoftBytes,
      outputBufferSoftMs: config.streamBufferSoftMs,
      outputBufferTotalBytes: config.streamBufferTotalBytes,
    },
    pubsub: hub,
  });
  const services: DescService[] = [Health, AuthService, ...api.services];
  const health = new HealthState(services.map((s) => s.typeName));
  await etcd?.start(store, health, app.log, hub);
  const login = createLogin(config, tokens, metrics, app.log);
  transport.setPrecheck(
    callerPrecheck({
      protectedMode: config.protectedMode && !tokens.enabled,
      login: tokens.enabled ? login : undefined,
      commands: store.commands,
    }),
  );
  const routes = (router: ConnectRouter): void => {
    api.routes(router);
    router.service(AuthService, createAuthService({ authRequired: tokens.enabled }));
    registerHealthService(router, health);
    registerReflectionServices(router, services);
    mapRouterDecodeErrors(router);
  };
  const interceptors = [
    ...(tokens.enabled ? [authInterceptor(login, { commands: store.commands })] : []),
    observeInterceptor(metrics, app.log, clientErrors),
    // With auth configured, protected mode has done its job: tokens guard every call.
    protectedModeInterceptor(() => config.protectedMode && !tokens.enabled),
    // Every fsync mode: a reply leaves once its changes are written (fsynced with always).
    ...(persistence !== undefined ? [durabilityInterceptor(persistence)] : []),
  ];

  addHostCheck(app);
  await registerApi(app, config, transport, routes, interceptors);
  if (tls) transport.attachTls(app.server as unknown as Http2SecureServer);
  await registerOperations(app, config, tokens, login, metrics, health);
  await registerConsole(app, config);
  logExposure(app, config, tokens, tls);

  await app.listen({ host: config.host, port: config.port });
  const resp =
    config.respPort === undefined
      ? undefined
      : await (await import("./resp/resp-app.js")).startRespPort({
          config,
          store,
          hub,
          tokens,
          login,
          hostStats: stats,
          logger: app.log,
          persistence,
          requestBytes: transport.requestBytes,
        }); // loaded only with --resp-port: a start without it does not compile the RESP host
  store.start();
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const hostForUrl = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `${tls ? "https" : "http"}://${hostForUrl}:${port}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      health.setAll(ServingStatus.NOT_SERVING);
      transport.beginShutdown(config.shutdownTimeoutMs);
      // Blocked calls (BLPOP …) end now with UNBLOCKED / UNAVAILABLE, not at the shutdown
      // deadline; one that would block from now on fails at once.
      store.blocked.shutdown();
      // Stop accepting, then ask live connections to finish (HTTP/2 GOAWAY, idle HTTP/1.1 closed).
      const closed = app.close();
      transport.closeConnectionsGracefully();
      await Promise.all([closed, resp?.close(config.shutdownTimeoutMs)]);
      transport.endShutdown();
      store.stop();
      await persistence?.close();
      await etcd?.close();
    })();
    return closing;
  };
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
    fastLaneCalls: () => transport.lanes?.unaryCalls() ?? 0,
    streamLaneCalls: () => transport.lanes?.streamCalls() ?? 0,
    close,
  };
}

/** The store to serve: the injected one, or a new one (in etcd with `--engine etcd`, whose code is loaded only then). */
async function createStoreOf(config: ServerConfig, deps: ServerDeps): Promise<{ store: Store; etcd?: EtcdEngine }> {
  const etcd =
    config.engine === "etcd" && deps.store === undefined
      ? (await import("./engines/etcd/etcd-engine.js")).createEtcdEngine(config)
      : undefined;
  // EVAL & co. (server/scripting): commands of the table, run in the Lua runtime created here.
  const scripting =
    deps.store === undefined
      ? createScripting({ timeLimitMs: config.luaTimeLimitMs, maxStringBytes: config.maxValueBytes })
      : undefined;
  const store =
    deps.store ??
    createStore({
      repository: etcd?.repository,
      commands: [...ALL_COMMANDS, ...(scripting?.commands ?? [])],
      limits: {
        maxKeyBytes: config.maxKeyBytes,
        maxValueBytes: config.maxValueBytes,
        maxArgs: config.maxArgs,
        maxReplyElements: config.maxReplyElements,
        maxScanCount: config.maxScanCount,
        maxReplyBytes: config.maxReplyBytes,
      },
      sweep: {
        pattern: config.sweepPattern,
        // setImmediate yields to I/O without the ~1 ms clamp of setTimeout(0): mass expiry drains ~2x faster.
        yieldToLoop: () => new Promise<void>((resolve) => setImmediate(resolve)),
      },
    });
  scripting?.attach(store);
  // SLOWLOG (every port): the flags' start values; CONFIG SET changes them at run time.
  store.commandLog.slowerThan = config.slowlogLogSlowerThan;
  store.commandLog.maxLength = config.slowlogMaxLen;
  return { store, etcd };
}

/** The configured tokens; a bad token list stops the start with one line. */
function loadTokensOf(config: ServerConfig): TokenRegistry {
  try {
    return loadTokens(config.tokens, config.tokensFile);
  } catch (error) {
    if (error instanceof TokenError) throw new ConfigError(error.message);
    throw error;
  }
}

/**
 * The transport in front of Fastify: the request gate (every RPC judged from its headers before
 * its body is read: who may call, the deadline, how long the body may take), the cleartext
 * server (HTTP/1.1 and h2c on one port, connection limits), and the lanes of `--transport`.
 * Collaborators made later (login, metrics, the lanes once the interceptors exist) are set on it
 * before the server listens; no request arrives before that.
 */
function createTransport(config: ServerConfig) {
  let precheck: RequestGateOptions["precheck"];
  let clientErrors: ClientErrors | undefined;
  let metrics: ServerMetrics | undefined;
  let cleartext: CleartextServer | undefined;
  let lanes: Lanes | undefined;
  let destroyTimer: ReturnType<typeof setTimeout> | undefined;
  const laneShutdown = new AbortController();
  // Request bytes held by all clients (RPC bodies, RESP input): --max-request-bytes-total.
  const requestBytes = new RequestBytesBudget(config.maxRequestBytesTotal);
  const gate = createRequestGate({
    requestBytes,
    precheck: (method, header, address) => precheck?.(method, header, address),
    maxTimeoutMs: config.maxTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    // The unary lanes count the bodies they read themselves (a wrapper on each body cost a promotion per call).
    countsOwnStreamBody: (headers) => lanes?.countsOwnStreamBody(headers) ?? false,
    countsOwnRequestBody: (req) => lanes?.countsOwnRequestBody(req) ?? false,
    onRefused: (kind, address, detail) => clientErrors?.note(kind, address, detail),
  });
  // Each HTTP/2 stream and HTTP/1.1 request: the gate, then the lanes, else Fastify.
  const serveStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean =>
    gate.handleStream(stream, headers) || (lanes?.serveStream(stream, headers) ?? false);
  const serveRequest = (req: IncomingMessage, res: ServerResponse): boolean =>
    gate.handleHttp1(req, res) || (lanes?.serveRequest(req, res) ?? false);
  const serverFactory: FastifyServerFactory = (handler) => {
    cleartext = createCleartextServer(handler as unknown as DualHandler, {
      maxConcurrentStreams: config.maxStreamsPerConnection,
      ...transportLimits(config),
      onRefused: (reason, address) => clientErrors?.note(reason, address),
      onClientError: (kind, address) => clientErrors?.note(kind, address),
      onConnection: (p) => metrics?.countConnection(p),
      fastLane: serveStream,
      http1Lane: serveRequest,
    });
    return cleartext as never;
  };
  return {
    gate,
    requestBytes,
    serverFactory,
    get lanes() {
      return lanes;
    },
    /** Where refusals and connections are counted and logged. */
    observe(m: ServerMetrics, errors: ClientErrors): void {
      metrics = m;
      clientErrors = errors;
    },
    setPrecheck(p: RequestGateOptions["precheck"]): void {
      precheck = p;
    },
    /** Creates the lanes of `--transport` with the interceptors and limits connect gets; `record` the routes through them. */
    createLanes(interceptors: readonly Interceptor[]): Lanes {
      const cors = apiCors(config);
      lanes = createLanes(config.transport, {
        cors: cors && createCorsHeaders(cors),
        jsonOptions: JSON_OPTIONS,
        interceptors,
        readMaxBytes: config.maxRequestBytes,
        maxTimeoutMs: config.maxTimeoutMs,
        compressMinBytes: config.compressMinBytes,
        requestBytes,
        shutdownSignal: laneShutdown.signal,
        contextValues: (remoteAddress, source) => {
          const values = new LaneContextValues().set(kRemoteAddress, remoteAddress);
          const caller = source === undefined ? undefined : gate.callerOf(source);
          return caller === undefined ? values : values.set(kGateCaller, caller as Principal);
        },
      });
      return lanes;
    },
    /** The TLS port is Fastify's own HTTP/2 server (ALPN h2 + HTTP/1.1): limits, then the gate and lanes in front of its compat handling. */
    attachTls(server: Http2SecureServer): void {
      limitSecureServer(server, {
        ...transportLimits(config),
        onRefused: (reason, address) => clientErrors?.note(reason, address),
      });
      installFastLane(server, serveStream);
      installRequestLane(server, serveRequest);
    },
    /** In-flight lane calls are cancelled at the shutdown deadline (as connect-fastify does for its calls); connections destroyed a second later. */
    beginShutdown(shutdownTimeoutMs: number): void {
      setTimeout(() => laneShutdown.abort(), shutdownTimeoutMs).unref();
      destroyTimer = setTimeout(() => cleartext?.destroyConnections(), shutdownTimeoutMs + 1000);
      destroyTimer.unref();
    },
    closeConnectionsGracefully(): void {
      cleartext?.closeConnectionsGracefully();
    },
    endShutdown(): void {
      clearTimeout(destroyTimer);
    },
  };
}

type Transport = ReturnType<typeof createTransport>;

/** Fastify: over the cleartext server, or its own HTTP/2 server with TLS (ALPN h2 + HTTP/1.1). */
function createFastify(config: ServerConfig, serverFactory: FastifyServerFactory | undefined): FastifyInstance {
  const logger = {
    level: config.logLevel,
    redact: ["req.headers.authorization", 'req.headers["x-memorabilia-token"]'],
  };
  if (serverFactory !== undefined)
    return Fastify({
      logger,
      serverFactory,
      forceCloseConnections: false,
      logController: new LogController({ disableRequestLogging: true }),
    });
  return Fastify({
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
  }) as unknown as FastifyInstance;
}

/** Persistence (`--data-dir`): loaded before anything is served, then recording every change. */
async function openPersistence(
  config: ServerConfig,
  store: Store,
  log: FastifyInstance["log"],
): Promise<{ persistence?: FilePersistence; loaded?: LoadReport }> {
  if (config.dataDir === undefined) return {};
  const local = store.repository.local;
  if (local === undefined)
    throw new ConfigError(
      "--data-dir needs a storage engine whose keyspace is in this process's memory (--engine memory)",
    );
  const persistence = new FilePersistence(local, {
    dir: config.dataDir,
    fsync: config.fsync,
    onCorrupt: config.onCorruptTail,
    snapshotMinLogBytes: config.snapshotMinLogBytes,
    logger: log,
    now: () => store.clock.now(),
  });
  try {
    const loaded = await persistence.load();
    log.info(
      {
        ...loaded,
        dropped: loaded.dropped.length,
        damage: loaded.damage.length,
        fsync: config.fsync,
        dir: config.dataDir,
      },
      `persistence: loaded ${loaded.keys} keys in ${loaded.ms} ms (${loaded.cpuMs} ms CPU)`,
    );
    persistence.start();
    return { persistence, loaded };
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

/** The maxmemory controller (`--maxmemory`). */
function installEvictionOf(config: ServerConfig, store: Store): Evictor | undefined {
  return config.maxmemory > 0
    ? installEviction(store, {
        maxBytes: config.maxmemory,
        policy: config.maxmemoryPolicy,
        samples: config.maxmemorySamples,
      })
    : undefined;
}

/**
 * The store's admission check: who may run what, writes refused while the log cannot be written
 * (Redis's MISCONF), then maxmemory.
 */
function admitCommands(
  store: Store,
  tokens: TokenRegistry,
  persistence: FilePersistence | undefined,
  evictor: Evictor | undefined,
): void {
  if (!tokens.enabled && persistence === undefined && evictor === undefined) return;
  store.admit = (spec, argv) => {
    if (tokens.enabled) authorizeCurrent(spec, argv);
    if (persistence?.failing && spec.flags.includes("write")) throw persistence.misconf();
    if (evictor !== undefined) evictor.admit(spec, argv);
  };
}

/** Every path that authenticates (RPCs, /metrics, RESP) counts, logs and throttles failures the same way. */
function createLogin(
  config: ServerConfig,
  tokens: TokenRegistry,
  metrics: ServerMetrics,
  log: FastifyInstance["log"],
): Login {
  return new Login(tokens, {
    log,
    onFailure: (reason) => metrics.countAuthFailure(reason),
    throttle: new LoginThrottle({
      burst: config.authFailureBurst,
      refillPerSecond: 1000 / config.authFailureRefillMs,
    }),
  });
}

/**
 * A Host header that is not a valid authority would make the Connect adapter fail to build the
 * request URL, log, and never answer (the client saw an empty 200): refused here with a 400.
 * (Every RPC passed the request gate before reaching Fastify: createTransport.)
 */
function addHostCheck(app: FastifyInstance): void {
  app.addHook("onRequest", async (req, reply) => {
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
}

/**
 * The API scope: CORS and the Connect routes (connect-fastify replaces content-type parsers in
 * its own scope, so other routes live in sibling scopes). The lanes get the same interceptors,
 * limits and context values, and record the same service implementations as they are registered.
 */
async function registerApi(
  app: FastifyInstance,
  config: ServerConfig,
  transport: Transport,
  routes: (router: ConnectRouter) => void,
  interceptors: Interceptor[],
): Promise<void> {
  await app.register(async (scope) => {
    const cors = apiCors(config);
    if (cors !== undefined) await scope.register(fastifyCors, cors);
    const lanes = transport.createLanes(interceptors);
    await scope.register(fastifyConnectPlugin, {
      routes: (router) => {
        routes(lanes.record(router));
        transport.gate.addMethods(router.handlers.map((h) => [h.requestPath, h.method] as const));
      },
      readMaxBytes: config.maxRequestBytes,
      maxTimeoutMs: config.maxTimeoutMs,
      compressMinBytes: config.compressMinBytes,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      // connect decodes every JSON message through this decoder: it bounds depth and size first.
      jsonOptions: JSON_OPTIONS,
      // Outermost: the others see each reply as the service made it; then it is written once.
      interceptors: [binaryReplyInterceptor, ...interceptors],
      contextValues: (req) => {
        const values = createContextValues().set(kRemoteAddress, req.socket.remoteAddress);
        // HTTP/2 (compat): the gate saw the request's stream; HTTP/1.1: the request itself.
        const raw = req.raw as IncomingMessage | Http2ServerRequest;
        const caller = transport.gate.callerOf("stream" in raw ? raw.stream : raw);
        return caller === undefined ? values : values.set(kGateCaller, caller as Principal);
      },
    });
  });
}

/** The @fastify/cors options of the API (`--cors-origin`), which the lanes reproduce; undefined without CORS. */
function apiCors(config: ServerConfig): CorsOptions | undefined {
  if (config.corsOrigins.length === 0) return undefined;
  return corsOptions(config.corsOrigins, {
    methods: [...connectCors.allowedMethods],
    allowedHeaders: [...connectCors.allowedHeaders, "Authorization"],
    exposedHeaders: [...connectCors.exposedHeaders, "Memorabilia-Error-Code"],
    maxAge: 7200,
  });
}

/** Operations scope: metrics and a plain health probe. */
async function registerOperations(
  app: FastifyInstance,
  config: ServerConfig,
  tokens: TokenRegistry,
  login: Login,
  metrics: ServerMetrics,
  health: HealthState,
): Promise<void> {
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
}

/** The console scope: the built web console, or a page saying how to build it. */
async function registerConsole(app: FastifyInstance, config: ServerConfig): Promise<void> {
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
}

/** Says at start who can reach the server and how it is guarded. */
function logExposure(app: FastifyInstance, config: ServerConfig, tokens: TokenRegistry, tls: boolean): void {
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
}
