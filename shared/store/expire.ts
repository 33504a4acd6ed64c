import type { Clock } from "./clock.js";
import type { Repository } from "./repository.js";

/** Options of the active expiry sweep. */
export interface SweepOptions {
  /** Croner pattern (seconds field first) that starts a sweep cycle. @default "* * * * * *" (every second) */
  readonly pattern?: string;
}

/** Counters of the active sweep. */
export interface SweepStats {
  /** Cycles run. */
  readonly runs: number;
  /** Keys the sweep removed. */
  readonly expiredKeys: number;
  /** Total time spent sweeping (ms). */
  readonly timeSpentMs: number;
}

/** The result of one sweep cycle. */
export interface SweepRunResult {
  readonly sampled: number;
  readonly expired: number;
  readonly slices: number;
  readonly durationMs: number;
}

/** PLACEHOLDER: the active expiry sweep (being written). */
export class Sweeper {
  private counters = { runs: 0, expiredKeys: 0, timeSpentMs: 0 };
  constructor(
    private readonly repository: Repository,
    private readonly clock: Clock,
    readonly options: SweepOptions = {},
  ) {}
  /** Starts the croner schedule. */
  start(): void {}
  /** Stops the schedule. */
  stop(): void {}
  /** True while scheduled. */
  get running(): boolean {
    return false;
  }
  /** Changes the schedule at run time. */
  setPattern(_pattern: string): void {}
  /** Runs one full cycle now. */
  async sweep(): Promise<SweepRunResult> {
    const t0 = this.clock.now();
    const r = this.repository.activeExpire?.(t0, 1_000_000) ?? { sampled: 0, expired: 0 };
    this.counters.runs++;
    this.counters.expiredKeys += r.expired;
    return { ...r, slices: 1, durationMs: 0 };
  }
  /** Counters. */
  stats(): SweepStats {
    return { ...this.counters };
  }
}
