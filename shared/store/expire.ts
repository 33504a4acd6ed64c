import { Cron } from "croner";
import { bytesFromUtf8 } from "./bytes.js";
import type { Clock } from "./clock.js";
import { echoInput, StoreError } from "./errors.js";
import type { Repository } from "./repository.js";

/** A one-shot timer (the sweep's deadline wake-up); tests inject one driven by hand. */
export interface WakeTimer {
  /** Calls `fn` once after `delayMs`; returns a handle for {@link clear}. */
  set(fn: () => void, delayMs: number): unknown;
  /** Cancels a pending call (a handle already fired or cleared is ignored). */
  clear(handle: unknown): void;
}

/** Options of the active expiry sweep. Every field has a default; tests inject `timer` and `yieldToLoop`. */
export interface SweepOptions {
  /** Croner pattern (seconds field first) that starts a sweep cycle. @default "* * * * * *" (every second) */
  readonly pattern?: string;
  /** Most keys one slice may reclaim before it yields. @default 2000 */
  readonly sliceKeys?: number;
  /** Time budget of one slice in ms (checked every `checkEvery` keys). @default 1 */
  readonly sliceMs?: number;
  /**
   * Most keys handled between two reads of the timer. A slice then ends at most `checkEvery` keys'
   * cost past `sliceMs` (Redis's activeExpireCycle reads its clock every 16 keys). Batches are also
   * fitted to the time left from the slice's cost per key so far, so they shrink to one key as the
   * budget runs out. Not 1: every read of a clock (`performance.now()`, `Date.now()`) returns a new
   * 16-byte heap number, so reading it after every key made a 10M-key mass expiry allocate 160 MB
   * of young garbage, and at that keyspace size each scavenge it forced paused the loop ~5 ms. With
   * 8, a burst of costly keys (the keyspace's lane Maps shrinking one after another as a mass expiry
   * empties them, ≤ ~0.3 ms each) can stretch a slice by at most 8 of them.
   * @default 8
   */
  readonly checkEvery?: number;
  /** Wall-time limit of one cycle in ms, yields included; the next tick continues. @default 900 */
  readonly cycleMs?: number;
  /** Monotonic timer for the budgets, in ms. @default performance.now */
  readonly timer?: () => number;
  /** Yields to the event loop between slices. @default a `setTimeout(0)` promise */
  readonly yieldToLoop?: () => Promise<void>;
  /** Lets the process exit while the schedule is pending (Node, Deno). @default true */
  readonly unref?: boolean;
  /** One-shot timer of the deadline wake-up. @default setTimeout/clearTimeout (unref'd per `unref`) */
  readonly wakeTimer?: WakeTimer;
  /**
   * Least gap (ms) between a cycle's end and a deadline wake-up, so a stream of distinct deadlines
   * wakes the sweep at most every `wakeMinMs` (Redis's hz 10 cycle: every 100 ms). @default 10
   */
  readonly wakeMinMs?: number;
  /** Receives an error thrown by a scheduled cycle (the schedule keeps going). @default ignore */
  readonly onError?: (error: unknown) => void;
}

/** Counters of the active sweep. */
export interface SweepStats {
  /** Cycles run. */
  readonly runs: number;
  /** Keys the sweep removed. */
  readonly expiredKeys: number;
  /** Keys with a TTL the sweep looked at. */
  readonly sampledKeys: number;
  /** Total time spent working in slices (ms, by the sweep's timer; yields excluded). */
  readonly timeSpentMs: number;
  /** Slices run. */
  readonly slices: number;
  /** The longest slice (ms). */
  readonly longestSliceMs: number;
  /** The most keys one slice looked at. */
  readonly largestSliceKeys: number;
  /** expired / sampled in the last cycle that sampled anything (0 before). */
  readonly lastStaleRatio: number;
  /** expired / sampled over all cycles (0 before). */
  readonly avgStaleRatio: number;
  /** When the last cycle started (store clock, ms since the epoch), or null. */
  readonly lastRunAtMs: number | null;
  /** The cron pattern in force. */
  readonly pattern: string;
  /** True while scheduled. */
  readonly running: boolean;
}

/** The result of one sweep cycle. */
export interface SweepRunResult {
  /** Keys with a TTL looked at. */
  readonly sampled: number;
  /** Keys removed. */
  readonly expired: number;
  /** Slices the cycle was cut into. */
  readonly slices: number;
  /** Wall time of the cycle, yields included (ms, by the sweep's timer). */
  readonly durationMs: number;
  /** Time spent working in slices (ms). */
  readonly workMs: number;
  /** The longest slice (ms). */
  readonly longestSliceMs: number;
  /** The most keys one slice looked at. */
  readonly largestSliceKeys: number;
  /** True when nothing was left due; false when the cycle limit or `stop()` cut it short. */
  readonly complete: boolean;
}

