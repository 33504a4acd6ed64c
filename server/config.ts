import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { EVICTION_POLICIES, type EvictionPolicy } from "../shared/store/eviction.js";
import { BUNDLED_CONSOLE_DIR } from "./package-root.js";
import {
  DEFAULT_YOUNG_GENERATION_MB,
  defaultYoungGenerationMb,
  ENGINE_YOUNG_GENERATION_MB,
  MAX_YOUNG_GENERATION_MB,
} from "./young-generation.js";

/** The server's configuration, after flags, environment and config file are merged. */
export interface ServerConfig {
  host: string;
  port: number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  corsOrigins: string[];
  transport: "fast" | "connect";
  compressMinBytes: number;
  sweepPattern: string;
  maxRequestBytes: number;
  maxRequestBytesTotal: number;
  maxKeyBytes: number;
  maxValueBytes: number;
  maxArgs: number;
  maxReplyElements: number;
  maxScanCount: number;
  maxReplyBytes: number;
  maxTimeoutMs: number;
  luaTimeLimitMs: number;
  slowlogLogSlowerThan: number;
  slowlogMaxLen: number;
  maxStreamsPerConnection: number;
  maxStreams: number;
  streamBufferTotalBytes: number;
  streamBufferHardBytes: number;
  streamBufferSoftBytes: number;
  streamBufferSoftMs: number;
  maxClients: number;
  maxClientsPerAddress: number;
  idleTimeoutMs: number;
  handshakeTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  heartbeatMs: number;
  shutdownTimeoutMs: number;
  logLevel: string;
  consoleDir: string;
  protectedMode: boolean;
  tokens: string[];
  tokensFile: string | undefined;
  authFailureBurst: number;
  authFailureRefillMs: number;
  dataDir: string | undefined;
  fsync: "always" | "everysec" | "no";
  onCorruptTail: "skip" | "truncate" | "refuse";
  snapshotMinLogBytes: number;
  maxmemory: number;
  maxmemoryPolicy: EvictionPolicy;
  maxmemorySamples: number;
  respPort: number | undefined;
  respMaxClients: number;
  respTimeout: number;
  respOutputBufferLimit: number;
  respNotifyKeyspaceEvents: string;
  engine: "memory" | "etcd";
  etcdEndpoints: string[];
  etcdPrefix: string;
  etcdTimeoutMs: number;
  etcdRetryBudgetMs: number;
  etcdReads: "linearizable" | "serializable";
  etcdUser: string | undefined;
  etcdPassword: string | undefined;
  etcdCa: string | undefined;
  etcdCert: string | undefined;
  etcdKey: string | undefined;
  etcdSweeperTtl: number;
  etcdCacheKeys: number;
  youngGenerationMb: number;
}

/** `list` splits on commas; `entries` is repeatable but never split (a token's patterns hold commas). */
type Kind = "string" | "int" | "bool" | "list" | "entries" | "enum";

/** One option: its flag, environment variable, config-file field, default and help text. */
interface OptionSpec {
  readonly key: keyof ServerConfig;
  readonly flag: string;
  readonly kind: Kind;
  readonly defaultValue: ServerConfig[keyof ServerConfig];
  readonly help: string;
  /** The allowed values of an `enum` option. */
  readonly choices?: readonly string[];
  /** The smallest value of an `int` option. @default 0 */
  readonly min?: number;
}

