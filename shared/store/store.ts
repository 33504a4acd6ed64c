import { BlockedClients, type WaitOptions } from "./blocking.js";
import { type Bytes, bytesFromUtf8, toBytes } from "./bytes.js";
import { type Clock, systemClock } from "./clock.js";
import {
  type CommandContext,
  type CommandSpec,
  commandKeys,
  DEFAULT_LIMITS,
  type ElementCursor,
  type KeyspaceContext,
  type KeyspaceHandler,
  type Limits,
} from "./command.js";
import { type CommandClient, CommandLog } from "./command-log.js";
import { ALL_COMMANDS, createCommandTable } from "./commands.js";
import { CursorRegistry } from "./cursor-registry.js";
import { StoreError, wrongArity, wrongType } from "./errors.js";
import { EventBus, type EventClass, type KeyspaceEvent } from "./events.js";
import { Sweeper, type SweepOptions, type SweepRunResult, type SweepStats } from "./expire.js";
import { repositoryKeyspace } from "./keyspace-ops.js";
import { type AcquireOptions, KeyedLock } from "./lock.js";
import { MapRepository } from "./map-repository.js";
import { OK, type Reply } from "./reply.js";
import { checkCommandReply } from "./reply-limit.js";
import type {
  AtomicIntent,
  KeyView,
  LocalKeyspace,
  MaybePromise,
  Repository,
  RepositoryStats,
  WatchHandle,
} from "./repository.js";
import { type CommandSpan, runTransaction, type TransactionHost, type TransactionMode } from "./transaction.js";

/** A command argument: text is encoded as UTF-8, a `Uint8Array` is taken byte for byte. */
export type Arg = string | Uint8Array;

const EMPTY_ARGV: readonly Bytes[] = [];
/** What a blocked caller's serve replies inside the engine's `atomic` when its key cannot serve. */
const NOT_SERVED = Symbol("not served") as unknown as Reply;
const READ_ONLY: AtomicIntent = { readOnly: true };
const MAY_WRITE: AtomicIntent = { readOnly: false };
const BLIND_WRITE: AtomicIntent = { readOnly: false, blind: true };
const BUILTIN_GET = ALL_COMMANDS.find((c) => c.name === "GET");
const BUILTIN_SET = ALL_COMMANDS.find((c) => c.name === "SET");

/** Options of the typed {@link Store.set}: SET's options, as values. */
export interface SetOptions {
  /** Time to live in milliseconds (`PX`). */
  readonly px?: number;
  /** Absolute deadline in ms since the epoch (`PXAT`). */
  readonly pxat?: number;
  /** Only set when the key does not exist (`NX`). */
  readonly nx?: boolean;
  /** Only set when the key exists (`XX`). */
  readonly xx?: boolean;
  /** Keep the key's time to live (`KEEPTTL`). */
  readonly keepTtl?: boolean;
  /** Reply with the old value (`GET`). */
  readonly get?: boolean;
}

/**
 * Whether `name` is GET in any letter case (resolve() takes every case: the table's upper- or
 * lower-case entry, else the name lower-cased; no byte other than an ASCII letter lower-cases to
 * one). The decoders hand interned names (command-names.ts: the very string of the literal), so
 * the spellings clients send, `GET` and `get`, are one identity compare each; any other string
 * (another case, a name decoded by a caller that does not intern, a sliced or concatenated
 * string) falls through to {@link hasLetters}, which reads code units and so is the same code for
 * every kind of string.
 */
function isGetName(name: Bytes): boolean {
  return name === "GET" || name === "get" || hasLetters(name, 0x67, 0x65, 0x74);
}

/** Whether `name` is SET in any letter case (see {@link isGetName}). */
function isSetName(name: Bytes): boolean {
  return name === "SET" || name === "set" || hasLetters(name, 0x73, 0x65, 0x74);
}

/**
 * Whether `name` is the three lower-case ASCII letters `a`, `b`, `c` in any letter case (`| 0x20`
 * lower-cases exactly the ASCII letters among the values compared here).
 */
function hasLetters(name: Bytes, a: number, b: number, c: number): boolean {
  return (
    name.length === 3 &&
    (name.charCodeAt(0) | 0x20) === a &&
    (name.charCodeAt(1) | 0x20) === b &&
    (name.charCodeAt(2) | 0x20) === c
  );
}

/** Whether every entry of `table` whose name lower-cases to `lower` is `spec` (and one is). */
function everyCaseIs(table: ReadonlyMap<string, CommandSpec>, lower: string, spec: CommandSpec): boolean {
  if (table.get(lower) !== spec) return false;
  for (const [name, s] of table) if (name.toLowerCase() === lower && s !== spec) return false;
  return true;
}

function keyTooLong(limits: Limits): StoreError {
  return new StoreError("LIMIT", `ERR key exceeds the maximum size (${limits.maxKeyBytes} bytes)`);
}

