/**
 * The command log every host feeds: Redis's SLOWLOG (commands that took at least
 * `slowlog-log-slower-than` microseconds, the newest `slowlog-max-len` kept) and MONITOR (every
 * command, to whoever listens).
 *
 * A host reads the time around a command only while {@link CommandLog.timing} holds (the slow
 * log is on, or a monitor listens), then calls {@link CommandLog.record}: with the default
 * threshold (10 ms) and no monitor, a command costs its clock reads (~50 ns of CPU each; the RESP
 * port reads once per command, the end of one being the start of the next) and one comparison.
 * Who ran the command (address, name) is asked of the host only for a command kept or shown.
 *
 * On a remote engine (etcd) a command's duration is the time its own code ran, not the wait for
 * the engine's round trips or for other commands' key locks: Redis's slow log leaves out I/O
 * likewise, and a MULTI's commands are timed the same way (transaction.ts). The store hands that
 * time over with {@link CommandLog.ran}, keyed by the command's argv; the host's record uses it
 * instead of the wall-clock span it measured.
 */
import type { Bytes } from "./bytes.js";

/** Who ran a command, as SLOWLOG GET and MONITOR name it. */
export interface CommandClient {
  /** `ip:port` of the client (Redis's `client-addr`); `lua` for a script's call. */
  readonly addr: string;
  /** The client's name (CLIENT SETNAME), "" when none. */
  readonly name: string;
  /** The host that ran the command: `resp`, or `grpc:/memorabilia.v1.StringsService/Get`. */
  readonly source: string;
}

/** One slow-log entry (SLOWLOG GET). */
export interface SlowLogEntry {
  /** Unique, increasing id (never reset by SLOWLOG RESET, as in Redis). */
  readonly id: number;
  /** When the command started, Unix seconds. */
  readonly atSeconds: number;
  /** How long it ran, microseconds. */
  readonly durationUs: number;
  /** Its arguments as Redis keeps them: at most 32, each at most 128 bytes (see {@link slowLogArgs}). */
  readonly args: readonly Bytes[];
  readonly client: CommandClient;
}

/** One command as a monitor sees it. */
export interface MonitorEvent {
  /** When the command started, Unix microseconds. */
  readonly atUs: number;
  /** How long it ran, microseconds. */
  readonly durationUs: number;
  /** Its arguments, whole (secrets redacted). */
  readonly args: readonly Bytes[];
  readonly client: CommandClient;
}

/** Who a script's `redis.call`s run as: Redis's MONITOR shows them as `[0 lua]`… */
export const SCRIPT_CLIENT: CommandClient = { addr: "lua", name: "", source: "lua" };
/** …and its SLOWLOG GET as `?:0` (the script client has no connection). */
const SCRIPT_SLOWLOG_CLIENT: CommandClient = { addr: "?:0", name: "", source: "lua" };

/** A command a script ran (see {@link CommandLog.scriptRan}). */
export interface ScriptCall {
  readonly argv: readonly Bytes[];
  /** When it started and ended (`performance.now()` readings). */
  readonly startedMs: number;
  readonly endedMs: number;
}

/** The commands that run scripts: monitors see the commands a script ran right after them. */
const SCRIPT_COMMANDS: ReadonlySet<string> = new Set(["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"]);

/** Runs of scripts whose commands wait for their script command's record (bounded: see scriptRan). */
const MAX_PENDING_SCRIPT_RUNS = 1024;

/** A monitor: called synchronously for every command recorded while it is attached. */
export type Monitor = (event: MonitorEvent) => void;

/** Redis's SLOWLOG_ENTRY_MAX_ARGC. */
export const SLOWLOG_MAX_ARGS = 32;
/** Redis's SLOWLOG_ENTRY_MAX_STRING. */
export const SLOWLOG_MAX_ARG_BYTES = 128;
/** Redis's default `slowlog-log-slower-than` (µs). */
export const DEFAULT_SLOWLOG_SLOWER_THAN_US = 10_000;
/** Redis's default `slowlog-max-len`. */
export const DEFAULT_SLOWLOG_MAX_LEN = 128;

