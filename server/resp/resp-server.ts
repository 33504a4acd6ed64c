/**
 * The RESP port (`--resp-port`): a TCP (or TLS) listener speaking the Redis protocol over the
 * server's one store, Pub/Sub hub and tokens, so redis-cli, redis-benchmark, ioredis and
 * node-redis work unchanged. Connection admission applies protected mode and `maxclients` as
 * Redis does; closing stops accepting, lets each client's in-flight replies go out, then closes it.
 */
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { PubSubHub } from "../../shared/store/pubsub.js";
import type { Store } from "../../shared/store/store.js";
import { Login } from "../auth/login.js";
import type { TokenRegistry } from "../auth/tokens.js";
import type { HostStats } from "../host-stats.js";
import { isLoopback } from "../interceptors.js";
import type { RequestBytesBudget } from "../request-bytes.js";
import { KeyspaceNotifications } from "./keyspace-notifications.js";
import { RespConnection } from "./resp-connection.js";
import type { RespCounters, RespHost, RespLogger, RespSettings } from "./resp-host.js";
import type { RespParserLimits } from "./resp-parser.js";
import { borrowingSocket } from "./resp-socket.js";

/** Options of {@link startRespServer}. */
export interface RespServerOptions {
  /** Address to listen on (the server's `--host`). */
  readonly host: string;
  /** Port (0: any free port). */
  readonly port: number;
  /** PEM certificate and key: speak TLS (as the main port does with `--tls-cert`/`--tls-key`). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Refuse non-loopback clients while no token is configured. */
  readonly protectedMode: boolean;
  readonly store: Store;
  /** The server's Pub/Sub hub (shared with gRPC's PubSubService). */
  readonly hub: PubSubHub;
  readonly tokens: TokenRegistry;
  /** The server's login (failed-login throttle, counts, log). @default a Login of its own over `tokens` */
  readonly login?: Login;
  /** Initial settings (CONFIG SET changes them). */
  readonly settings: RespSettings;
  /** Largest request (all arguments of one command), as `--max-request-bytes`. */
  readonly maxRequestBytes: number;
  /** Request bytes held by all clients (`--max-request-bytes-total`), shared with the RPC port. */
  readonly requestBytes?: RequestBytesBudget;
  readonly hostStats: HostStats;
  readonly version: string;
  readonly startedAtMs: number;
  /** With `--fsync always`: resolves once every change so far is on disk. */
  readonly durable?: () => Promise<void>;
  /** Settings CONFIG GET reports read-only, by Redis name. */
  readonly staticConfig: ReadonlyMap<string, string>;
  readonly logger: RespLogger;
  /** `notify-keyspace-events` at start (Redis's flags; empty: off). */
  readonly notifyKeyspaceEvents?: string;
}

/** A running RESP port. */
export interface RespServer {
  /** The bound port. */
  readonly port: number;
  /** Clients connected now. */
  clientCount(): number;
  /**
   * Stops accepting, asks every client to finish (its in-flight replies are sent, then it is
   * closed), and destroys whatever is left after `timeoutMs`.
   */
  close(timeoutMs: number): Promise<void>;
}

const DENIED =
  "-DENIED Memorabilia is running in protected mode: no authentication is configured, so only loopback clients are accepted. Configure auth tokens, or start with --no-protected-mode if you really want every client to connect.\r\n";
const MAX_CLIENTS = "-ERR max number of clients reached\r\n";

/** Starts the RESP port. */
export async function startRespServer(options: RespServerOptions): Promise<RespServer> {
  const { store, tokens } = options;
  const clients = new Map<number, RespConnection>();
  const counters: RespCounters = {
    connections: 0,
    rejected: 0,
    commands: 0,
    outputLimitDisconnects: 0,
    pubsubMessages: 0,
  };
  const settings: RespSettings = { ...options.settings };
  let nextId = 0;
  let parserLimits: RespParserLimits = { maxArgs: -1, maxBulkBytes: -1, maxRequestBytes: options.maxRequestBytes };
  let boundPort = options.port;
  const host: RespHost = {
    store,
    hub: options.hub,
    tokens,
    login: options.login ?? new Login(tokens),
    settings,
    notifications: new KeyspaceNotifications(store, options.hub),
    clients,
    counters,
    logger: options.logger,
    hostStats: options.hostStats,
    version: options.version,
    startedAtMs: options.startedAtMs,
    port: () => boundPort,
    tls: options.tls !== undefined,
    durable: options.durable,
    staticConfig: options.staticConfig,
    requestBytes: options.requestBytes,
    parserLimits: () => {
      // Read for every command: a new object only when SetConfig changed the store's limits.
      const l = store.limits;
      const maxBulkBytes = Math.max(l.maxValueBytes, l.maxKeyBytes);
      if (parserLimits.maxArgs !== l.maxArgs || parserLimits.maxBulkBytes !== maxBulkBytes)
        parserLimits = { maxArgs: l.maxArgs, maxBulkBytes, maxRequestBytes: options.maxRequestBytes };
      return parserLimits;
    },
    nextClientId: () => ++nextId,
    applyTimeout: () => {
      for (const c of clients.values()) c.socket.setTimeout(settings.timeoutSeconds * 1000);
    },
  };
  if (options.notifyKeyspaceEvents) host.notifications.set(options.notifyKeyspaceEvents);
  let closing = false;

  const onConnection = (accepted: Socket): void => {
    counters.connections++;
    accepted.on("error", () => accepted.destroy());
    if (closing) {
      accepted.destroy();
      return;
    }
    // A plain TCP client is accepted paused (pauseOnConnect below): a refused one is resumed to
    // read and end as before; an admitted one reads into the shared buffer (resp-socket.ts).
    if (options.protectedMode && !tokens.enabled && !isLoopback(accepted.remoteAddress)) {
      accepted.resume();
      accepted.end(DENIED);
      return;
    }
    if (clients.size >= settings.maxClients) {
      counters.rejected++;
      accepted.resume();
      accepted.end(MAX_CLIENTS);
      setTimeout(() => accepted.destroy(), 1000).unref();
      return;
    }
    let conn: RespConnection | undefined;
    const lent = options.tls === undefined ? borrowingSocket(accepted, (chunk) => conn?.received(chunk)) : undefined;
    const socket = lent ?? accepted;
    if (lent === undefined) accepted.resume();
    else socket.on("error", () => socket.destroy());
    conn = new RespConnection(socket, host, lent !== undefined);
    clients.set(conn.id, conn);
    if (settings.timeoutSeconds > 0) socket.setTimeout(settings.timeoutSeconds * 1000);
  };

  const server: Server =
    options.tls === undefined
      ? createNetServer({ noDelay: true, pauseOnConnect: true }, onConnection)
      : createTlsServer({ cert: options.tls.cert, key: options.tls.key }).on("secureConnection", onConnection);
  // A TLS handshake that fails (a plain client on the TLS port) just closes that socket.
  server.on("tlsClientError", () => {});

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  boundPort = typeof address === "object" && address !== null ? address.port : options.port;

  return {
    port: boundPort,
    clientCount: () => clients.size,
    async close(timeoutMs) {
      if (closing) return;
      closing = true;
      host.notifications.close();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const live = [...clients.values()];
      const gone = Promise.all(live.map((c) => new Promise((resolve) => c.socket.once("close", resolve))));
      for (const c of live) c.shutdown();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      for (const c of [...clients.values()]) c.destroy();
      await stopped;
    },
  };
}