/** {@link Store.transaction}'s options: the lock wait bounds and what a runtime error does. */
export interface TransactionOptions extends AcquireOptions {
  /** `"rollback"` (default): all-or-nothing. `"continue"`: Redis's MULTI/EXEC (errors in place). */
  readonly mode?: TransactionMode;
  /**
   * Who runs the transaction: when given, each command that ran goes to the command log
   * (SLOWLOG, MONITOR) with its own duration, in order, once the transaction settles, as Redis
   * logs the commands an EXEC runs (the host logs MULTI and EXEC themselves).
   */
  readonly client?: CommandClient;
  /**
   * Instead of `client`: each command's own run time is handed to the command log
   * ({@link CommandLog.ran}, by its argv), for a host that records each command itself when its
   * reply settles (a remote engine's Batch, whose commands run in groups).
   */
  readonly ranEach?: boolean;
}

/** Options of {@link createStore}. */
export interface StoreOptions {
  /** The clock every command reads once. @default systemClock */
  readonly clock?: Clock;
  /** The storage engine. @default a new {@link MapRepository} */
  readonly repository?: Repository;
  /** Limits (any omitted field takes its default from {@link DEFAULT_LIMITS}). */
  readonly limits?: Partial<Limits>;
  /** Random source for random replies. @default Math.random */
  readonly random?: () => number;
  /** The active expiry sweep (runs only after {@link Store.start}). */
  readonly sweep?: SweepOptions;
  /** The command table. @default ALL_COMMANDS (embedders and tests may add or replace commands) */
  readonly commands?: readonly CommandSpec[];
}

/** Counters of a store. */
export interface StoreStats extends RepositoryStats {
  /** Commands executed. */
  readonly commands: number;
  /** Commands that failed with an error. */
  readonly errors: number;
  /** Active sweep counters. */
  readonly sweep: SweepStats;
  /** Keyspace event subscribers. */
  readonly subscribers: number;
}

/**
 * An in-memory key-value store with Redis data types and semantics.
 *
 * Commands are Redis-style argument vectors: `await store.exec(["SET", "k", "v", "EX", "10"])`.
 * Replies are shaped as RESP2 replies (see {@link Reply}). No timer runs until {@link start}.
 */
export class Store {
  /** The clock commands read. */
  readonly clock: Clock;
  /** The storage engine. */
  readonly repository: Repository;
  /** Keyspace events of every change. */
  readonly events = new EventBus();
  /** Callers blocked by BLPOP, BZPOPMIN, … (blocking.ts). */
  readonly blocked: BlockedClients;
  /**
   * SLOWLOG and MONITOR: the hosts (RESP, the gRPC services) time the commands they run and
   * record them here; `run` itself records nothing (an embedded caller's commands are not logged).
   */
  readonly commandLog = new CommandLog();
  /** Limits in force. */
  readonly limits: Limits;
  /** The command table, by upper- and lower-case name. */
  readonly commands: ReadonlyMap<string, CommandSpec>;
  private readonly table: Map<string, CommandSpec>;
  private readonly getSpec: CommandSpec | undefined;
  private readonly setSpec: CommandSpec | undefined;
  /**
   * The repository's {@link LocalKeyspace} when it has one (the Map engine) and is synchronous and
   * leaves events to the store: the built-in GET and SET (no options) then run straight on it,
   * without a context, the command table's handler call or a clock read when no key has a deadline
   * (see {@link getDirect}, {@link setDirect}).
   */
  private readonly local: LocalKeyspace | undefined;
  /** The engine's capabilities, read once. */
  private readonly sync: boolean;
  private readonly publishes: boolean;
  private readonly lockKeyspaceReads: boolean;
  /** HSCAN/SSCAN/ZSCAN park live iterators only over a keyspace in this process's memory. */
  private readonly statelessElementCursors: boolean;
  /** False while {@link execSync} runs a command: KEYS must then answer in one turn. */
  private mayYield = true;
  private readonly sweeper: Sweeper;
  private readonly random: () => number;
  private readonly elementCursors = new CursorRegistry<ElementCursor>();
  /**
   * Key locks for asynchronous repositories: every command and transaction holds its keys across
   * the await, so none interleaves with another on the same keys. Unused when synchronous.
   */
  readonly locks = new KeyedLock();
  private admitHook: ((spec: CommandSpec, argv: readonly Bytes[]) => void) | undefined = undefined;
  /**
   * What resolve() checks of a typed call's key and value, precomputed by {@link refreshDirect}
   * (the one place the rule is written; see {@link typedKeyMax}): the longest key (-1 when no typed
   * call may skip resolve(): an asynchronous repository, an admission hook) and value, and the
   * most arguments.
   */
  private keyMax = -1;
  private valueMax = -1;
  private argsMax = -1;
  /**
   * The longest key the built-in GET runs straight on the {@link local} keyspace with
   * ({@link getDirect}); -1 when it never does (no local keyspace, GET replaced, or
   * {@link typedKeyMax} of 2 arguments is). So the direct paths test one number.
   */
  private getKeyMax = -1;
  /**
   * Whether every letter case of GET (SET) resolves to the built-in command ({@link getSpec}),
   * so run() and execSync() may take the direct path by the name's letters alone.
   */
  private readonly getByName: boolean;
  private readonly setByName: boolean;
  /** The same for SET key value ({@link setDirect}; `maxArgs` ≥ 3), for its key. */
  private setKeyMax = -1;
  /** The longest value SET key value runs direct with (-1 when it never does). */
  private setValueMax = -1;
  private commandCount = 0;
  private errorCount = 0;
  /** Time of the command being run, for events emitted while it runs. */
  private now = 0;
  private readonly notifyBus = (cls: EventClass, event: string, key: Bytes): void => {
    if (this.events.listening) this.events.emit({ event, key, class: cls, atMs: this.now });
  };