const REDACTED = "(redacted)";

/**
 * Administration is not shown to monitors, as Redis hides its @admin commands (CONFIG, SLOWLOG,
 * MONITOR, DEBUG, CLIENT LIST/KILL): the slow log still keeps them.
 */
function hiddenFromMonitors(argv: readonly Bytes[]): boolean {
  const name = (argv[0] ?? "").toUpperCase();
  if (name === "CONFIG" || name === "SLOWLOG" || name === "MONITOR" || name === "DEBUG") return true;
  if (name !== "CLIENT" || argv.length < 2) return false;
  const sub = (argv[1] as Bytes).toUpperCase();
  return sub === "LIST" || sub === "KILL";
}

/**
 * The arguments a log may show: Redis redacts AUTH's arguments and HELLO's AUTH user and
 * secret (`"auth" "(redacted)" "(redacted)"`). The argv itself is returned when nothing is secret.
 */
export function redactArgs(argv: readonly Bytes[]): readonly Bytes[] {
  const name = argv[0];
  if (name === undefined || name.length < 4 || name.length > 5) return argv;
  const upper = name.toUpperCase();
  if (upper === "AUTH") return argv.map((a, i) => (i === 0 ? a : REDACTED));
  if (upper !== "HELLO") return argv;
  const out = argv.slice();
  for (let i = 1; i < out.length; i++) {
    if ((out[i] as Bytes).toUpperCase() === "AUTH") {
      for (let j = i + 1; j <= i + 2 && j < out.length; j++) out[j] = REDACTED;
      i += 2;
    }
  }
  return out;
}

/**
 * Arguments as Redis's slow log keeps them: past 32, the 32nd says `... (N more arguments)`; an
 * argument over 128 bytes keeps its first 128 followed by `... (N more bytes)`.
 */
export function slowLogArgs(argv: readonly Bytes[]): Bytes[] {
  const argc = argv.length;
  const kept = Math.min(argc, SLOWLOG_MAX_ARGS);
  const out: Bytes[] = [];
  for (let j = 0; j < kept; j++) {
    if (kept !== argc && j === kept - 1) {
      out.push(`... (${argc - kept + 1} more arguments)`);
      break;
    }
    const a = argv[j] as Bytes;
    out.push(
      a.length > SLOWLOG_MAX_ARG_BYTES
        ? `${a.slice(0, SLOWLOG_MAX_ARG_BYTES)}... (${a.length - SLOWLOG_MAX_ARG_BYTES} more bytes)`
        : a,
    );
  }
  return out;
}

/**
 * Redis's `skip_slowlog` commands (7.0: EXEC only): a transaction's commands are logged one by one
 * as EXEC runs them, so EXEC itself is shown to monitors but never kept in the slow log.
 */
function skipsSlowLog(argv: readonly Bytes[]): boolean {
  const name = argv[0];
  return name !== undefined && name.length === 4 && name.toUpperCase() === "EXEC";
}

/** The slow log and the monitors of one server (shared by every host: RESP, gRPC, …). */
export class CommandLog {
  /** Log commands taking at least this many µs (0: every command; negative: none). */
  private slowerThanUs = DEFAULT_SLOWLOG_SLOWER_THAN_US;
  /** The same threshold in ms, compared with `performance.now()` differences. */
  private slowerThanMs = DEFAULT_SLOWLOG_SLOWER_THAN_US / 1000;
  private maxLen = DEFAULT_SLOWLOG_MAX_LEN;
  /** Oldest first. */
  private entries: SlowLogEntry[] = [];
  private nextId = 0;
  private readonly monitors = new Set<Monitor>();
  /**
   * Commands run on a remote engine, by argv: how long their code ran (ms) and when it ended (a
   * `performance.now()` reading, so an entry left by a command its host did not record is never
   * taken for a later command that reuses the same argv array).
   */
  private readonly ranMs = new WeakMap<readonly Bytes[], { readonly ms: number; readonly endedMs: number }>();
  /** Per script command run and not yet recorded, oldest first: what its script ran, for monitors. */
  private scriptRuns: MonitorEvent[][] = [];
  /**
   * True when hosts must time commands and call {@link record}: the slow log is on or a monitor
   * listens. A plain field: hosts read it on every command.
   */
  timing = true;