/** Every option, as data: the parser, `--help` and the README table come from here. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    key: "host",
    flag: "host",
    kind: "string",
    defaultValue: "127.0.0.1",
    help: "Address to listen on. Loopback by default; other addresses are an explicit choice.",
  },
  {
    key: "port",
    flag: "port",
    kind: "int",
    defaultValue: 7379,
    help: "Port for gRPC (HTTP/2), gRPC-Web and Connect (HTTP/1.1 and HTTP/2), and the console.",
  },
  {
    key: "tlsCert",
    flag: "tls-cert",
    kind: "string",
    defaultValue: undefined,
    help: "PEM certificate file: serve TLS with ALPN (h2 and http/1.1) on the same port.",
  },
  {
    key: "tlsKey",
    flag: "tls-key",
    kind: "string",
    defaultValue: undefined,
    help: "PEM private key file for --tls-cert.",
  },
  {
    key: "corsOrigins",
    flag: "cors-origin",
    kind: "list",
    defaultValue: [],
    help: "Browser origin allowed to call the API (repeatable; '*' for any). Default: same origin only.",
  },
  {
    key: "transport",
    flag: "transport",
    kind: "enum",
    choices: ["fast", "connect"],
    defaultValue: "fast",
    help: "How RPCs are served: fast (the server's own transport lanes, server/transport/README.md: same behaviour, a fraction of the CPU) or connect (every call through Fastify + connect-es as they ship: the fallback, and the baseline the bench compares with).",
  },
  {
    key: "compressMinBytes",
    flag: "compress-min-bytes",
    kind: "int",
    min: 0,
    defaultValue: 65_536,
    help: "Replies this large or larger are compressed when the client accepts gzip or br (connect's compressMinBytes; connect's own default is 1024). Compressing costs ~90-160 us of CPU per reply up to 64 KiB, worth it only on links slower than ~1-3 Gbit/s.",
  },
  {
    key: "sweepPattern",
    flag: "sweep-pattern",
    kind: "string",
    defaultValue: "* * * * * *",
    help: "Cron pattern (seconds first) of the active expiry sweep.",
  },
  {
    key: "maxRequestBytes",
    flag: "max-request-bytes",
    kind: "int",
    defaultValue: 16 * 1024 * 1024,
    help: "Largest request message, after decompression (larger: RESOURCE_EXHAUSTED).",
  },
  {
    key: "maxRequestBytesTotal",
    flag: "max-request-bytes-total",
    kind: "int",
    defaultValue: 256 * 1024 * 1024,
    help: "Request bytes held at once, all clients together (RPC bodies being received, RESP input not yet run): past it the request holding the most gets RESOURCE_EXHAUSTED (RESP: an error, then closed); 0: no cap.",
  },
  { key: "maxKeyBytes", flag: "max-key-bytes", kind: "int", defaultValue: 65_536, help: "Longest key in bytes." },
  {
    key: "maxValueBytes",
    flag: "max-value-bytes",
    kind: "int",
    defaultValue: 8 * 1024 * 1024,
    help: "Longest value or element in bytes.",
  },
  {
    key: "maxArgs",
    flag: "max-args",
    kind: "int",
    defaultValue: 100_000,
    help: "Most arguments (elements) in one command (more: RESOURCE_EXHAUSTED).",
  },
  {
    key: "maxReplyElements",
    flag: "max-reply-elements",
    kind: "int",
    defaultValue: 1_000_000,
    help: "Most elements in one array reply, nested ones counted (more: RESOURCE_EXHAUSTED 'ERR reply too large'); --max-reply-bytes bounds its size too.",
  },
  {
    key: "maxReplyBytes",
    flag: "max-reply-bytes",
    kind: "int",
    defaultValue: 64 * 1024 * 1024,
    help: "Most bytes of bulk strings in one array reply (more: RESOURCE_EXHAUSTED 'ERR reply too large').",
  },
  {
    key: "maxScanCount",
    flag: "max-scan-count",
    kind: "int",
    defaultValue: 10_000,
    help: "Largest SCAN-family COUNT.",
  },
  {
    key: "maxTimeoutMs",
    flag: "max-timeout-ms",
    kind: "int",
    defaultValue: 300_000,
    help: "Largest deadline a client may ask for (larger: INVALID_ARGUMENT).",
  },
  {
    key: "luaTimeLimitMs",
    flag: "lua-time-limit-ms",
    kind: "int",
    defaultValue: 5000,
    help: "A Lua script (EVAL) running longer is stopped with an error; the server serves nobody else meanwhile (Redis's busy-reply-threshold).",
  },
  {
    key: "slowlogLogSlowerThan",
    flag: "slowlog-log-slower-than",
    kind: "int",
    min: -1,
    defaultValue: 10_000,
    help: "SLOWLOG keeps commands that ran at least this many microseconds, on every port (0: every command; -1: off, written --slowlog-log-slower-than=-1). CONFIG SET changes it at run time.",
  },
  {
    key: "slowlogMaxLen",
    flag: "slowlog-max-len",
    kind: "int",
    defaultValue: 128,
    help: "SLOWLOG keeps this many entries, the newest. CONFIG SET changes it at run time.",
  },
  {
    key: "maxStreamsPerConnection",
    flag: "max-streams-per-connection",
    kind: "int",
    defaultValue: 256,
    help: "Most concurrent HTTP/2 streams (watches, subscriptions, calls) per connection.",
  },
  {
    key: "maxStreams",
    flag: "max-streams",
    kind: "int",
    // What one server keeps serving promptly: with 5,000 Watch streams a busy 2-core host left
    // health checks waiting 20-30 s (test/reliability/watch-fanout.test.ts); with 1,000, < 1 s.
    defaultValue: 1_000,
    help: "Most server streams (Watch, Subscribe, InfoStream, Pipeline) open at once, all clients together; one more gets RESOURCE_EXHAUSTED.",
  },
  {
    key: "streamBufferHardBytes",
    flag: "stream-buffer-hard-bytes",
    kind: "int",
    defaultValue: 32 * 1024 * 1024,
    help: "Output buffer hard limit of a Watch or Subscribe stream: more bytes waiting for a slow client close its stream with RESOURCE_EXHAUSTED (Redis's client-output-buffer-limit pubsub).",
  },
  {
    key: "streamBufferTotalBytes",
    flag: "stream-buffer-total-bytes",
    kind: "int",
    defaultValue: 256 * 1024 * 1024,
    help: "Bytes waiting for slow clients in all Watch and Subscribe streams together: past it the stream holding the most is closed with RESOURCE_EXHAUSTED (a global client-output-buffer-limit).",
  },
  {
    key: "streamBufferSoftBytes",
    flag: "stream-buffer-soft-bytes",
    kind: "int",
    defaultValue: 8 * 1024 * 1024,
    help: "Output buffer soft limit: more bytes waiting for --stream-buffer-soft-ms in a row close the stream.",
  },
  {
    key: "streamBufferSoftMs",
    flag: "stream-buffer-soft-ms",
    kind: "int",
    defaultValue: 60_000,
    help: "How long a stream may stay above --stream-buffer-soft-bytes.",
  },
  {
    key: "maxClients",
    flag: "max-clients",
    kind: "int",
    defaultValue: 10_000,
    help: "Most client connections open at once, as Redis's maxclients (more: the connection is reset at once). Keep it below the file-descriptor limit (ulimit -n). 0: no limit.",
  },
  {
    key: "maxClientsPerAddress",
    flag: "max-clients-per-address",
    kind: "int",
    defaultValue: 1000,
    help: "Most connections open at once from one client IP address (more: reset at once), so one client cannot hold every slot. Raise it behind a proxy that funnels clients through one address. 0: no limit.",
  },
  {
    key: "idleTimeoutMs",
    flag: "idle-timeout-ms",
    kind: "int",
    defaultValue: 300_000,
    help: "Close a connection after this long with no request in flight (HTTP/2 GOAWAY; an HTTP/1.1 keep-alive connection is closed), as Redis's timeout. Open streams (Watch, Subscribe) keep it open. 0: never.",
  },
  {
    key: "handshakeTimeoutMs",
    flag: "handshake-timeout-ms",
    kind: "int",
    defaultValue: 10_000,
    help: "A new connection must have shown its protocol (HTTP/2 preface, HTTP/1.1 request line, TLS handshake) within this long, however slowly it sends.",
  },
  {
    key: "headersTimeoutMs",
    flag: "headers-timeout-ms",
    kind: "int",
    defaultValue: 10_000,
    help: "An HTTP/1.1 request's headers must arrive within this long of its first byte (else 408 and the connection closes).",
  },
  {
    key: "requestTimeoutMs",
    flag: "request-timeout-ms",
    kind: "int",
    defaultValue: 60_000,
    help: "A request's body must arrive within this long (HTTP/1.1: 408; HTTP/2 and streams' first message: DEADLINE_EXCEEDED), unless the client's own deadline is shorter. Streams' later messages are not timed. 0: no limit.",
  },
  {
    key: "heartbeatMs",
    flag: "heartbeat-ms",
    kind: "int",
    defaultValue: 15_000,
    help: "Interval of heartbeats on idle server streams (Watch, Subscribe, InfoStream).",
  },
  {
    key: "shutdownTimeoutMs",
    flag: "shutdown-timeout-ms",
    kind: "int",
    defaultValue: 10_000,
    help: "On SIGTERM/SIGINT, how long in-flight calls and streams may take to finish.",
  },
  {
    key: "youngGenerationMb",
    flag: "young-generation-mb",
    kind: "int",
    // Resolved by engine in loadConfig: undefined here means "not set".
    defaultValue: undefined,
    help: `V8 semi-space size in MiB (default: ${DEFAULT_YOUNG_GENERATION_MB}; ${ENGINE_YOUNG_GENERATION_MB} with --engine etcd; node's --max-semi-space-size; the young generation is up to three of them). Fewer scavenges, and every scavenge visits the whole keyspace's heap: at 10M keys due at once they were the stall. The server starts itself again with the node flag (one relaying parent process, signals and exit code passed on) unless a semi-space size is already on the node command line or in NODE_OPTIONS. 0: Node's default (16), no second process. At most ${MAX_YOUNG_GENERATION_MB}.`,
  },
  {
    key: "logLevel",
    flag: "log-level",
    kind: "string",
    defaultValue: "info",
    help: "Log level: fatal, error, warn, info, debug, trace or silent.",
  },
  {
    key: "consoleDir",
    flag: "console-dir",
    kind: "string",
    // The console shipped with the package, wherever the server is started from.
    defaultValue: BUNDLED_CONSOLE_DIR,
    help: "Folder of the built web console, served at / (by default the one shipped in the package's dist/web).",
  },
  {
    key: "protectedMode",
    flag: "protected-mode",
    kind: "bool",
    defaultValue: true,
    help: "Refuse clients that are not on loopback while no auth is configured (as Redis does). --no-protected-mode turns it off.",
  },
  {
    key: "tokens",
    flag: "token",
    kind: "entries",
    defaultValue: [],
    help: "A bearer token, name:role:secret[:pattern,pattern] (role admin, readwrite or readonly; the secret at least 16 characters; patterns are Redis globs of the keys it may touch). Repeatable; in the environment, separate tokens by spaces. Prefer --tokens-file or the environment: flags show in ps.",
  },
  {
    key: "tokensFile",
    flag: "tokens-file",
    kind: "string",
    defaultValue: undefined,
    help: 'JSON file of tokens: [{"name", "role", "secret" or "sha256", "patterns"}].',
  },
  {
    key: "authFailureBurst",
    flag: "auth-failure-burst",
    kind: "int",
    defaultValue: 20,
    help: "Wrong tokens a client address may send in a burst; then it gets one try per --auth-failure-refill-ms and is refused (RESOURCE_EXHAUSTED, token unchecked) in between. 0: no throttling.",
  },
  {
    key: "authFailureRefillMs",
    flag: "auth-failure-refill-ms",
    kind: "int",
    defaultValue: 1_000,
    help: "How often a throttled address gets one more try.",
  },
  {
    key: "dataDir",
    flag: "data-dir",
    kind: "string",
    defaultValue: undefined,
    help: "Directory for persistence (append-only log and snapshots). Unset: purely in memory.",
  },
  {
    key: "fsync",
    flag: "fsync",
    kind: "enum",
    choices: ["always", "everysec", "no"],
    defaultValue: "everysec",
    help: "When the log reaches the disk: always (a write is acknowledged only after fsync), everysec (up to ~1 s of writes lost on a crash), no (the OS decides).",
  },
  {
    key: "onCorruptTail",
    flag: "on-corrupt-tail",
    kind: "enum",
    choices: ["skip", "truncate", "refuse"],
    defaultValue: "skip",
    help: "Damaged or torn log/snapshot bytes at start: skip (load every record that verifies, keep the damaged file aside as <file>.corrupt-<ms>, cut a torn last frame off the log, log one line; `truncate` is its former name) or refuse (do not start).",
  },
  {
    key: "snapshotMinLogBytes",
    flag: "snapshot-min-log-bytes",
    kind: "int",
    defaultValue: 64 * 1024 * 1024,
    help: "A snapshot compacts the log once it passes this size and twice the last snapshot.",
  },
  {
    key: "maxmemory",
    flag: "maxmemory",
    kind: "int",
    defaultValue: 0,
    help: "Memory limit in bytes of the store's estimate (keys and values, as MEMORY USAGE counts them). 0: no limit.",
  },
  {
    key: "maxmemoryPolicy",
    flag: "maxmemory-policy",
    kind: "enum",
    choices: EVICTION_POLICIES,
    defaultValue: "noeviction",
    help: `What happens above --maxmemory: ${EVICTION_POLICIES.join(", ")} (noeviction refuses writes that grow memory).`,
  },
  {
    key: "maxmemorySamples",
    flag: "maxmemory-samples",
    kind: "int",
    defaultValue: 5,
    help: "Keys sampled per eviction (more: closer to true LRU/LFU, slower).",
  },
  {
    key: "respPort",
    flag: "resp-port",
    kind: "int",
    defaultValue: undefined,
    help: "Also serve the Redis protocol (RESP2/RESP3: redis-cli, ioredis, node-redis) on this port, on --host, with the same store, tokens (AUTH), limits, protected mode and TLS. Off unless set; 0 picks a free port.",
  },
  {
    key: "respMaxClients",
    flag: "resp-maxclients",
    kind: "int",
    defaultValue: 10_000,
    help: "Most RESP clients at once (Redis's maxclients); one more gets 'ERR max number of clients reached'.",
  },
  {
    key: "respTimeout",
    flag: "resp-timeout",
    kind: "int",
    defaultValue: 0,
    help: "Close a RESP client idle this many seconds (Redis's timeout; Pub/Sub subscribers are exempt). 0: never.",
  },
  {
    key: "respOutputBufferLimit",
    flag: "resp-output-buffer-limit",
    kind: "int",
    defaultValue: 32 * 1024 * 1024,
    help: "Disconnect a RESP client whose unsent replies pass this many bytes (Redis's client-output-buffer-limit hard limit, for normal and Pub/Sub clients). 0: no limit.",
  },
  {
    key: "respNotifyKeyspaceEvents",
    flag: "resp-notify-keyspace-events",
    kind: "string",
    defaultValue: "",
    help: "Redis's notify-keyspace-events flags at start (e.g. KEA), published on the Pub/Sub hub; CONFIG SET changes it.",
  },
  {
    key: "engine",
    flag: "engine",
    kind: "enum",
    choices: ["memory", "etcd"],
    defaultValue: "memory",
    help: "Storage engine: memory (this process's memory) or etcd (an etcd cluster shared by any number of servers: docs/FLEET.md).",
  },
  {
    key: "etcdEndpoints",
    flag: "etcd-endpoints",
    kind: "list",
    defaultValue: ["http://127.0.0.1:2379"],
    help: "With --engine etcd: client URLs of the etcd members (comma-separated or repeated; https:// for TLS).",
  },
  {
    key: "etcdPrefix",
    flag: "etcd-prefix",
    kind: "string",
    defaultValue: "memorabilia/0/",
    help: "With --engine etcd: prefix of every etcd key the store uses (one keyspace per prefix; servers sharing it share the data).",
  },
  {
    key: "etcdTimeoutMs",
    flag: "etcd-timeout-ms",
    kind: "int",
    defaultValue: 1000,
    help: "With --engine etcd: deadline of one etcd call in ms (about etcd's election time: a call to a dead leader is abandoned and retried).",
  },
  {
    key: "etcdRetryBudgetMs",
    flag: "etcd-retry-budget-ms",
    kind: "int",
    defaultValue: 5000,
    help: "With --engine etcd: how long one command retries while etcd has no leader or quorum before failing with UNAVAILABLE.",
  },
  {
    key: "etcdReads",
    flag: "etcd-reads",
    kind: "enum",
    choices: ["linearizable", "serializable"],
    defaultValue: "linearizable",
    help: "With --engine etcd: read consistency of read-only commands: linearizable (sees every acknowledged write), serializable (answered by the contacted member; may lag, keeps serving reads without quorum).",
  },
  {
    key: "etcdUser",
    flag: "etcd-user",
    kind: "string",
    defaultValue: undefined,
    help: "With --engine etcd: etcd user name (etcd's own authentication), with --etcd-password.",
  },
  {
    key: "etcdPassword",
    flag: "etcd-password",
    kind: "string",
    defaultValue: undefined,
    help: "With --engine etcd: password of --etcd-user (prefer the environment variable or the config file to a flag).",
  },
  {
    key: "etcdCa",
    flag: "etcd-ca",
    kind: "string",
    defaultValue: undefined,
    help: "With --engine etcd: PEM file of the CA that signed the etcd members' certificates (https:// endpoints).",
  },
  {
    key: "etcdCert",
    flag: "etcd-cert",
    kind: "string",
    defaultValue: undefined,
    help: "With --engine etcd: PEM client certificate for etcd's mutual TLS, with --etcd-key and --etcd-ca.",
  },
  {
    key: "etcdKey",
    flag: "etcd-key",
    kind: "string",
    defaultValue: undefined,
    help: "With --engine etcd: PEM private key of --etcd-cert.",
  },
  {
    key: "etcdSweeperTtl",
    flag: "etcd-sweeper-ttl",
    kind: "int",
    defaultValue: 5,
    help: "With --engine etcd: seconds before another server takes over the expiry sweep when the sweeping server dies.",
  },
  {
    key: "etcdCacheKeys",
    flag: "etcd-cache-keys",
    kind: "int",
    defaultValue: 0,
    help: "With --engine etcd: keys whose value and revision this server caches as the base of its next write (one etcd round trip per write instead of two; never used to answer reads). Leave 0 when several servers write the same hot keys: the caching server can starve the others into ABORTED.",
  },
];

/** Environment variable of an option: `--max-key-bytes` is `MEMORABILIA_MAX_KEY_BYTES`. */
export const envName = (flag: string): string => `MEMORABILIA_${flag.toUpperCase().replace(/-/g, "_")}`;