  /** Synchronous commands running (above 0 while one runs: a nested one gets its own context). */
  private depth = 0;
  private syncSpec: CommandSpec | undefined;
  private syncArgv: readonly Bytes[] = EMPTY_ARGV;
  private syncNow = 0;
  /** The context of the running synchronous command, reused (its fields are set per command). */
  private syncContext: { -readonly [K in keyof CommandContext]: CommandContext[K] } | undefined;
  private readonly syncCall = (view: KeyView): Reply | Promise<Reply> => {
    let ctx = this.syncContext;
    if (ctx === undefined || ctx.db !== view) {
      ctx = this.syncContext = this.context(view, this.syncNow, this.publishes ? this.recorder(view) : this.notifyBus);
    } else {
      ctx.now = this.syncNow;
      ctx.limits = this.limits; // setLimits replaces the object
    }
    return (this.syncSpec as CommandSpec).handler(ctx, this.syncArgv);
  };

  constructor(options: StoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    // The default engine's `expired` events reach the bus through attach() below.
    this.repository = options.repository ?? new MapRepository({ random: this.random });
    const caps = this.repository.capabilities;
    this.sync = caps.synchronous;
    this.publishes = caps.publishesEvents;
    this.lockKeyspaceReads = caps.lockKeyspaceReads;
    this.local = caps.synchronous && !caps.publishesEvents ? this.repository.local : undefined;
    this.statelessElementCursors = this.repository.local === undefined;
    this.repository.attach?.({ events: this.events, clock: this.clock });
    this.table = createCommandTable(options.commands);
    this.commands = this.table;
    // The typed get/set run the built-in GET/SET only (a replaced command goes through run()).
    this.getSpec = this.table.get("GET") === BUILTIN_GET ? BUILTIN_GET : undefined;
    this.setSpec = this.table.get("SET") === BUILTIN_SET ? BUILTIN_SET : undefined;
    this.getByName = this.getSpec !== undefined && everyCaseIs(this.table, "get", this.getSpec);
    this.setByName = this.setSpec !== undefined && everyCaseIs(this.table, "set", this.setSpec);
    this.sweeper = new Sweeper(this.repository, this.clock, options.sweep);
    this.blocked = new BlockedClients({
      events: this.events,
      sync: this.sync,
      now: () => this.clock.now(),
      serve: (spec, key, argv) => this.serveBlocked(spec, key, argv),
    });
    this.refreshDirect();
  }

  /** A notify that hands events to a publishing engine's view (committed with the change). */
  private recorder(view: KeyView): CommandContext["notify"] {
    return (cls, event, key) => view.record?.({ event, key, class: cls, atMs: this.now });
  }

  /**
   * Admission check of every command, run after arity and limits (inside transactions too): the
   * server plugs authorization (per command and key) and maxmemory in here. It throws a
   * {@link StoreError} to refuse. Unset, it costs one check per command.
   */
  get admit(): ((spec: CommandSpec, argv: readonly Bytes[]) => void) | undefined {
    return this.admitHook;
  }

  set admit(hook: ((spec: CommandSpec, argv: readonly Bytes[]) => void) | undefined) {
    this.admitHook = hook;
    this.refreshDirect();
  }

  /**
   * Recomputes when a typed GET/SET may skip resolve() (what resolve() would check for `GET key`
   * and `SET key value …`, folded into key and value length bounds), and when GET key and SET key
   * value may moreover run direct: after the limits or the admission hook change.
   */
  private refreshDirect(): void {
    const limits = this.limits;
    const open = this.sync && this.admitHook === undefined;
    this.keyMax = open ? Math.min(limits.maxKeyBytes, limits.maxValueBytes) : -1;
    this.valueMax = open ? limits.maxValueBytes : -1;
    this.argsMax = open ? limits.maxArgs : -1;
    const local = this.local !== undefined;
    this.getKeyMax = local && this.getSpec !== undefined ? this.typedKeyMax(2) : -1;
    this.setKeyMax = local && this.setSpec !== undefined ? this.typedKeyMax(3) : -1;
    this.setValueMax = this.setKeyMax < 0 ? -1 : this.valueMax;
  }

  /** The longest key a typed call of `args` arguments may skip resolve() with (-1: none may). */
  private typedKeyMax(args: number): number {
    return args <= this.argsMax ? this.keyMax : -1;
  }