  /** `slowlog-log-slower-than`, µs. */
  get slowerThan(): number {
    return this.slowerThanUs;
  }

  /** Sets `slowlog-log-slower-than` (µs; negative turns the slow log off, 0 logs everything). */
  set slowerThan(us: number) {
    this.slowerThanUs = us;
    this.slowerThanMs = us < 0 ? Number.POSITIVE_INFINITY : us / 1000;
    this.refresh();
  }

  /** `slowlog-max-len`. */
  get maxLength(): number {
    return this.maxLen;
  }

  /** Sets `slowlog-max-len` (older entries past it are dropped now, as Redis does). */
  set maxLength(n: number) {
    this.maxLen = Math.max(0, n);
    this.trim();
  }

  /** Entries kept (SLOWLOG LEN). */
  get length(): number {
    return this.entries.length;
  }

  /** Monitors attached. */
  get monitorCount(): number {
    return this.monitors.size;
  }

  /**
   * Hands over the commands one run of a script command (EVAL, EVALSHA, …) ran, called once per
   * run by the scripting layer while {@link timing} holds, whatever the outcome ([] when the
   * script ran none). As Redis 7.0: each is slow-logged as its own entry when slow (client `?:0`),
   * before the script command, which ends last; monitors are shown the script command first (Redis
   * shows a command when it starts), then each command its script ran, as run by the `lua`
   * client. Hosts record a command when it ends, so these wait here and are shown right after the
   * next script command recorded (runs are recorded in the order they ran, MULTI/EXEC included).
   */
  scriptRan(calls: readonly ScriptCall[]): void {
    const events: MonitorEvent[] = [];
    for (const c of calls) {
      const ms = c.endedMs - c.startedMs;
      const slow = ms >= this.slowerThanMs && this.maxLen > 0;
      if (!slow && this.monitors.size === 0) continue;
      const atUs = Math.round((performance.timeOrigin + c.startedMs) * 1000);
      const durationUs = Math.round(ms * 1000);
      const args = redactArgs(c.argv);
      if (slow) {
        this.entries.push({
          id: this.nextId++,
          atSeconds: Math.floor(atUs / 1e6),
          durationUs,
          args: slowLogArgs(args),
          client: SCRIPT_SLOWLOG_CLIENT,
        });
        this.trim();
      }
      if (this.monitors.size > 0 && !hiddenFromMonitors(c.argv))
        events.push({ atUs, durationUs, args: args === c.argv ? c.argv.slice() : args, client: SCRIPT_CLIENT });
    }
    if (this.monitors.size === 0) return;
    if (this.scriptRuns.length >= MAX_PENDING_SCRIPT_RUNS) this.scriptRuns.shift();
    this.scriptRuns.push(events);
  }

  /** The newest `count` entries, newest first (SLOWLOG GET; `count` < 0: all). */
  get(count = 10): SlowLogEntry[] {
    const n = count < 0 ? this.entries.length : Math.min(count, this.entries.length);
    const out: SlowLogEntry[] = [];
    for (let i = this.entries.length - 1; out.length < n; i--) out.push(this.entries[i] as SlowLogEntry);
    return out;
  }

  /** Empties the slow log (SLOWLOG RESET); ids keep increasing. */
  reset(): void {
    this.entries = [];
  }