const DEFAULT_PATTERN = "* * * * * *";

/** The longest delay setTimeout honours (ms); Node and browsers fire a longer one at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const defaultYield = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** setTimeout/clearTimeout; `unref` lets the process exit while a wake-up is pending (Node, Deno). */
function defaultWakeTimer(unref: boolean): WakeTimer {
  return {
    set(fn, delayMs) {
      const handle = setTimeout(fn, delayMs);
      if (unref) (handle as { unref?: () => void } | null)?.unref?.();
      return handle;
    },
    clear: (handle) => clearTimeout(handle),
  };
}

function positive(name: string, value: number | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new TypeError(`sweep.${name} must be a positive ${integer ? "integer" : "number"}`);
  }
  return value;
}

/**
 * Checks a cron pattern for the sweep; throws a StoreError naming the problem.
 * A date (a one-off job in croner) is refused: the sweep needs a repeating schedule.
 */
export function validateSweepPattern(pattern: string): void {
  let job: Cron;
  try {
    job = new Cron(pattern); // no callback: parses only, schedules nothing
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new StoreError(
      "ERR",
      `ERR invalid sweep pattern '${bytesFromUtf8(echoInput(pattern))}': ${bytesFromUtf8(echoInput(why, 256))}`,
      {
        cause: error,
      },
    );
  }
  if (job.getPattern() === undefined) {
    throw new StoreError(
      "ERR",
      `ERR invalid sweep pattern '${echoInput(pattern)}': a repeating cron pattern is required, not a date`,
    );
  }
}

/**
 * The active expiry sweep, Redis's `activeExpireCycle` adapted to one event loop.
 *
 * A croner job (finest tick 1 s, `protect: true` so cycles never overlap) starts a cycle. A cycle
 * works in slices: each calls `repository.activeExpire(now, batch)` until it has reclaimed
 * `sliceKeys` keys or spent `sliceMs` (the timer is read after every batch of at most `checkEvery`
 * keys, fitted to the time left, so a slice ends within `sliceMs` plus the cost of one batch,
 * however uneven the keys' costs), then yields to the event loop so commands run between slices.
 * It repeats while keys are still due — the Map engine's deadline index says exactly which, so
 * there is no sampling of live keys and no "repeat while >10% stale" guess — until `cycleMs`.
 *
 * While scheduled, two things start cycles between ticks, so that a deadline is not left waiting
 * up to a second for the next one (Redis's hz 10 cycle starts within ~100 ms):
 * - a deadline wake-up: after every cycle (and at {@link start}), when the repository's earliest
 *   deadline (`nextDeadline`) falls before the next tick, ONE one-shot timer is armed for the
 *   instant it becomes due (no sooner than `wakeMinMs` after that cycle); it is re-armed, never
 *   stacked, and cleared by {@link stop}. A repository without `nextDeadline` keeps the plain tick.
 * - a continuation: a cycle cut at `cycleMs` with keys still due is followed by the next one after
 *   one yield, as Redis repeats while many keys are stale; slices keep their budgets.
 * Cycles never overlap: every start goes through {@link sweep}, which shares the one in progress.
 *
 * No timer exists until {@link start}; {@link sweep} runs a cycle on demand for runtimes with their
 * own scheduler (Cron Triggers, Durable Object alarms). Repositories without `activeExpire`
 * (backends that expire keys themselves) make a cycle a no-op.
 */
export class Sweeper {
  private readonly sliceKeys: number;
  private readonly sliceMs: number;
  private readonly checkEvery: number;
  private readonly cycleMs: number;
  private readonly timer: () => number;
  private readonly yieldToLoop: () => Promise<void>;
  private readonly unref: boolean;
  private readonly onError: (error: unknown) => void;
  private readonly wakeTimer: WakeTimer;
  private readonly wakeMinMs: number;
  private pattern: string;
  private job: Cron | null = null;
  private inFlight: Promise<SweepRunResult> | null = null;
  /** The pending deadline wake-up (a {@link WakeTimer} handle), or null. */
  private wakeHandle: unknown = null;
  /** When the pending wake-up is meant to run a cycle (store clock, ms since the epoch). */
  private wakeAtMs = 0;
  /** Bumped by stop(): a cycle of an older generation ends at its next slice boundary. */
  private generation = 0;
  /** Cost of one key in the last slice (ms), or -1 before any measurement. */
  private msPerKey = -1;
  private counters = {
    runs: 0,
    expiredKeys: 0,
    sampledKeys: 0,
    timeSpentMs: 0,
    slices: 0,
    longestSliceMs: 0,
    largestSliceKeys: 0,
    lastStaleRatio: 0,
    lastRunAtMs: null as number | null,
  };