  /** Resolves a command by name and checks its arity and the limits. Throws {@link StoreError}. */
  resolve(argv: readonly Bytes[]): CommandSpec {
    if (argv.length === 0) throw new StoreError("UNKNOWN_COMMAND", "ERR empty command");
    const name = argv[0] as Bytes;
    const spec = this.table.get(name) ?? this.table.get(name.toLowerCase());
    if (spec === undefined) {
      // Redis's wording: quoted arguments while fewer than 128 characters were written, each
      // followed by a space; CR/LF become spaces so the message stays one protocol line.
      let rest = "";
      for (let i = 1; i < argv.length && rest.length < 128; i++) {
        rest += `'${(argv[i] as Bytes).slice(0, 128 - rest.length)}' `;
      }
      const message = `ERR unknown command '${name.slice(0, 128)}', with args beginning with: ${rest}`;
      throw new StoreError("UNKNOWN_COMMAND", message.replace(/[\r\n]/g, " "));
    }
    const n = argv.length;
    if (spec.arity > 0 ? n !== spec.arity : n < -spec.arity) throw wrongArity(spec.name);
    const limits = this.limits;
    if (n > limits.maxArgs) {
      throw new StoreError("LIMIT", `ERR too many arguments (${n} > max ${limits.maxArgs})`);
    }
    for (let i = 1; i < n; i++) {
      if ((argv[i] as Bytes).length > limits.maxValueBytes) {
        throw new StoreError("LIMIT", `ERR argument exceeds the maximum size (${limits.maxValueBytes} bytes)`);
      }
    }
    if (spec.keys !== undefined) {
      for (const key of spec.keys(argv)) {
        if (key.length > limits.maxKeyBytes) throw keyTooLong(limits);
      }
    } else if (spec.firstKey !== 0) {
      // The key positions of commandKeys, walked in place (no array per command).
      const last = spec.lastKey < 0 ? n + spec.lastKey : spec.lastKey;
      for (let i = spec.firstKey; i <= last && i < n; i += spec.step) {
        if ((argv[i] as Bytes).length > limits.maxKeyBytes) throw keyTooLong(limits);
      }
    }
    if (this.admitHook !== undefined) this.admitHook(spec, argv);
    return spec;
  }

  /** A command context over `view` at `now`. */
  private context(view: KeyView, now: number, notify: CommandContext["notify"]): CommandContext {
    return {
      now,
      db: view,
      notify,
      random: this.random,
      limits: this.limits,
      elementCursors: this.elementCursors,
      statelessElementCursors: this.statelessElementCursors,
      readsMayWrite: this.sync,
    };
  }

  /** Normalizes arguments to bytes. */
  static argv(args: readonly Arg[]): Bytes[] {
    const out = new Array<Bytes>(args.length);
    for (let i = 0; i < args.length; i++) out[i] = toBytes(args[i] as Arg);
    return out;
  }

  /**
   * Runs one command and resolves with its reply; rejects with a {@link StoreError} on bad input.
   * Works with any repository, synchronous or remote. A blocking command (BLPOP, …) waits until
   * it is served, times out, or `wait.signal` aborts (see {@link run}).
   */
  async exec(args: readonly Arg[], wait: WaitOptions = {}): Promise<Reply> {
    return this.run(Store.argv(args), wait);
  }

  /**
   * Runs one command synchronously (embedded use, benchmarks). Throws a {@link StoreError} on bad
   * input, and a `TypeError` when the repository is asynchronous.
   */
  execSync(args: readonly Arg[]): Reply {
    // GET key and SET key value straight on the local keyspace (no argv array, no name lookup)
    // when run() would take the direct path anyway; everything else through execArgv. Kept small
    // so V8 inlines it into its callers (a large body here cost ~60 ns per GET: see getSlow).
    const local = this.local;
    const n = args.length;
    if (local !== undefined && (n === 2 || n === 3)) {
      const name = args[0];
      const key = args[1];
      if (typeof name === "string" && typeof key === "string") {
        if (n === 2) {
          if (this.getByName && isGetName(name)) {
            const k = bytesFromUtf8(key);
            if (this.directGet(k)) return this.countedGet(local, k);
          }
        } else if (this.setByName && isSetName(name)) {
          const value = args[2];
          if (typeof value === "string") {
            const k = bytesFromUtf8(key);
            const v = bytesFromUtf8(value);
            if (this.directSet(k, v)) return this.countedSet(local, k, v);
          }
        }
      }
    }
    return this.execArgv(args);
  }

  /** {@link execSync}'s general path: the arguments normalized, then {@link run}. */
  private execArgv(args: readonly Arg[]): Reply {
    if (!this.sync) throw new TypeError("execSync needs a synchronous repository");
    // KEYS answers in this turn here (no yielding between pages): execSync's caller wants a reply.
    this.mayYield = false;
    try {
      return this.run(Store.argv(args)) as Reply;
    } finally {
      this.mayYield = true;
    }
  }