/** The `--help` text. */
export function helpText(): string {
  const lines = [
    "memorabilia-server: an in-memory key-value store served over gRPC, gRPC-Web and Connect.",
    "",
    "Usage: npx memorabilia-server [options]   (from the repo: npm start -- [options])",
    "",
    "Each option can also be set by environment variable (shown) or in a JSON config file",
    "(--config FILE, fields named as the flags). Precedence: flag > environment > file > default.",
    "",
    "Options:",
    `${"  --config FILE".padEnd(36)}JSON config file.`,
    `${"  --help".padEnd(36)}Show this help.`,
  ];
  for (const o of OPTIONS) {
    const arg = o.kind === "bool" ? "" : o.kind === "int" ? " N" : " VALUE";
    const def =
      o.defaultValue === undefined || (Array.isArray(o.defaultValue) && o.defaultValue.length === 0)
        ? ""
        : ` (default: ${JSON.stringify(o.defaultValue)})`;
    lines.push(`${`  --${o.flag}${arg}`.padEnd(36)}${o.help}${def}`);
    lines.push(`${"".padEnd(38)}env ${envName(o.flag)}`);
  }
  return lines.join("\n");
}

/** A configuration error with a message fit for the terminal. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function convert(o: OptionSpec, raw: unknown, source: string): ServerConfig[keyof ServerConfig] {
  const where = `${source} ${o.flag}`;
  switch (o.kind) {
    case "int": {
      const n = typeof raw === "number" ? raw : Number(String(raw).trim());
      const min = o.min ?? 0;
      if (!Number.isSafeInteger(n) || n < min)
        throw new ConfigError(
          `${where}: expected ${min === 0 ? "a non-negative integer" : `an integer of at least ${min}`}, got ${JSON.stringify(raw)}`,
        );
      return n;
    }
    case "bool": {
      if (typeof raw === "boolean") return raw;
      const s = String(raw).toLowerCase();
      if (["1", "true", "yes", "on"].includes(s)) return true;
      if (["0", "false", "no", "off"].includes(s)) return false;
      throw new ConfigError(`${where}: expected true or false, got ${JSON.stringify(raw)}`);
    }
    case "enum": {
      const v = String(raw);
      if (!o.choices?.includes(v))
        throw new ConfigError(`${where}: expected one of ${o.choices?.join(", ")}, got ${JSON.stringify(raw)}`);
      return v;
    }
    case "entries":
      if (Array.isArray(raw)) return raw.map(String);
      return String(raw).split(/\s+/).filter(Boolean);
    case "list":
      if (Array.isArray(raw)) return raw.map(String);
      return String(raw)
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      return String(raw);
  }
}

/** Result of {@link loadConfig}. */
export type LoadedConfig = { help: true } | { help: false; config: ServerConfig };