  constructor(
    private readonly repository: Repository,
    private readonly clock: Clock,
    options: SweepOptions = {},
  ) {
    this.pattern = options.pattern ?? DEFAULT_PATTERN;
    validateSweepPattern(this.pattern);
    this.sliceKeys = positive("sliceKeys", options.sliceKeys, 2000, true);
    this.sliceMs = positive("sliceMs", options.sliceMs, 1, false);
    this.checkEvery = positive("checkEvery", options.checkEvery, 8, true);
    this.cycleMs = positive("cycleMs", options.cycleMs, 900, false);
    this.timer = options.timer ?? (() => performance.now());
    this.yieldToLoop = options.yieldToLoop ?? defaultYield;
    this.unref = options.unref ?? true;
    this.onError = options.onError ?? (() => {});
    this.wakeTimer = options.wakeTimer ?? defaultWakeTimer(this.unref);
    this.wakeMinMs = positive("wakeMinMs", options.wakeMinMs, 10, false);
  }

  /** Starts the croner schedule. Idempotent. */
  start(): void {
    if (this.job !== null) return;
    this.job = new Cron(
      this.pattern,
      { protect: true, unref: this.unref, catch: (error: unknown) => this.onError(error) },
      async () => {
        await this.sweep();
      },
    );
    this.armWake();
  }

  /** Stops the schedule and ends a cycle in progress at its next slice boundary. Idempotent. */
  stop(): void {
    this.generation++;
    this.clearWake();
    if (this.job === null) return;
    this.job.stop();
    this.job = null;
  }

  /** True while scheduled. */
  get running(): boolean {
    return this.job !== null;
  }

  /** The cron pattern in force. */
  get currentPattern(): string {
    return this.pattern;
  }

  /** The next scheduled cycle start, or null when not scheduled. */
  nextRun(): Date | null {
    return this.job?.nextRun() ?? null;
  }

  /**
   * Changes the schedule at run time (and for the next {@link start} when stopped).
   * Throws a {@link StoreError} for a bad pattern, leaving the schedule unchanged.
   */
  setPattern(pattern: string): void {
    validateSweepPattern(pattern);
    this.pattern = pattern;
    if (this.job !== null) {
      // Replace the job only: a cycle in progress finishes normally.
      this.job.stop();
      this.job = null;
      this.start();
    }
  }

  /** Runs one cycle now; while one is in progress, returns that one. */
  sweep(): Promise<SweepRunResult> {
    if (this.inFlight === null) {
      this.inFlight = this.cycle().then(
        (result) => {
          this.inFlight = null;
          this.afterCycle(result);
          return result;
        },
        (error: unknown) => {
          this.inFlight = null; // no wake-up after a failure: the tick retries
          throw error;
        },
      );
    }
    return this.inFlight;
  }

  /** Counters. */
  stats(): SweepStats {
    const c = this.counters;
    return {
      ...c,
      avgStaleRatio: c.sampledKeys === 0 ? 0 : c.expiredKeys / c.sampledKeys,
      pattern: this.pattern,
      running: this.running,
    };
  }

  /** While scheduled: continues a cycle cut short with keys still due, else arms the wake-up. */
  private afterCycle(result: SweepRunResult): void {
    if (this.job === null) return;
    if (!result.complete && result.durationMs >= this.cycleMs) {
      // Cut by the cycle limit, not by stop(): keys are still due, so go on after one yield.
      this.clearWake();
      const generation = this.generation;
      this.yieldToLoop().then(() => {
        if (generation === this.generation && this.job !== null) this.sweep().catch(this.onError);
      }, this.onError);
      return;
    }
    this.armWake();
  }

  /**
   * Arms (or re-arms) the one wake-up for the instant the earliest deadline becomes due, when that
   * falls before the next tick; otherwise clears it (the tick comes first).
   */
  private armWake(): void {
    const deadline = this.job === null ? undefined : this.repository.nextDeadline?.();
    if (deadline === undefined) {
      this.clearWake();
      return;
    }
    const now = this.clock.now();
    // A key is due once now > deadline; the first whole ms after it.
    const at = Math.max(Math.floor(deadline) + 1, now + this.wakeMinMs);
    const toTick = (this.job as Cron).msToNext() ?? Number.POSITIVE_INFINITY;
    if (at - now >= toTick) {
      this.clearWake();
      return;
    }
    if (this.wakeHandle !== null && this.wakeAtMs === at) return; // already armed for it
    this.clearWake();
    this.setWake(at, at - now);
  }

