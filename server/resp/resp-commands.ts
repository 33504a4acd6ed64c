/**
 * The commands a RESP connection answers itself, because they are about the connection rather
 * than the data: AUTH, HELLO, CLIENT, SELECT, QUIT, RESET, MULTI/EXEC/DISCARD/WATCH/UNWATCH,
 * (P)SUBSCRIBE/(P)UNSUBSCRIBE/PUBLISH/PUBSUB, INFO and CONFIG. Everything else is the store's
 * command table, run through `store.run` (resp-connection.ts). Transactions run on
 * `store.transaction`, Pub/Sub on the server's one hub (shared with gRPC's PubSubService).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { keyAllowed } from "../../shared/auth/index.js";
import { UNBLOCK_AS_TIMEOUT } from "../../shared/store/blocking.js";
import type { Bytes } from "../../shared/store/bytes.js";
import { StoreError, syntaxError } from "../../shared/store/errors.js";
import { compileGlob } from "../../shared/store/glob.js";
import { OK, type Reply, Status } from "../../shared/store/reply.js";
import { helpReply, unknownSubcommand } from "../../shared/store/subcommands.js";
import { currentPrincipal } from "../auth/auth-interceptor.js";
import type { Principal } from "../auth/tokens.js";
import { monitor, slowlog } from "./resp-command-log.js";
import { configGet, configSet } from "./resp-config.js";
import type { RespConnection } from "./resp-connection.js";
import { NULL_ARRAY, RespMap, RespPush, type RespValue, RespVerbatim } from "./resp-encode.js";
import type { RespHost } from "./resp-host.js";
import { clientLine, infoText, REDIS_COMPAT_VERSION } from "./resp-info.js";
import { respShape } from "./resp3-shapes.js";

/** A connection command. */
export interface ConnectionCommand {
  /** Upper-case name. */
  readonly name: string;
  /** Redis arity (N exactly, -N at least). */
  readonly arity: number;
  /** Allowed before AUTH. */
  readonly noAuth?: boolean;
  /** Allowed in RESP2 subscribe mode. */
  readonly inSubscribe?: boolean;
  /** Runs (rather than being refused) inside MULTI. */
  readonly inMulti?: boolean;
  /** Runs it: a reply to encode, a promise of one, or undefined when it wrote its replies itself. */
  handler(conn: RespConnection, argv: readonly Bytes[], host: RespHost): RespValue | Promise<RespValue> | undefined;
}