  /** Attaches a monitor; returns its detach function. */
  monitor(listener: Monitor): () => void {
    this.monitors.add(listener);
    this.refresh();
    return () => {
      this.monitors.delete(listener);
      this.refresh();
    };
  }

  /**
   * Called by the store, while {@link timing} holds, for a command it ran on a remote engine: its
   * code ran `ms` (the last attempt's, as a transaction's commands are timed; 0 when the engine
   * failed before it ran). The host's {@link record} of `argv` then logs `ms` as its duration, not
   * the wall-clock time that includes the engine's round trips.
   */
  ran(argv: readonly Bytes[], ms: number): void {
    this.ranMs.set(argv, { ms, endedMs: performance.now() });
  }

  /** The duration to log for `argv` run from `startedMs` to `endedMs`: its code's time when {@link ran} gave it. */
  private duration(argv: readonly Bytes[], startedMs: number, endedMs: number): number {
    const ran = this.ranMs.get(argv);
    if (ran === undefined) return endedMs - startedMs;
    this.ranMs.delete(argv);
    return ran.endedMs >= startedMs ? ran.ms : endedMs - startedMs;
  }

  /**
   * Records a command that started at `startedMs` (a `performance.now()` reading) and ended now.
   * `client` is called only when the command is kept or shown. Hosts call it only while
   * {@link timing} holds.
   */
  record(argv: readonly Bytes[], startedMs: number, client: () => CommandClient): void {
    this.recordSpan(argv, startedMs, performance.now(), client);
  }

  /**
   * {@link record} with the end time given (a host that reads the clock once per command: the end
   * of one command is the start of the next).
   */
  recordSpan(argv: readonly Bytes[], startedMs: number, endedMs: number, client: () => CommandClient): void {
    const ms = this.duration(argv, startedMs, endedMs);
    const slow = ms >= this.slowerThanMs && !skipsSlowLog(argv);
    if (!slow && this.monitors.size === 0) return;
    this.recordTimed(argv, startedMs, ms, slow, client());
  }

  /** {@link recordSpan} ending now, with the client known. */
  recordFor(argv: readonly Bytes[], startedMs: number, client: CommandClient): void {
    const ms = this.duration(argv, startedMs, performance.now());
    const slow = ms >= this.slowerThanMs && !skipsSlowLog(argv);
    if (!slow && this.monitors.size === 0) return;
    this.recordTimed(argv, startedMs, ms, slow, client);
  }

  private recordTimed(
    argv: readonly Bytes[],
    startedMs: number,
    ms: number,
    slow: boolean,
    client: CommandClient,
  ): void {
    const durationUs = Math.round(ms * 1000);
    const atUs = Math.round((performance.timeOrigin + startedMs) * 1000);
    const args = redactArgs(argv);
    if (slow && this.maxLen > 0) {
      this.entries.push({
        id: this.nextId++,
        atSeconds: Math.floor(atUs / 1e6),
        durationUs,
        args: slowLogArgs(args),
        client,
      });
      this.trim();
    }
    if (this.monitors.size === 0 || hiddenFromMonitors(argv)) return;
    // The argv array may be reused by its host after this call: monitors get their own copy.
    const event: MonitorEvent = { atUs, durationUs, args: args === argv ? argv.slice() : args, client };
    for (const m of this.monitors) m(event);
    if (this.scriptRuns.length === 0 || !SCRIPT_COMMANDS.has((argv[0] ?? "").toUpperCase())) return;
    for (const call of this.scriptRuns.shift() as MonitorEvent[]) for (const m of this.monitors) m(call);
  }

  private trim(): void {
    const over = this.entries.length - this.maxLen;
    if (over > 0) this.entries.splice(0, over);
  }

  private refresh(): void {
    this.timing = this.slowerThanUs >= 0 || this.monitors.size > 0;
    if (this.monitors.size === 0) this.scriptRuns = [];
  }
}