  /**
   * Runs an already-normalized argv. Returns a Promise only for asynchronous repositories, and
   * for a blocking command (BLPOP, BZPOPMIN, …) that waits: only when `wait` is given — without
   * it a blocking command replies nil when it would block, as inside MULTI. A waiting command
   * sets `wait.blocked`; it then ends by itself (served, timed out, `wait.signal` aborted, or
   * {@link stop}), and the caller must not abandon it by racing the signal (blocking.ts).
   */
  run(argv: readonly Bytes[], wait?: WaitOptions): Reply | Promise<Reply> {
    // GET key and SET key value (the name in any letter case, as resolve() takes it) straight on
    // the local keyspace: exactly what resolve() then getDirect()/setDirect() do when the direct
    // bounds hold, minus the table lookup. Kept small so V8 inlines it into its callers.
    const local = this.local;
    if (local !== undefined) {
      const n = argv.length;
      if (n === 2) {
        const key = argv[1] as Bytes;
        if (this.getByName && isGetName(argv[0] as Bytes) && this.directGet(key)) return this.countedGet(local, key);
      } else if (n === 3) {
        const key = argv[1] as Bytes;
        const value = argv[2] as Bytes;
        if (this.setByName && isSetName(argv[0] as Bytes) && this.directSet(key, value)) {
          return this.countedSet(local, key, value);
        }
      }
    }
    return this.runResolved(argv, wait);
  }

  /** {@link run}'s general path: resolve the name, check arity and limits, run. */
  private runResolved(argv: readonly Bytes[], wait: WaitOptions | undefined): Reply | Promise<Reply> {
    this.commandCount++;
    try {
      const spec = this.resolve(argv);
      const local = this.local;
      if (local !== undefined) {
        if (spec === this.getSpec) return this.getDirect(local, argv[1] as Bytes);
        if (spec === this.setSpec && argv.length === 3)
          return this.setDirect(local, argv[1] as Bytes, argv[2] as Bytes);
      }
      const keyspace = spec.keyspace;
      if (keyspace !== undefined) return this.runKeyspace(spec, keyspace, argv);
      if (spec.blocking !== undefined && wait !== undefined) return this.runBlocking(spec, argv, wait);
      if (!this.sync) {
        return this.runLocked(spec, argv).catch((error: unknown) => {
          this.errorCount++;
          throw error;
        });
      }
      return this.runSync(spec, argv);
    } catch (error) {
      this.errorCount++;
      throw error;
    }
  }

  /**
   * GET key, typed, for embedded use: exactly `run(["GET", key])` (limits, admission, lazy expiry,
   * counters, events and errors are the command's own), minus resolving the name and checking the
   * arity. `key` is a byte string ({@link Bytes}; ASCII text is its own bytes). Throws a
   * `TypeError` when the repository is asynchronous, as {@link execSync} does.
   */
  get(key: Bytes): Bytes | null {
    const local = this.local;
    if (local !== undefined && this.directGet(key)) return this.countedGet(local, key);
    return this.getSlow(key);
  }

  /**
   * {@link get} past the direct path. Apart from it so that `get` stays small enough for V8 to
   * inline into its caller with the whole direct path: with this body inline, typed GET cost ~60
   * ns more per call on 1M shuffled keys (one process, 11 interleaved rounds).
   */
  private getSlow(key: Bytes): Bytes | null {
    const spec = this.getSpec;
    if (spec === undefined || !this.fastPath(2, key, key)) return this.runSlow(["GET", key]) as Bytes | null;
    this.commandCount++;
    try {
      return this.runSync(spec, ["GET", key]) as Bytes | null;
    } catch (error) {
      this.errorCount++;
      throw error;
    }
  }

  /**
   * True when GET `key` may run as {@link getDirect}: the built-in GET on a synchronous
   * {@link MapRepository}, no admission hook, `key` within the limits (what resolve() would check for GET key).
   */
  private directGet(key: Bytes): boolean {
    return key.length <= this.getKeyMax;
  }

  /** {@link getDirect} counted as a command (and as an error when it throws). */
  private countedGet(local: LocalKeyspace, key: Bytes): Bytes | null {
    this.commandCount++;
    try {
      return this.getDirect(local, key);
    } catch (error) {
      this.errorCount++;
      throw error;
    }
  }

  /**
   * True when SET `key` `value` (no options) may run as {@link setDirect}: the built-in SET on a
   * synchronous {@link MapRepository}, no admission hook, both within the limits (what resolve()
   * would check for SET key value).
   */
  private directSet(key: Bytes, value: Bytes): boolean {
    return key.length <= this.setKeyMax && value.length <= this.setValueMax;
  }

  /** {@link setDirect} counted as a command (and as an error when it throws). */
  private countedSet(local: LocalKeyspace, key: Bytes, value: Bytes): Reply {
    this.commandCount++;
    try {
      return this.setDirect(local, key, value);
    } catch (error) {
      this.errorCount++;
      throw error;
    }
  }

  /**
   * SET key value [options], typed, for embedded use: exactly `run(["SET", key, value, …])` with
   * the options as SET's tokens (`PX`, `PXAT`, `NX`, `XX`, `KEEPTTL`, `GET`), minus resolving the
   * name and checking the arity. Replies as SET does: `OK`, null when NX/XX refused, or the old
   * value with `get`. Throws a `TypeError` when the repository is asynchronous.
   */
  set(key: Bytes, value: Bytes, options?: SetOptions): Reply {
    const local = this.local;
    if (options === undefined && local !== undefined && this.directSet(key, value)) {
      return this.countedSet(local, key, value);
    }
    return this.setSlow(key, value, options);
  }

