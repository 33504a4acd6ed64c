/**
 * What every RESP connection shares with the port that accepted it: the store, the Pub/Sub hub,
 * the tokens, the settings CONFIG SET may change, the live clients and the counters INFO reports.
 */
import type { PubSubHub } from "../../shared/store/pubsub.js";
import type { Store } from "../../shared/store/store.js";
import type { Login } from "../auth/login.js";
import type { TokenRegistry } from "../auth/tokens.js";
import type { HostStats } from "../host-stats.js";
import type { RequestBytesBudget } from "../request-bytes.js";
import type { KeyspaceNotifications } from "./keyspace-notifications.js";
import type { RespConnection } from "./resp-connection.js";
import type { RespParserLimits } from "./resp-parser.js";

/** Settings of the RESP port that CONFIG SET changes at run time. */
export interface RespSettings {
  /** Close a client idle this many seconds (0: never); Pub/Sub subscribers are exempt, as in Redis. */
  timeoutSeconds: number;
  /** Most clients at once; one more is told `ERR max number of clients reached` and closed. */
  maxClients: number;
  /** Disconnect a client whose unsent replies pass this many bytes (0: no limit). */
  outputBufferLimit: number;
}

/** Counters of the RESP port (INFO stats and clients). */
export interface RespCounters {
  /** Connections accepted (total_connections_received). */
  connections: number;
  /** Connections refused at maxclients (rejected_connections). */
  rejected: number;
  /** Commands handled by the connection itself (AUTH, CLIENT, MULTI…); the store counts its own. */
  commands: number;
  /** Clients closed for passing the output buffer limit (client_output_buffer_limit_disconnections). */
  outputLimitDisconnects: number;
  /** Pub/Sub messages sent to RESP subscribers. */
  pubsubMessages: number;
}

/** A logger (the server's pino logger fits). */
export interface RespLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The port's shared state, as connections and connection commands see it. */
export interface RespHost {
  readonly store: Store;
  readonly hub: PubSubHub;
  readonly tokens: TokenRegistry;
  /** Authenticates AUTH/HELLO secrets with the server's failed-login throttle, counts and log. */
  readonly login: Login;
  readonly settings: RespSettings;
  readonly notifications: KeyspaceNotifications;
  readonly clients: Map<number, RespConnection>;
  readonly counters: RespCounters;
  readonly logger: RespLogger;
  /** Persistence and eviction readers (INFO persistence, memory). */
  readonly hostStats: HostStats;
  /** The package version. */
  readonly version: string;
  /** When the server started (ms since the epoch). */
  readonly startedAtMs: number;
  /** The RESP port and whether it speaks TLS (INFO server). */
  readonly port: () => number;
  readonly tls: boolean;
  /** With `--fsync always`: resolves once every change made so far is on disk (replies wait for it). */
  readonly durable: (() => Promise<void>) | undefined;
  /** Settings CONFIG GET reports but cannot change (maxmemory, appendonly, bind, port…), by Redis name. */
  readonly staticConfig: ReadonlyMap<string, string>;
  /** The parser's bounds, from the store's limits and the request limit. */
  readonly parserLimits: () => RespParserLimits;
  /** Request bytes held by all clients (`--max-request-bytes-total`): each client's unparsed input counts. */
  readonly requestBytes?: RequestBytesBudget;
  /** The next client id (CLIENT ID), unique for the server's life. */
  nextClientId(): number;
  /** Re-applies `timeoutSeconds` to every client (after CONFIG SET timeout). */
  applyTimeout(): void;
}