  private setWake(at: number, delayMs: number): void {
    this.wakeAtMs = at;
    // Timers take at most 2^31-1 ms (a longer delay fires at once); a far wake-up waits in steps.
    this.wakeHandle = this.wakeTimer.set(() => this.onWake(), Math.min(delayMs, MAX_TIMER_MS));
  }

  /** The wake-up fired: runs a cycle, or waits on when the timer fired before the store clock got there. */
  private onWake(): void {
    this.wakeHandle = null;
    if (this.job === null) return;
    const early = this.wakeAtMs - this.clock.now();
    if (early > 0) {
      this.setWake(this.wakeAtMs, early);
      return;
    }
    this.sweep().catch(this.onError);
  }

  private clearWake(): void {
    if (this.wakeHandle === null) return;
    this.wakeTimer.clear(this.wakeHandle);
    this.wakeHandle = null;
  }

  private async cycle(): Promise<SweepRunResult> {
    const generation = this.generation;
    const c = this.counters;
    c.runs++;
    c.lastRunAtMs = this.clock.now();
    const start = this.timer();
    let sampled = 0;
    let expired = 0;
    let slices = 0;
    let workMs = 0;
    let longest = 0;
    let largest = 0;
    let complete = this.repository.activeExpire === undefined;
    while (!complete) {
      const t0 = this.timer();
      const r = this.slice(t0);
      const spent = this.timer() - t0;
      slices++;
      sampled += r.sampled;
      expired += r.expired;
      workMs += spent;
      if (spent > longest) longest = spent;
      c.slices++;
      c.sampledKeys += r.sampled;
      c.expiredKeys += r.expired;
      c.timeSpentMs += spent;
      if (spent > c.longestSliceMs) c.longestSliceMs = spent;
      if (r.sampled > largest) largest = r.sampled;
      if (r.sampled > c.largestSliceKeys) c.largestSliceKeys = r.sampled;
      complete = r.drained;
      if (complete || this.timer() - start >= this.cycleMs) break;
      await this.yieldToLoop();
      if (generation !== this.generation) break;
    }
    if (sampled > 0) c.lastStaleRatio = expired / sampled;
    return {
      sampled,
      expired,
      slices,
      durationMs: this.timer() - start,
      workMs,
      longestSliceMs: longest,
      largestSliceKeys: largest,
      complete,
    };
  }

  /**
   * One slice: batches of at most `checkEvery` keys until nothing is due or a budget is spent.
   * The cost per key measured so far sizes each batch to fit the time left, so a slice of steady
   * per-key cost ends within `sliceMs` instead of overshooting by a batch; a single key that
   * costs more than the budget (a huge container) is still reclaimed, one per slice.
   */
  private slice(t0: number): { sampled: number; expired: number; drained: boolean } {
    const activeExpire = this.repository.activeExpire as NonNullable<Repository["activeExpire"]>;
    const now = this.clock.now(); // deadlines are judged at one instant per slice, as Redis does per cycle
    let sampled = 0;
    let expired = 0;
    // The first batch is sized by the cost per key the last slice measured (one key at first).
    const known = this.msPerKey;
    const guess = known < 0 ? 1 : known === 0 ? this.checkEvery : Math.max(1, Math.floor(this.sliceMs / known));
    let batch = Math.min(this.checkEvery, this.sliceKeys, guess);
    let elapsed = 0;
    while (batch > 0) {
      const r = activeExpire.call(this.repository, now, batch);
      sampled += r.sampled;
      expired += r.expired;
      // Fewer due keys than asked for: the index has nothing more due at `now`.
      if (r.sampled < batch) return this.measured(sampled, expired, this.timer() - t0, true);
      elapsed = this.timer() - t0;
      const left = this.sliceMs - elapsed;
      if (left <= 0) break;
      const fit = elapsed > 0 ? Math.floor((left * sampled) / elapsed) : this.checkEvery;
      batch = Math.min(this.checkEvery, this.sliceKeys - sampled, fit);
    }
    return this.measured(sampled, expired, elapsed, false);
  }

  /** Remembers the cost per key of a slice, for sizing the next slice's first batch. */
  private measured(
    sampled: number,
    expired: number,
    elapsed: number,
    drained: boolean,
  ): { sampled: number; expired: number; drained: boolean } {
    if (sampled > 0) this.msPerKey = elapsed / sampled;
    return { sampled, expired, drained };
  }
}