/**
 * Merges defaults, an optional JSON config file, environment variables and flags.
 * Throws {@link ConfigError} on unknown flags, bad values or an unreadable file.
 */
export function loadConfig(argv: readonly string[], env: Record<string, string | undefined> = {}): LoadedConfig {
  const parseOptions: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {
    config: { type: "string" },
    help: { type: "boolean" },
  };
  for (const o of OPTIONS) {
    parseOptions[o.flag] = {
      type: o.kind === "bool" ? "boolean" : "string",
      multiple: o.kind === "list" || o.kind === "entries",
    };
    if (o.kind === "bool") parseOptions[`no-${o.flag}`] = { type: "boolean" };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: parseOptions, strict: true, allowPositionals: false });
  } catch (error) {
    // One line, whatever node:util says (its "ambiguous argument" message takes three).
    throw new ConfigError(
      `${(error as Error).message.replace(/\s*\n\s*/g, " ").replace(/[^.?!]$/, "$&.")} Run with --help for the options.`,
    );
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help) return { help: true };

  const config = {} as Record<string, unknown>;
  for (const o of OPTIONS) config[o.key] = Array.isArray(o.defaultValue) ? [...o.defaultValue] : o.defaultValue;

  const file = (values.config as string | undefined) ?? env.MEMORABILIA_CONFIG;
  if (file) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`config file ${file}: ${(error as Error).message}`);
    }
    for (const [name, raw] of Object.entries(json)) {
      const o = OPTIONS.find((x) => x.flag === name || x.key === name);
      if (!o) throw new ConfigError(`config file ${file}: unknown option ${name}`);
      config[o.key] = convert(o, raw, "config file");
    }
  }
  for (const o of OPTIONS) {
    const raw = env[envName(o.flag)];
    if (raw !== undefined && raw !== "") config[o.key] = convert(o, raw, "environment");
  }
  for (const o of OPTIONS) {
    if (o.kind === "bool" && values[`no-${o.flag}`]) config[o.key] = false;
    const raw = values[o.flag];
    if (raw !== undefined)
      config[o.key] =
        o.kind === "entries"
          ? (raw as string[])
          : o.kind === "list"
            ? (raw as string[]).flatMap((v) => convert(o, v, "flag") as string[])
            : convert(o, raw, "flag");
  }
  const c = config as unknown as ServerConfig;
  if (c.port > 65_535) throw new ConfigError(`port ${c.port} is out of range`);
  if (c.authFailureRefillMs < 1) throw new ConfigError("auth-failure-refill-ms must be at least 1");
  for (const key of [
    "maxStreams",
    "streamBufferHardBytes",
    "streamBufferSoftBytes",
    "streamBufferSoftMs",
    "streamBufferTotalBytes",
  ] as const)
    if (c[key] < 1) throw new ConfigError(`${OPTIONS.find((o) => o.key === key)?.flag} must be at least 1`);
  if (c.streamBufferSoftBytes > c.streamBufferHardBytes)
    throw new ConfigError("--stream-buffer-soft-bytes must not exceed --stream-buffer-hard-bytes");
  if (c.respPort !== undefined && c.respPort > 65_535) throw new ConfigError(`resp port ${c.respPort} is out of range`);
  if (c.respMaxClients < 1) throw new ConfigError("--resp-maxclients must be at least 1");
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined))
    throw new ConfigError("--tls-cert and --tls-key go together");
  (c as { youngGenerationMb: number | undefined }).youngGenerationMb ??= defaultYoungGenerationMb(c.engine);
  if (c.youngGenerationMb > MAX_YOUNG_GENERATION_MB)
    throw new ConfigError(
      `--young-generation-mb: expected 0 (Node's default) to ${MAX_YOUNG_GENERATION_MB} MiB, got ${c.youngGenerationMb}`,
    );
  if (c.engine === "etcd") checkEtcdConfig(c);
  return { help: false, config: c };
}