/** Redis's error for a command refused in RESP2 subscribe mode. */
export const SUBSCRIBE_CONTEXT_ERROR = (name: string): string =>
  `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;

const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
const okStatus = (): RespValue => OK;

/** Parses a Redis integer argument, or throws Redis's error. */
function integerArg(arg: Bytes): number {
  if (!/^-?\d{1,18}$/.test(arg)) throw new StoreError("NOT_INTEGER");
  return Number(arg);
}

/**
 * Authenticates `secret` (with `name` when given) through the server's login (its throttle of
 * failed attempts per address): the principal, or WRONGPASS (or the throttle's refusal).
 */
function authenticate(conn: RespConnection, host: RespHost, name: Bytes | undefined, secret: Bytes): Principal {
  let p: Principal | undefined;
  try {
    p = host.login.authenticateSecret(secret, conn.socket.remoteAddress, "RESP AUTH");
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.ResourceExhausted)
      throw new StoreError("ERR", `ERR ${error.rawMessage}`);
    throw new StoreError("ERR", WRONGPASS);
  }
  // The secret names the token; a user name, when given, must be the token's (or Redis's `default`,
  // which clients send when configured with a password alone).
  if (p === undefined || (name !== undefined && name !== "default" && name !== p.name))
    throw new StoreError("ERR", WRONGPASS);
  return p;
}

function signIn(conn: RespConnection, p: Principal): void {
  conn.principal = p;
  conn.parser.unauthenticated = false;
}

const NAME_OK = /^[\x21-\x7e]*$/;

function checkClientName(name: Bytes): void {
  if (!NAME_OK.test(name))
    throw new StoreError("ERR", "ERR Client names cannot contain spaces, newlines or special characters.");
}

/* AUTH [username] password */
function auth(conn: RespConnection, argv: readonly Bytes[], host: RespHost): RespValue {
  if (argv.length > 3) throw syntaxError();
  const name = argv.length === 3 ? (argv[1] as Bytes) : undefined;
  const secret = argv[argv.length - 1] as Bytes;
  if (!host.tokens.enabled) {
    if (name === undefined)
      throw new StoreError(
        "ERR",
        "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
      );
    // Without tokens every client is Redis's passwordless `default` user.
    if (name !== "default") throw new StoreError("ERR", WRONGPASS);
    return okStatus();
  }
  signIn(conn, authenticate(conn, host, name, secret));
  return okStatus();
}

/* HELLO [protover [AUTH username password] [SETNAME clientname]] */
function hello(conn: RespConnection, argv: readonly Bytes[], host: RespHost): RespValue {
  let protocol = conn.protocol;
  if (argv.length > 1) {
    const v = argv[1] as Bytes;
    if (!/^-?\d{1,18}$/.test(v)) throw new StoreError("ERR", "ERR Protocol version is not an integer or out of range");
    const n = Number(v);
    if (n !== 2 && n !== 3) throw new StoreError("ERR", "NOPROTO unsupported protocol version");
    protocol = n;
  }
  let principal: Principal | undefined;
  let authGiven = false;
  let name: Bytes | undefined;
  for (let i = 2; i < argv.length; i++) {
    const opt = (argv[i] as Bytes).toUpperCase();
    const left = argv.length - i - 1;
    if (opt === "AUTH" && left >= 2) {
      authGiven = true;
      const user = argv[i + 1] as Bytes;
      const secret = argv[i + 2] as Bytes;
      if (host.tokens.enabled) principal = authenticate(conn, host, user, secret);
      else if (user !== "default") throw new StoreError("ERR", WRONGPASS);
      i += 2;
    } else if (opt === "SETNAME" && left >= 1) {
      name = argv[i + 1] as Bytes;
      checkClientName(name);
      i += 1;
    } else {
      throw new StoreError("ERR", `ERR Syntax error in HELLO option '${(argv[i] as Bytes).slice(0, 128)}'`);
    }
  }
  if (!authGiven && conn.needsAuth)
    throw new StoreError(
      "NOAUTH",
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
  if (principal !== undefined) signIn(conn, principal);
  if (name !== undefined) conn.name = name;
  conn.protocol = protocol;
  return new RespMap([
    ["server", "redis"],
    ["version", REDIS_COMPAT_VERSION],
    ["proto", protocol],
    ["id", conn.id],
    ["mode", "standalone"],
    ["role", "master"],
    ["modules", []],
  ]);
}

/* SELECT index */
function select(_conn: RespConnection, argv: readonly Bytes[]): RespValue {
  const index = integerArg(argv[1] as Bytes);
  if (index !== 0) throw new StoreError("ERR", "ERR DB index is out of range");
  return okStatus();
}

/* RESET */
function reset(conn: RespConnection, _argv: readonly Bytes[], host: RespHost): RespValue {
  conn.multi = null;
  conn.multiDirty = false;
  conn.releaseWatches();
  conn.subscriber?.close();
  conn.subscriber = undefined;
  conn.monitorDetach?.();
  conn.monitorDetach = undefined;
  conn.protocol = 2;
  conn.name = "";
  if (host.tokens.enabled) {
    conn.principal = undefined;
    conn.parser.unauthenticated = true;
  }
  return new Status("RESET");
}

// ---------------------------------------------------------------------------------------------
// Transactions
// ---------------------------------------------------------------------------------------------

/* MULTI */
function multi(conn: RespConnection): RespValue {
  if (conn.multi !== null) throw new StoreError("ERR", "ERR MULTI calls can not be nested");
  conn.multi = [];
  conn.multiDirty = false;
  return okStatus();
}

/* EXEC */
function exec(conn: RespConnection, _argv: readonly Bytes[], host: RespHost): RespValue | Promise<RespValue> {
  const queued = conn.multi;
  if (queued === null) throw new StoreError("ERR", "ERR EXEC without MULTI");
  const dirty = conn.multiDirty;
  conn.multi = null;
  conn.multiDirty = false;
  const watches = conn.watches;
  conn.watches = [];
  const release = (): void => {
    for (const w of watches) w.release();
  };
  if (dirty) {
    release();
    throw new StoreError("EXEC_ABORT");
  }
  const handle =
    watches.length === 0
      ? undefined
      : { keys: watches.flatMap((w) => w.keys), changed: () => watches.some((w) => w.changed()), release };
  // Redis's EXEC: a command failing at run time leaves its error in place, the others apply.
  // With the client, the store logs each command as it runs (SLOWLOG, MONITOR), as Redis does.
  const client = host.store.commandLog.timing ? conn.logClient() : undefined;
  const run = (): Promise<Reply[] | null> =>
    host.store.transaction(queued, handle, client === undefined ? { mode: "continue" } : { mode: "continue", client });
  const p = conn.principal;
  const result = p === undefined ? run() : currentPrincipal.run(p, run);
  const protocol = conn.protocol;
  return result
    .then((replies): RespValue => {
      if (replies === null) return NULL_ARRAY;
      // Each reply as its command alone would send it (RESP2's null arrays, RESP3's types).
      return replies.map((r, i) => respShape(r, queued[i] as Bytes[], protocol));
    })
    .finally(release);
}

/* DISCARD */
function discard(conn: RespConnection): RespValue {
  if (conn.multi === null) throw new StoreError("ERR", "ERR DISCARD without MULTI");
  conn.multi = null;
  conn.multiDirty = false;
  conn.releaseWatches();
  return okStatus();
}

/* WATCH key [key ...] */
function watch(conn: RespConnection, argv: readonly Bytes[], host: RespHost): RespValue | Promise<RespValue> {
  if (conn.multi !== null) throw new StoreError("ERR", "ERR WATCH inside MULTI is not allowed");
  const keys = argv.slice(1);
  const p = conn.principal;
  if (p !== undefined) {
    for (const key of keys) {
      if (!keyAllowed(p, key))
        throw new StoreError(
          "NOPERM",
          `NOPERM token '${p.name}' (${p.role}) has no permissions to access key '${key.slice(0, 128)}' (outside its key patterns)`,
        );
    }
  }
  for (const key of keys) {
    if (key.length > host.store.limits.maxKeyBytes)
      throw new StoreError("LIMIT", `ERR key exceeds the maximum size (${host.store.limits.maxKeyBytes} bytes)`);
  }
  return host.store.watch(keys).then((handle) => {
    if (conn.closed) handle.release();
    else conn.watches.push(handle);
    return okStatus();
  });
}

/* UNWATCH */
function unwatch(conn: RespConnection): RespValue {
  conn.releaseWatches();
  return okStatus();
}

// ---------------------------------------------------------------------------------------------
// Pub/Sub
// ---------------------------------------------------------------------------------------------

function subscriberOf(conn: RespConnection, host: RespHost) {
  if (conn.subscriber === undefined) {
    conn.subscriber = host.hub.subscriber((m) => {
      host.counters.pubsubMessages++;
      if (m.pattern === undefined) conn.push(["message", m.channel, m.message]);
      else conn.push(["pmessage", m.pattern, m.channel, m.message]);
    });
  }
  return conn.subscriber;
}

/* SUBSCRIBE channel [channel ...] / PSUBSCRIBE pattern [pattern ...] */
function subscribe(kind: "subscribe" | "psubscribe") {
  return (conn: RespConnection, argv: readonly Bytes[], host: RespHost): undefined => {
    const sub = subscriberOf(conn, host);
    for (let i = 1; i < argv.length; i++) {
      const target = argv[i] as Bytes;
      const count = kind === "subscribe" ? sub.subscribe([target]) : sub.psubscribe([target]);
      conn.reply(new RespPush([kind, target, count]));
    }
    return undefined;
  };
}

/* UNSUBSCRIBE [channel ...] / PUNSUBSCRIBE [pattern ...] */
function unsubscribe(kind: "unsubscribe" | "punsubscribe") {
  return (conn: RespConnection, argv: readonly Bytes[]): undefined => {
    const sub = conn.subscriber;
    const current = sub === undefined ? [] : [...(kind === "unsubscribe" ? sub.channels : sub.patterns)];
    const targets = argv.length > 1 ? argv.slice(1) : current;
    if (targets.length === 0) {
      conn.reply(new RespPush([kind, null, sub?.count ?? 0]));
      return undefined;
    }
    for (const target of targets) {
      const count =
        sub === undefined ? 0 : kind === "unsubscribe" ? sub.unsubscribe([target]) : sub.punsubscribe([target]);
      conn.reply(new RespPush([kind, target, count]));
    }
    return undefined;
  };
}

const PUBSUB_HELP = [
  "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "HELP",
  "    Prints this help.",
];

/* PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT | HELP */
function pubsub(_conn: RespConnection, argv: readonly Bytes[], host: RespHost): RespValue {
  const sub = (argv[1] as Bytes).toUpperCase();
  if (sub === "CHANNELS" && argv.length <= 3) return host.hub.channels(argv[2]);
  if (sub === "NUMPAT" && argv.length === 2) return host.hub.numpat();
  if (sub === "NUMSUB") {
    const out: Reply[] = [];
    for (const channel of argv.slice(2)) out.push(channel, host.hub.numsub(channel));
    return out;
  }
  if (sub === "HELP" && argv.length === 2) return helpReply(PUBSUB_HELP);
  throw unknownSubcommand(argv[1] as Bytes, "PUBSUB");
}

// ---------------------------------------------------------------------------------------------
// CLIENT
// ---------------------------------------------------------------------------------------------

const CLIENT_HELP = [
  "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * ID <client-id>",
  "      Kill connections by client id.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|PUBSUB)",
  "      Return clients of specified type.",
  "    * ID <client-id> [<client-id> ...]",
  "      Return clients of specified IDs only.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "SETINFO <option> <value>",
  "    Set client meta attr. Options are:",
  "    * LIB-NAME: the client lib name.",
  "    * LIB-VER: the client lib version.",
  "HELP",
  "    Prints this help.",
];

const isPubSub = (c: RespConnection): boolean => c.subscriber !== undefined && c.subscriber.count > 0;

function typeFilter(value: Bytes): (c: RespConnection) => boolean {
  const t = value.toLowerCase();
  if (t === "normal") return (c) => !isPubSub(c);
  if (t === "pubsub") return isPubSub;
  if (t === "master" || t === "replica" || t === "slave") return () => false;
  throw new StoreError("ERR", `ERR Unknown client type '${value.slice(0, 128)}'`);
}

/* CLIENT KILL ip:port | CLIENT KILL <filter> <value> ... */
function clientKill(conn: RespConnection, argv: readonly Bytes[], host: RespHost): RespValue {
  if (argv.length === 3) {
    const target = [...host.clients.values()].find((c) => c.address === argv[2]);
    if (target === undefined) throw new StoreError("ERR", "ERR No such client");
    kill(conn, target);
    return okStatus();
  }
  if (argv.length % 2 !== 0) throw syntaxError();
  const filters: ((c: RespConnection) => boolean)[] = [];
  let skipMe = true;
  for (let i = 2; i < argv.length; i += 2) {
    const opt = (argv[i] as Bytes).toUpperCase();
    const value = argv[i + 1] as Bytes;
    if (opt === "ID") {
      if (!/^\d{1,18}$/.test(value)) throw new StoreError("ERR", "ERR client-id should be greater than 0");
      const id = Number(value);
      filters.push((c) => c.id === id);
    } else if (opt === "ADDR") filters.push((c) => c.address === value);
    else if (opt === "LADDR") filters.push((c) => c.localAddress === value);
    else if (opt === "TYPE") filters.push(typeFilter(value));
    else if (opt === "USER") filters.push((c) => (c.principal?.name ?? "default") === value);
    else if (opt === "SKIPME") {
      const v = value.toLowerCase();
      if (v !== "yes" && v !== "no") throw syntaxError();
      skipMe = v === "yes";
    } else throw syntaxError();
  }
  let killed = 0;
  for (const c of [...host.clients.values()]) {
    if (skipMe && c === conn) continue;
    if (filters.every((f) => f(c))) {
      kill(conn, c);
      killed++;
    }
  }
  return killed;
}

/* CLIENT UNBLOCK client-id [TIMEOUT | ERROR] */
function clientUnblock(argv: readonly Bytes[], host: RespHost): RespValue {
  if (argv.length > 4) throw syntaxError();
  const id = integerArg(argv[2] as Bytes);
  let reason: unknown = UNBLOCK_AS_TIMEOUT;
  if (argv.length === 4) {
    const how = (argv[3] as Bytes).toUpperCase();
    if (how === "ERROR") reason = new StoreError("ERR", "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    else if (how !== "TIMEOUT") throw new StoreError("ERR", "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  }
  const target = host.clients.get(id);
  if (target?.blockedBy === undefined) return 0;
  target.blockedBy.abort(reason);
  return 1;
}

/** Closes `target`; the caller itself is closed after its reply (as Redis does). */
function kill(self: RespConnection, target: RespConnection): void {
  if (target === self) self.endAfterReply();
  else target.destroy();
}

/* CLIENT LIST [TYPE type] [ID id ...] */
function clientList(argv: readonly Bytes[], host: RespHost): RespValue {
  let clients = [...host.clients.values()];
  for (let i = 2; i < argv.length; ) {
    const opt = (argv[i] as Bytes).toUpperCase();
    if (opt === "TYPE" && i + 1 < argv.length) {
      clients = clients.filter(typeFilter(argv[i + 1] as Bytes));
      i += 2;
    } else if (opt === "ID" && i + 1 < argv.length) {
      const ids = new Set<number>();
      for (i++; i < argv.length && /^\d+$/.test(argv[i] as Bytes); i++) ids.add(Number(argv[i]));
      if (ids.size === 0) throw new StoreError("ERR", "ERR Invalid client ID");
      clients = clients.filter((c) => ids.has(c.id));
    } else throw syntaxError();
  }
  return new RespVerbatim(clients.map((c) => `${clientLine(c)}\n`).join(""));
}

/* CLIENT <subcommand> ... */
function client(conn: RespConnection, argv: readonly Bytes[], host: RespHost): RespValue {
  const sub = (argv[1] as Bytes).toUpperCase();
  const n = argv.length;
  const arity = (want: number): void => {
    if (want > 0 ? n !== want : n < -want) {
      throw new StoreError("WRONG_ARITY", `ERR wrong number of arguments for 'client|${sub.toLowerCase()}' command`);
    }
  };
  switch (sub) {
    case "ID":
      arity(2);
      return conn.id;
    case "GETNAME":
      arity(2);
      return conn.name === "" ? null : conn.name;
    case "SETNAME":
      arity(3);
      checkClientName(argv[2] as Bytes);
      conn.name = argv[2] as Bytes;
      return okStatus();
    case "SETINFO": {
      arity(4);
      const attr = (argv[2] as Bytes).toUpperCase();
      const value = argv[3] as Bytes;
      if (!NAME_OK.test(value))
        throw new StoreError("ERR", `ERR ${attr} cannot contain spaces, newlines or special characters.`);
      if (attr === "LIB-NAME") conn.libName = value;
      else if (attr === "LIB-VER") conn.libVersion = value;
      else throw new StoreError("ERR", `ERR Unrecognized option '${(argv[2] as Bytes).slice(0, 128)}'`);
      return okStatus();
    }
    case "INFO":
      arity(2);
      return new RespVerbatim(`${clientLine(conn)}\n`);
    case "LIST":
      return clientList(argv, host);
    case "KILL":
      arity(-3);
      return clientKill(conn, argv, host);
    case "UNBLOCK":
      arity(-3);
      return clientUnblock(argv, host);
    case "HELP":
      arity(2);
      return helpReply(CLIENT_HELP);
    default:
      throw unknownSubcommand(argv[1] as Bytes, "CLIENT");
  }
}

// ---------------------------------------------------------------------------------------------
// INFO, CONFIG
// ---------------------------------------------------------------------------------------------

/* INFO [section ...] */
function info(_conn: RespConnection, argv: readonly Bytes[], host: RespHost): RespValue {
  return new RespVerbatim(infoText(host, argv.slice(1)));
}

const CONFIG_HELP = [
  "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command (not supported here: the counters are the store's).",
  "HELP",
  "    Prints this help.",
];

/* CONFIG GET pattern [pattern ...] | CONFIG SET parameter value [parameter value ...] | HELP */
function config(_conn: RespConnection, argv: readonly Bytes[], host: RespHost): RespValue {
  const sub = (argv[1] as Bytes).toUpperCase();
  if (sub === "GET") {
    if (argv.length < 3) throw new StoreError("WRONG_ARITY", "ERR wrong number of arguments for 'config|get' command");
    return new RespMap(configGet(host, argv.slice(2)));
  }
  if (sub === "SET") {
    if (argv.length < 4 || argv.length % 2 !== 0)
      throw new StoreError("WRONG_ARITY", "ERR wrong number of arguments for 'config|set' command");
    configSet(host, argv.slice(2));
    return okStatus();
  }
  if (sub === "HELP" && argv.length === 2) return helpReply(CONFIG_HELP);
  throw unknownSubcommand(argv[1] as Bytes, "CONFIG");
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

const COMMANDS: readonly ConnectionCommand[] = [
  { name: "AUTH", arity: -2, noAuth: true, inSubscribe: false, inMulti: false, handler: auth },
  { name: "HELLO", arity: -1, noAuth: true, handler: hello },
  {
    name: "QUIT",
    arity: -1,
    noAuth: true,
    inSubscribe: true,
    inMulti: true,
    handler: (conn) => {
      conn.endAfterReply();
      return okStatus();
    },
  },
  { name: "RESET", arity: 1, noAuth: true, inSubscribe: true, inMulti: true, handler: reset },
  { name: "SELECT", arity: 2, inMulti: true, handler: select },
  { name: "MULTI", arity: 1, inMulti: true, handler: multi },
  { name: "EXEC", arity: 1, inMulti: true, handler: exec },
  { name: "DISCARD", arity: 1, inMulti: true, handler: discard },
  { name: "WATCH", arity: -2, inMulti: true, handler: watch },
  { name: "UNWATCH", arity: 1, inMulti: true, handler: unwatch },
  { name: "SUBSCRIBE", arity: -2, inSubscribe: true, handler: subscribe("subscribe") },
  { name: "PSUBSCRIBE", arity: -2, inSubscribe: true, handler: subscribe("psubscribe") },
  { name: "UNSUBSCRIBE", arity: -1, inSubscribe: true, handler: unsubscribe("unsubscribe") },
  { name: "PUNSUBSCRIBE", arity: -1, inSubscribe: true, handler: unsubscribe("punsubscribe") },
  {
    name: "PUBLISH",
    arity: 3,
    handler: (_conn, argv, host) => host.hub.publishFromClient(argv[1] as Bytes, argv[2] as Bytes),
  },
  { name: "PUBSUB", arity: -2, handler: pubsub },
  {
    name: "CLIENT",
    arity: -2,
    handler: client,
  },
  { name: "INFO", arity: -1, handler: info },
  {
    name: "CONFIG",
    arity: -2,
    handler: config,
  },
  { name: "SLOWLOG", arity: -2, handler: slowlog },
  { name: "MONITOR", arity: 1, handler: monitor },
];

/** The connection commands by upper- and lower-case name. */
export const CONNECTION_COMMANDS: ReadonlyMap<string, ConnectionCommand> = new Map(
  COMMANDS.flatMap((c) => [
    [c.name, c],
    [c.name.toLowerCase(), c],
  ]),
);

/** True when `pattern` (a CONFIG GET glob) matches `name`, case-insensitively as Redis does. */
export function globMatches(pattern: Bytes, name: string): boolean {
  return compileGlob(pattern.toLowerCase())(name);
}