  /** {@link set} past the direct path (apart for the reason {@link getSlow} is). */
  private setSlow(key: Bytes, value: Bytes, options: SetOptions | undefined): Reply {
    const argv = ["SET", key, value];
    if (options !== undefined) {
      if (options.px !== undefined) argv.push("PX", String(options.px));
      if (options.pxat !== undefined) argv.push("PXAT", String(options.pxat));
      if (options.nx) argv.push("NX");
      if (options.xx) argv.push("XX");
      if (options.keepTtl) argv.push("KEEPTTL");
      if (options.get) argv.push("GET");
    }
    const spec = this.setSpec;
    if (spec === undefined || !this.fastPath(argv.length, key, value)) return this.runSlow(argv);
    this.commandCount++;
    try {
      return this.runSync(spec, argv);
    } catch (error) {
      this.errorCount++;
      throw error;
    }
  }

  /**
   * The built-in GET on a {@link MapRepository}, exactly as its handler runs it. The repository reads
   * the clock only when some key has a deadline (lookupAt): otherwise no key's state depends on
   * the time, and GET emits no event of its own. The caller counts the command and its errors.
   */
  private getDirect(local: LocalKeyspace, key: Bytes): Bytes | null {
    const v = local.lookupAt(key, this.clock);
    if (v === undefined) return null;
    if (typeof v === "string") return v;
    throw wrongType();
  }

  /**
   * The built-in SET key value (no options) on a {@link MapRepository}, exactly as its handler runs
   * it (lookup, put, the `set` event), with the key's lane hashed once. The clock is read only
   * when some key has a deadline (by the repository) or the event has a listener. The caller counts the command.
   */
  private setDirect(local: LocalKeyspace, key: Bytes, value: Bytes): Reply {
    local.overwrite(key, value, this.clock);
    // `listening` is read after the write (a listener may subscribe during it, e.g. on an expired
    // event), and the clock read for the event (the repository read it only for a deadline).
    if (this.events.listening) this.events.emit({ event: "set", key, class: "string", atMs: this.clock.now() });
    return OK;
  }

  /**
   * True when a typed call may skip resolve(): synchronous, no admission hook, within the limits
   * (the bounds {@link refreshDirect} keeps; the direct paths test the same ones, folded).
   */
  private fastPath(args: number, key: Bytes, value: Bytes): boolean {
    return key.length <= this.typedKeyMax(args) && value.length <= this.valueMax;
  }

  /** A typed call through run() (errors, admission and limits exactly as the command's). */
  private runSlow(argv: readonly Bytes[]): Reply {
    if (!this.sync) throw new TypeError("get/set need a synchronous repository");
    return this.run(argv) as Reply;
  }

  /** Runs a resolved command on the synchronous repository; the caller counts it and its errors. */
  private runSync(spec: CommandSpec, argv: readonly Bytes[]): Reply {
    // A clock-free command on a keyspace without deadlines, with no event listener: no clock read
    // (CommandSpec.clockFree; the rule getDirect and setDirect apply).
    const local = this.local;
    const now =
      spec.clockFree === true && local !== undefined && local.expiresSize() === 0 && !this.events.listening
        ? 0
        : this.clock.now();
    this.now = now;
    if (this.depth !== 0) {
      // Re-entrant (a listener runs a command while one runs): a context of its own.
      const reply = this.repository.atomic(null, now, (view) =>
        spec.handler(this.context(view, now, this.publishes ? this.recorder(view) : this.notifyBus), argv),
      ) as Reply;
      return checkCommandReply(spec, reply, this.limits);
    }
    // The common case: one reused context and one reused callback, no allocation per command.
    this.syncSpec = spec;
    this.syncArgv = argv;
    this.syncNow = now;
    this.depth++;
    try {
      return checkCommandReply(spec, this.repository.atomic(null, now, this.syncCall) as Reply, this.limits);
    } finally {
      this.depth--;
      this.syncArgv = EMPTY_ARGV;
      // Blocked callers are served right after the command that made their key ready, before
      // the next command runs (Redis's handleClientsBlockedOnKeys).
      if (this.blocked.pending) this.blocked.drain();
    }
  }

  /**
   * A blocking command whose caller may wait: the non-blocking form first (every error, and an
   * immediate reply when a key has data), then the wait (blocking.ts).
   */
  private runBlocking(spec: CommandSpec, argv: readonly Bytes[], wait: WaitOptions): Reply | Promise<Reply> {
    if (this.sync) {
      const reply = this.runSync(spec, argv);
      if (reply !== null) return reply;
      return this.blocked.block(spec, argv, this.now, wait);
    }
    return this.blocked
      .blockAsync(spec, argv, commandKeys(spec, argv), wait, () => this.runLocked(spec, argv))
      .catch((error: unknown) => {
        this.errorCount++;
        throw error;
      });
  }

