import type { BlockingSpec } from "./blocking.js";
import type { Bytes } from "./bytes.js";
import type { CursorRegistry } from "./cursor-registry.js";
import type { EventClass } from "./events.js";
import type { Reply } from "./reply.js";
import type { KeyView, MaybePromise, ScanFilter, ScanPage } from "./repository.js";

/** Command flags, as in Redis's command table. */
export type CommandFlag =
  /** Changes data. */
  | "write"
  /** Only reads. */
  | "readonly"
  /** O(1) or O(log n): safe at any time. */
  | "fast"
  /** May grow memory: refused under maxmemory with the noeviction policy. */
  | "denyoom"
  /** Works on the whole keyspace (FLUSHALL, KEYS, SCAN, DBSIZE, RANDOMKEY). */
  | "keyspace"
  /** Administrative. */
  | "admin"
  /** Not allowed inside a transaction (MULTI/EXEC). */
  | "no-multi"
  /** May block the caller (BLPOP, BZPOPMIN, …; see {@link CommandSpec.blocking}). */
  | "blocking";

/** The command groups (Redis's `group` field), which the API's services mirror. */
export type CommandGroup =
  | "generic"
  | "string"
  | "list"
  | "hash"
  | "set"
  | "sorted-set"
  | "stream"
  | "transactions"
  | "server"
  | "bitmap"
  | "hyperloglog"
  | "geo";

/** Limits applied to every command; an operator raises them, nobody has to remember to set them. */
export interface Limits {
  /** Longest key in bytes. @default 65_536 */
  readonly maxKeyBytes: number;
  /** Longest string value or element in bytes (also what APPEND/SETRANGE may grow a string to). @default 536_870_912 */
  readonly maxValueBytes: number;
  /** Most arguments in one command, name included. @default 1_048_576 */
  readonly maxArgs: number;
  /**
   * Most elements in one array reply, nested ones counted (reply-limit.ts): replies as large as
   * Redis's ordinary big ones (HGETALL of a 500,000-field hash) pass, a client-chosen 2^31 does
   * not. @default 1_000_000
   */
  readonly maxReplyElements: number;
  /** Largest SCAN-family COUNT. @default 100_000 */
  readonly maxScanCount: number;
  /**
   * Most bytes of bulk strings in one array reply (see reply-limit.ts; the elements are bounded
   * by `maxReplyElements`). @default 67_108_864
   */
  readonly maxReplyBytes: number;
}

/** The defaults for {@link Limits}. */
export const DEFAULT_LIMITS: Limits = {
  maxKeyBytes: 65_536,
  maxValueBytes: 536_870_912,
  maxArgs: 1_048_576,
  maxReplyElements: 1_000_000,
  maxScanCount: 100_000,
  maxReplyBytes: 67_108_864,
};

/** What a command handler gets: the keyspace view, the time, and the event sink. */
export interface CommandContext {
  /** The time of this command, read once (ms since the epoch). */
  readonly now: number;
  /** The keyspace (lazy expiry applies to every read). */
  readonly db: KeyView;
  /** Emits a keyspace event for `key` (a no-op when nobody listens). */
  notify(cls: EventClass, event: string, key: Bytes): void;
  /** Random source in [0, 1) (SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER); injectable for tests. */
  random(): number;
  /** Limits in force. */
  readonly limits: Limits;
  /** Parked iterators of HSCAN/SSCAN/ZSCAN (see scan-elements.ts). */
  readonly elementCursors: CursorRegistry<ElementCursor>;
  /**
   * True when HSCAN/SSCAN/ZSCAN cursors must not park an iterator: the engine hands commands a copy
   * of each value (a remote engine), so a parked iterator would walk a stale copy on this server
   * only. The cursor is then a position in the elements' hash order, valid on any server.
   */
  readonly statelessElementCursors?: boolean;
  /**
   * True when a `readonly` command may still write a cache into a value (PFCOUNT's cached
   * cardinality, as Redis does): the engine is synchronous, so the command runs alone in one turn.
   * False on an engine that runs read-only commands under a shared lock and never commits them.
   */
  readonly readsMayWrite?: boolean;
}

/**
 * The whole-keyspace operations a `keyspace` command works with, at the command's time: the
 * repository's paged operations for a single command (asynchronous on a remote engine), or the
 * synchronous ones of a transaction's whole-keyspace view.
 */
export interface KeyspaceOps {
  /** One SCAN page (see `Repository.scanKeys`). */
  scan(cursor: string, count: number, filter: ScanFilter): MaybePromise<ScanPage>;
  /** Every live key matching `filter`, page by page (see `Repository.listKeys`). */
  list(filter: ScanFilter, pageSize: number): Iterable<readonly Bytes[]> | AsyncIterable<readonly Bytes[]>;
  /** Number of live keys. */
  count(): MaybePromise<number>;
  /** A random live key, or undefined when empty. */
  randomKey(): MaybePromise<Bytes | undefined>;
  /** Deletes every key; how many were live. */
  flush(): MaybePromise<number>;
}

