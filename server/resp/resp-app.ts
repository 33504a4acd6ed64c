/**
 * Starting the RESP port from the server's configuration (kept out of app.ts: one call there).
 */
import { readFileSync } from "node:fs";
import type { PubSubHub } from "../../shared/store/pubsub.js";
import type { Store } from "../../shared/store/store.js";
import type { Login } from "../auth/login.js";
import type { TokenRegistry } from "../auth/tokens.js";
import { ConfigError, type ServerConfig } from "../config.js";
import type { HostStats } from "../host-stats.js";
import type { Persistence } from "../persistence/types.js";
import type { RequestBytesBudget } from "../request-bytes.js";
import { VERSION } from "../routes.js";
import { KeyspaceNotifications } from "./keyspace-notifications.js";
import type { RespLogger } from "./resp-host.js";
import { type RespServer, startRespServer } from "./resp-server.js";

/** What the server hands the RESP port. */
export interface RespPortDeps {
  readonly config: ServerConfig;
  readonly store: Store;
  readonly hub: PubSubHub;
  readonly tokens: TokenRegistry;
  readonly login: Login;
  readonly hostStats: HostStats;
  readonly logger: RespLogger;
  readonly persistence: Persistence | undefined;
  /** Request bytes held by all clients (`--max-request-bytes-total`), shared with the RPC port. */
  readonly requestBytes?: RequestBytesBudget;
}

/** Starts the RESP port on `config.host:config.respPort` with the server's TLS, limits and tokens. */
export async function startRespPort(deps: RespPortDeps): Promise<RespServer> {
  const { config } = deps;
  const tls =
    config.tlsCert !== undefined && config.tlsKey !== undefined
      ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) }
      : undefined;
  try {
    KeyspaceNotifications.check(config.respNotifyKeyspaceEvents);
  } catch (error) {
    throw new ConfigError(`--resp-notify-keyspace-events: ${(error as Error).message}`);
  }
  const persistence = deps.persistence;
  const staticConfig = new Map<string, string>([
    ["bind", config.host],
    ["port", String(config.respPort ?? 0)],
    ["protected-mode", config.protectedMode ? "yes" : "no"],
    ["databases", "1"],
    ["save", ""],
    ["appendonly", config.dataDir === undefined ? "no" : "yes"],
    ["appendfsync", config.fsync],
    ["dir", config.dataDir ?? ""],
    ["maxmemory", String(config.maxmemory)],
    ["maxmemory-policy", config.maxmemoryPolicy],
    ["maxmemory-samples", String(config.maxmemorySamples)],
    ["proto-max-bulk-len", String(config.maxValueBytes)],
    ["client-query-buffer-limit", String(config.maxRequestBytes)],
    ["tls-port", tls === undefined ? "0" : String(config.respPort ?? 0)],
  ]);
  const server = await startRespServer({
    host: config.host,
    port: config.respPort ?? 0,
    tls,
    protectedMode: config.protectedMode,
    store: deps.store,
    hub: deps.hub,
    tokens: deps.tokens,
    login: deps.login,
    settings: {
      timeoutSeconds: config.respTimeout,
      maxClients: config.respMaxClients,
      outputBufferLimit: config.respOutputBufferLimit,
    },
    maxRequestBytes: config.maxRequestBytes,
    requestBytes: deps.requestBytes,
    hostStats: deps.hostStats,
    version: VERSION,
    startedAtMs: Date.now(),
    durable: persistence !== undefined && config.fsync === "always" ? () => persistence.durable() : undefined,
    staticConfig,
    logger: deps.logger,
    notifyKeyspaceEvents: config.respNotifyKeyspaceEvents,
  });
  deps.logger.info(
    { port: server.port, tls: tls !== undefined },
    `RESP (Redis protocol) port listening on ${server.port}`,
  );
  return server;
}
