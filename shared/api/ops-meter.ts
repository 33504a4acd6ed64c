/**
 * Commands per second over a sliding window, from a monotonically growing command counter
 * (Redis's `instantaneous_ops_per_sec`), without a timer: samples are taken when the rate is read.
 */

interface Sample {
  readonly atMs: number;
  readonly count: number;
}

/** A sliding-window rate of a counter. */
export class OpsMeter {
  private samples: Sample[];

  /**
   * @param startMs time of the first sample (the counter's value `startCount` then)
   * @param windowMs the rate covers about this much of the recent past @default 5_000
   * @param sampleEveryMs at most one sample is kept per this interval @default 100
   */
  constructor(
    startMs: number,
    startCount: number,
    private readonly windowMs = 5_000,
    private readonly sampleEveryMs = 100,
  ) {
    this.samples = [{ atMs: startMs, count: startCount }];
  }

  /**
   * Records the counter's value `count` at `nowMs` and returns its rate per second since the
   * latest sample at or before the window's start (so over at least the window once it has
   * history, and since the start before). 0 when no time has passed.
   */
  rate(nowMs: number, count: number): number {
    const last = this.samples[this.samples.length - 1] as Sample;
    if (nowMs - last.atMs >= this.sampleEveryMs) this.samples.push({ atMs: nowMs, count });
    const windowStart = nowMs - this.windowMs;
    let drop = 0;
    while (drop + 1 < this.samples.length && (this.samples[drop + 1] as Sample).atMs <= windowStart) drop++;
    if (drop > 0) this.samples = this.samples.slice(drop);
    const base = this.samples[0] as Sample;
    const elapsedMs = nowMs - base.atMs;
    return elapsedMs <= 0 ? 0 : ((count - base.count) * 1000) / elapsedMs;
  }
}