  /**
   * Serves a blocked caller of `spec` from `key` as one atomic command (its events published, its
   * reply measured): the reply, or undefined when `key` cannot serve it.
   */
  private serveBlocked(
    spec: CommandSpec,
    key: Bytes,
    argv: readonly Bytes[],
  ): Reply | undefined | Promise<Reply | undefined> {
    const blocking = spec.blocking as NonNullable<CommandSpec["blocking"]>;
    if (!this.sync) {
      const keys = blocking.serveKeys(key, argv);
      return this.runLocked(spec, argv, keys, (ctx) => blocking.serve(ctx, key, argv) ?? NOT_SERVED).then((r) =>
        r === NOT_SERVED ? undefined : r,
      );
    }
    const now = this.clock.now();
    this.now = now;
    this.depth++; // a command run meanwhile (a listener's) gets a context of its own
    try {
      const reply = this.repository.atomic(null, now, (view) =>
        blocking.serve(this.context(view, now, this.publishes ? this.recorder(view) : this.notifyBus), key, argv),
      ) as Reply | undefined;
      return reply === undefined ? undefined : checkCommandReply(spec, reply, this.limits);
    } finally {
      this.depth--;
    }
  }

  /**
   * Runs one command on an asynchronous repository, holding its keys (exclusively unless it is
   * read-only) across the await, so it cannot interleave with a transaction or another command on
   * the same keys. Its events are published after the commit (an engine that re-runs the command
   * on a conflict drops the failed attempt's events), or recorded on the view of an engine that
   * publishes them itself.
   */
  private async runLocked(
    spec: CommandSpec,
    argv: readonly Bytes[],
    keys: readonly Bytes[] = commandKeys(spec, argv),
    handler: (ctx: CommandContext, argv: readonly Bytes[]) => Reply = spec.handler,
  ): Promise<Reply> {
    const readOnly = spec.flags.includes("readonly");
    // Queued on its keys now, in issue order; no await at all when nobody holds them.
    const held = this.locks.lock(readOnly ? { read: keys } : { write: keys });
    const release = held instanceof Promise ? await held : held;
    // The command log times the command's own code, not the engine's round trips (command-log.ts):
    // the last attempt's run of the handler, handed over once the engine is done.
    const log = handler === spec.handler && this.commandLog.timing ? this.commandLog : undefined;
    let ranMs = 0;
    try {
      const now = this.clock.now();
      let events: KeyspaceEvent[] = [];
      const intent = readOnly ? READ_ONLY : spec.blindWrite?.(argv) === true ? BLIND_WRITE : MAY_WRITE;
      const reply = await this.repository.atomic(
        keys,
        now,
        (view) => {
          let notify: CommandContext["notify"];
          if (this.publishes) {
            notify = (cls, event, key) => view.record?.({ event, key, class: cls, atMs: now });
          } else {
            const attempt: KeyspaceEvent[] = (events = []); // a re-run starts afresh
            notify = (cls, event, key) => {
              attempt.push({ event, key, class: cls, atMs: now });
            };
          }
          if (log === undefined) return handler(this.context(view, now, notify), argv);
          const started = performance.now();
          try {
            return handler(this.context(view, now, notify), argv);
          } finally {
            ranMs = performance.now() - started;
          }
        },
        intent,
      );
      // Published before the lock is released, so events keep commit order per key.
      if (events.length !== 0 && this.events.listening) for (const e of events) this.events.emit(e);
      return reply === NOT_SERVED ? reply : checkCommandReply(spec, reply, this.limits);
    } finally {
      log?.ran(argv, ranMs);
      release();
      if (this.blocked.pending) this.blocked.drain();
    }
  }

  /**
   * Runs a `keyspace` command (SCAN, KEYS, DBSIZE, RANDOMKEY, FLUSHALL) on the repository's paged
   * whole-keyspace operations. On a synchronous engine it runs now (KEYS may still return a Promise
   * when it yields between pages of a huge keyspace); on an asynchronous one FLUSHALL holds the
   * whole keyspace exclusively, and reads do too unless the engine reads at one revision
   * (`lockKeyspaceReads` false): then they only wait for the commands issued before them.
   */
  private runKeyspace(spec: CommandSpec, handler: KeyspaceHandler, argv: readonly Bytes[]): MaybePromise<Reply> {
    if (this.sync) {
      const now = this.clock.now();
      this.now = now;
      const reply = handler(this.keyspaceContext(now, this.mayYield), argv);
      if (reply instanceof Promise) {
        return reply.catch((error: unknown) => {
          this.errorCount++;
          throw error;
        });
      }
      return reply;
    }
    return this.runKeyspaceLocked(spec, handler, argv).catch((error: unknown) => {
      this.errorCount++;
      throw error;
    });
  }

  private async runKeyspaceLocked(spec: CommandSpec, handler: KeyspaceHandler, argv: readonly Bytes[]): Promise<Reply> {
    let release = await this.locks.exclusive();
    if (spec.flags.includes("readonly") && !this.lockKeyspaceReads) {
      // Everything issued before this read has committed; the engine reads one revision.
      release();
      release = () => {};
    }
    try {
      return await handler(this.keyspaceContext(this.clock.now(), true), argv);
    } finally {
      release();
    }
  }

  /** The context of a keyspace command at `now`. */
  private keyspaceContext(now: number, mayYield: boolean): KeyspaceContext {
    return {
      now,
      keyspace: repositoryKeyspace(this.repository, now),
      limits: this.limits,
      elementCursors: this.elementCursors,
      mayYield,
    };
  }