/** What a `keyspace` command's {@link CommandSpec.keyspace} handler gets. */
export interface KeyspaceContext {
  /** The time of this command (ms since the epoch). */
  readonly now: number;
  /** The whole keyspace. */
  readonly keyspace: KeyspaceOps;
  /** Limits in force. */
  readonly limits: Limits;
  /** Parked iterators of HSCAN/SSCAN/ZSCAN (FLUSHALL drops them). */
  readonly elementCursors: CursorRegistry<ElementCursor>;
  /**
   * True when the handler may yield to other clients between pages of a long listing (KEYS on a
   * huge keyspace); false inside transactions and `execSync`, which must answer in one turn.
   */
  readonly mayYield: boolean;
}

/** A `keyspace` command's handler: a Promise when the engine's operations are asynchronous, or it yields. */
export type KeyspaceHandler = (ctx: KeyspaceContext, argv: readonly Bytes[]) => MaybePromise<Reply>;

/** A parked element scan: the key it belongs to and the live iterator over its elements. */
export interface ElementCursor {
  readonly key: Bytes;
  readonly iter: Iterator<unknown>;
}

/** The static description of a command: the command table is data. */
export interface CommandInfo {
  /** Upper-case name, e.g. `SET`. */
  readonly name: string;
  /** Redis arity: N means exactly N arguments (name included), -N means at least N. */
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  /** Index of the first key argument (0 when the command takes no key). */
  readonly firstKey: number;
  /** Index of the last key argument; -1 means the last argument, -2 the one before… */
  readonly lastKey: number;
  /** Step between key arguments (MSET: 2). */
  readonly step: number;
  readonly group: CommandGroup;
  /** Time complexity, as Redis documents it. */
  readonly complexity: string;
  /** One-line summary. */
  readonly summary: string;
  /** Syntax line, e.g. `SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | …]`. */
  readonly syntax: string;
}

/** A command: its table entry plus its handler. */
export interface CommandSpec extends CommandInfo {
  /**
   * Key extraction for commands whose keys firstKey/lastKey/step cannot describe (numkeys forms
   * such as SINTERCARD, ZUNIONSTORE). Receives the whole argv.
   */
  keys?(argv: readonly Bytes[]): Bytes[];
  /**
   * Set on commands that read keys named by data, not by arguments (SORT's BY and GET patterns):
   * the option that does so in `argv`, or undefined. Such keys cannot be checked ahead, so a token
   * limited to key patterns is refused them (shared/auth), as Redis refuses them to an ACL user
   * without access to every key.
   */
  readsPatternKeys?(argv: readonly Bytes[]): string | undefined;
  /**
   * Set on a `readonly` command that may still write a cache into its keys' values (PFCOUNT's
   * cached cardinality, see {@link CommandContext.readsMayWrite}): a rolled-back transaction
   * restores those keys too, so a rollback leaves every byte as it was.
   */
  readonly writesCache?: true;
  /**
   * Set on commands that may be blind writes: true when, for this `argv`, neither the reply nor
   * the writes depend on the current state of the keys (SET without NX/XX/GET/KEEPTTL, MSET). A
   * remote engine may then commit without reading the keys first; a `lookup` the handler still
   * makes must not change what it replies or writes. False (or absent) is always safe.
   */
  blindWrite?(argv: readonly Bytes[]): boolean;
  /**
   * Set on commands whose handler reads the time only through its keys' expiry and its events
   * (INCR, LPUSH, …: no TTL argument, no time in the reply or the value). On a synchronous
   * in-memory keyspace where no key has a deadline and no event has a listener, the store then runs
   * it without reading the clock (`ctx.now` is 0), as its direct GET and SET do. Absent: the
   * clock is read for every run.
   */
  readonly clockFree?: true;
  /**
   * Runs the command. `argv[0]` is the command name as sent. Throws {@link StoreError} on bad input.
   * For a `keyspace` command with {@link keyspace}, this is the same command over the
   * {@link KeyspaceView} of a transaction's whole-keyspace `atomic` call.
   */
  handler(ctx: CommandContext, argv: readonly Bytes[]): Reply;
  /**
   * Set on `keyspace` commands (SCAN, KEYS, DBSIZE, RANDOMKEY, FLUSHALL): runs the command on the
   * repository's paged whole-keyspace operations, outside any `atomic` call. The store runs a
   * single such command through it; transactions use {@link handler}.
   */
  keyspace?: KeyspaceHandler;
  /**
   * Set on blocking commands (BLPOP, BLMOVE, BZPOPMIN, …): how a caller allowed to wait waits
   * (blocking.ts). {@link handler} is then the non-blocking form, run first and inside MULTI.
   */
  blocking?: BlockingSpec;
}

/**
 * The key spec and group of a command whose only key is `argv[1]` (most data-type commands), to
 * spread into its {@link CommandSpec}: `{ name, arity, flags, ...oneKey("list"), … }`.
 */
export function oneKey<G extends CommandGroup>(group: G) {
  return { firstKey: 1, lastKey: 1, step: 1, group } as const;
}

/** The key spec and group of a command that takes no key (PING, SCAN, FLUSHALL, …). */
export function noKeys<G extends CommandGroup>(group: G) {
  return { firstKey: 0, lastKey: 0, step: 0, group } as const;
}

/** The keys a command touches, from its key spec. */
export function commandKeys(spec: CommandSpec, argv: readonly Bytes[]): Bytes[] {
  if (spec.keys) return spec.keys(argv);
  if (spec.firstKey === 0) return [];
  const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
  const out: Bytes[] = [];
  for (let i = spec.firstKey; i <= last && i < argv.length; i += spec.step) out.push(argv[i] as Bytes);
  return out;
}