/** What `--engine etcd` cannot be combined with, and what it needs; one line each. */
function checkEtcdConfig(c: ServerConfig): void {
  if (c.dataDir !== undefined)
    throw new ConfigError(
      "--data-dir cannot be used with --engine etcd: etcd is the persistence (every write is committed to a quorum of its members)",
    );
  if (c.maxmemory > 0)
    throw new ConfigError(
      "--maxmemory cannot be used with --engine etcd: the data lives in etcd, bounded by etcd's --quota-backend-bytes (writes past it fail with OOM)",
    );
  if (c.etcdEndpoints.length === 0) throw new ConfigError("--engine etcd needs --etcd-endpoints");
  for (const url of c.etcdEndpoints)
    if (!/^https?:\/\/[^/]+$/.test(url))
      throw new ConfigError(
        `--etcd-endpoints: expected http://host:port or https://host:port, got ${JSON.stringify(url)}`,
      );
  // etcd3 uses one channel credential for every member: TLS for all or for none.
  const secure = c.etcdEndpoints.filter((url) => url.startsWith("https://")).length;
  if (secure !== 0 && secure !== c.etcdEndpoints.length)
    throw new ConfigError("--etcd-endpoints: use https:// for every member or for none (a cluster has one scheme)");
  if (secure === 0 && (c.etcdCa ?? c.etcdCert ?? c.etcdKey) !== undefined)
    throw new ConfigError("--etcd-ca, --etcd-cert and --etcd-key need https:// --etcd-endpoints");
  if ((c.etcdUser === undefined) !== (c.etcdPassword === undefined))
    throw new ConfigError("--etcd-user and --etcd-password go together");
  if ((c.etcdCert === undefined) !== (c.etcdKey === undefined))
    throw new ConfigError("--etcd-cert and --etcd-key go together");
  if (c.etcdCert !== undefined && c.etcdCa === undefined) throw new ConfigError("--etcd-cert needs --etcd-ca");
  if (c.etcdTimeoutMs < 1) throw new ConfigError("--etcd-timeout-ms must be at least 1");
  if (c.etcdSweeperTtl < 1) throw new ConfigError("--etcd-sweeper-ttl must be at least 1");
}