  /** Starts watching keys (WATCH): pass the handle to {@link transaction}, then release it. */
  async watch(keys: readonly Arg[]): Promise<WatchHandle> {
    return this.watchBytes(Store.argv(keys));
  }

  /**
   * {@link watch} over already-normalized keys ({@link Bytes}, as {@link run} takes argv): a byte
   * string is never encoded again, so bytes 0x80–0xff stay themselves.
   */
  async watchBytes(keys: readonly Bytes[]): Promise<WatchHandle> {
    return this.repository.watch(keys, this.clock.now());
  }

  /**
   * Runs commands atomically (MULTI/EXEC). Resolves with one reply per command, or with null when
   * `watch` reports a change (nothing ran). A command that is unknown or has the wrong arity
   * rejects the whole batch with EXECABORT before anything runs; a command failing at run time
   * rolls the whole batch back by default, or with `mode: "continue"` leaves its error in its
   * place while the others apply, as Redis does (see transaction.ts). `options` bounds the wait
   * for the keys' lock (asynchronous repositories only).
   */
  async transaction(
    commands: readonly (readonly Arg[])[],
    watch?: WatchHandle,
    options?: TransactionOptions,
  ): Promise<Reply[] | null> {
    return this.transactionBytes(
      commands.map((c) => Store.argv(c)),
      watch,
      options,
    );
  }

  /**
   * {@link transaction} over already-normalized argument vectors ({@link Bytes}, as {@link run}
   * takes them): the API's Exec, whose argv are byte strings, must not have them encoded again.
   */
  async transactionBytes(
    argvs: readonly (readonly Bytes[])[],
    watch?: WatchHandle,
    options?: TransactionOptions,
  ): Promise<Reply[] | null> {
    const host: TransactionHost = {
      repository: this.repository,
      resolve: (argv) => this.resolve(argv),
      context: (view, now, sink) =>
        this.context(view, now, (cls, event, key) => sink({ event, key, class: cls, atMs: now })),
      publish: (events: readonly KeyspaceEvent[]) => {
        if (this.events.listening) for (const e of events) this.events.emit(e);
      },
      now: () => this.clock.now(),
      locks: this.locks,
    };
    const client = options?.client;
    const ranEach = options?.ranEach === true;
    const spans: CommandSpan[] | undefined =
      (client !== undefined || ranEach) && this.commandLog.timing ? [] : undefined;
    const timedHost: TransactionHost = spans === undefined ? host : { ...host, spans };
    this.commandCount += argvs.length;
    try {
      return await runTransaction(timedHost, argvs, watch, options, options?.mode);
    } catch (error) {
      this.errorCount++;
      throw error;
    } finally {
      if (spans !== undefined && ranEach) {
        // A command without a span did not run (the engine failed first): 0, as runLocked says.
        for (const argv of argvs) this.commandLog.ran(argv, 0);
        for (const s of spans) this.commandLog.ran(argvs[s.index] as readonly Bytes[], s.endedMs - s.startedMs);
      } else if (spans !== undefined && client !== undefined)
        for (const s of spans)
          this.commandLog.recordSpan(argvs[s.index] as readonly Bytes[], s.startedMs, s.endedMs, () => client);
      // A write inside MULTI/EXEC wakes blocked callers once the transaction has committed.
      if (this.blocked.pending) this.blocked.drain();
    }
  }

  /** Starts the active expiry sweep on its croner schedule (and lets commands block again after a {@link stop}). Idempotent. */
  start(): void {
    this.sweeper.start();
    this.blocked.reopen();
  }

  /**
   * Stops every timer the store started, and ends every blocked caller's wait with an
   * `UNBLOCKED the server is shutting down` error (blocking.ts). Idempotent.
   */
  stop(): void {
    this.sweeper.stop();
    this.blocked.shutdown();
  }

  /** Runs one active expiry cycle now (for runtimes with their own scheduler: Cron Triggers, alarms). */
  sweep(): Promise<SweepRunResult> {
    return this.sweeper.sweep();
  }

  /** Changes the sweep's cron pattern at run time. */
  setSweepPattern(pattern: string): void {
    this.sweeper.setPattern(pattern);
  }

  /**
   * Changes limits at run time (omitted fields keep their value) and returns the limits in force.
   * Commands started afterwards see the new limits. The caller validates the values.
   */
  setLimits(limits: Partial<Limits>): Limits {
    // `limits` stays readonly to everyone else: replaced whole, never mutated in place.
    (this as unknown as { limits: Limits }).limits = { ...this.limits, ...limits };
    this.refreshDirect();
    return this.limits;
  }

  /** Counters. */
  stats(): StoreStats {
    return {
      ...this.repository.stats(),
      commands: this.commandCount,
      errors: this.errorCount,
      sweep: this.sweeper.stats(),
      subscribers: this.events.subscriberCount,
    };
  }
}

/** Creates a store (see {@link Store}). */
export function createStore(options: StoreOptions = {}): Store {
  return new Store(options);
}
