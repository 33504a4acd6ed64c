/**
 * The verdict of the bench's `console` part (issue 15: server CPU per SET with an unfiltered
 * console open ≤ 1.05× without). It judges the ratio of TOTALS: every judged window's server CPU
 * (every thread, every GC pause) over its SETs, the console side against the other. A median of
 * per-round ratios, as judged until session 9, set aside exactly the rounds a mark-compact hit:
 * when the console's garbage brings a mark-compact sooner, that cost is the console's, and only a
 * total counts it. Beside the verdict: a bootstrap interval over the pairs (how far another run
 * of the same pairs could land), the median and range of the pairs' ratios, and what GC did on each
 * side (pauses and bytes allocated per SET), so a run's spread can be read, not guessed.
 */

import { seededRandom } from "../../shared/store/testing.js";
import type { ConsoleCostDetails, ConsoleWindow } from "./console-cost.js";
import { formatNumber, spread } from "./stats.js";

/** The target: server CPU per SET with a console open, at most this many times without. */
export const CONSOLE_TARGET_RATIO = 1.05;
/** A window below this share of the writer's pace did less work per second: its CPU per SET is not comparable. */
const PACE_SHARE = 0.95;
const BOOTSTRAP_RESAMPLES = 2_000;

/** One judged pair: both windows held the pace and have a CPU reading. */
interface Pair {
  readonly none: ConsoleWindow;
  readonly console: ConsoleWindow;
}

/** The console part's judgement, figures and verdict line. */
export interface ConsoleJudgement {
  /** Total CPU per SET with the console over total CPU per SET without (every judged pair). */
  readonly ratio: number;
  /** 95 % bootstrap interval of {@link ratio}, pairs resampled with replacement. */
  readonly interval: readonly [number, number];
  /** Median of the pairs' own ratios, with their range (a diagnostic). */
  readonly pairMedian: number;
  readonly pairMin: number;
  readonly pairMax: number;
  readonly pairs: number;
  /** Pairs left out because a window fell below the pace. */
  readonly offPace: number;
  /** Per side: CPU µs per SET, main-thread µs per SET, GC pauses µs per SET (minor, major), KB allocated per SET. */
  readonly sides: Record<"none" | "console", SideFigures>;
  /**
   * A cross-check of {@link ratio}: each side's major GC work replaced by its share of all of it,
   * in proportion to the bytes its windows promoted (a major GC pays for what was promoted before
   * it, maybe in the other side's windows). Undefined when nothing was promoted.
   */
  readonly byPromotion: number | undefined;
  readonly loads: readonly [number, number];
}

/** Totals of one side over the judged pairs, per SET. */
export interface SideFigures {
  readonly cpuUs: number;
  readonly mainUs: number;
  readonly minorPauseUs: number;
  readonly majorPauseUs: number;
  readonly majorGcs: number;
  /** Major GC work (pause, incremental steps, helper threads), µs per SET. */
  readonly majorWorkUs: number;
  readonly allocatedKb: number;
  /** Bytes promoted to old space per SET: what makes the major GCs. */
  readonly promotedB: number;
  readonly sets: number;
}

const paced = (w: ConsoleWindow, rate: number): boolean =>
  w.cpuMs !== undefined && w.seconds > 0 && w.ops / w.seconds >= PACE_SHARE * rate;

/** Total CPU per SET of the console side over that of the other, over `pairs`. */
function totalRatio(pairs: readonly Pair[]): number {
  let cpuN = 0;
  let opsN = 0;
  let cpuC = 0;
  let opsC = 0;
  for (const p of pairs) {
    cpuN += p.none.cpuMs as number;
    opsN += p.none.ops;
    cpuC += p.console.cpuMs as number;
    opsC += p.console.ops;
  }
  return cpuC / opsC / (cpuN / opsN);
}

function sideOf(windows: readonly ConsoleWindow[]): SideFigures {
  let sets = 0;
  let cpu = 0;
  let main = 0;
  let minor = 0;
  let major = 0;
  let majorGcs = 0;
  let majorWork = 0;
  let mb = 0;
  let promoted = 0;
  for (const w of windows) {
    sets += w.ops;
    cpu += w.cpuMs ?? 0;
    main += w.mainCpuMs ?? 0;
    minor += w.minorGcMs;
    major += w.majorGcMs;
    majorGcs += w.majorGcs;
    majorWork += w.majorWorkMs;
    mb += w.allocatedMb;
    promoted += w.promotedMb;
  }
  const per = (ms: number) => (ms * 1000) / sets;
  return {
    cpuUs: per(cpu),
    mainUs: per(main),
    minorPauseUs: per(minor),
    majorPauseUs: per(major),
    majorGcs,
    majorWorkUs: per(majorWork),
    allocatedKb: (mb * 1024) / sets,
    promotedB: (promoted * 2 ** 20) / sets,
    sets,
  };
}

/** Judges the console part's windows; undefined when no pair held the writer's pace. */
export function judgeConsole(details: ConsoleCostDetails): ConsoleJudgement | { offPace: number } {
  const byPair = new Map<number, { none?: ConsoleWindow; console?: ConsoleWindow }>();
  for (const w of details.windows) {
    if (w.pair < 0) continue;
    const p = byPair.get(w.pair) ?? {};
    if (w.console) p.console = w;
    else p.none = w;
    byPair.set(w.pair, p);
  }
  const pairs: Pair[] = [];
  let offPace = 0;
  for (const p of byPair.values()) {
    if (p.none === undefined || p.console === undefined) continue;
    if (paced(p.none, details.rate) && paced(p.console, details.rate)) pairs.push({ none: p.none, console: p.console });
    else offPace++;
  }
  if (pairs.length === 0) return { offPace };
  const rng = seededRandom(15); // deterministic: the same windows always give the same interval
  const boots: number[] = [];
  for (let b = 0; b < BOOTSTRAP_RESAMPLES; b++) {
    const sample = Array.from({ length: pairs.length }, () => pairs[Math.floor(rng() * pairs.length)] as Pair);
    boots.push(totalRatio(sample));
  }
  boots.sort((x, y) => x - y);
  const at = (q: number) => boots[Math.min(boots.length - 1, Math.floor(q * boots.length))] as number;
  const own = spread(
    pairs.map((p) => (p.console.cpuMs as number) / p.console.ops / ((p.none.cpuMs as number) / p.none.ops)),
  );
  const loads = pairs.flatMap((p) => [p.none.load, p.console.load]);
  const none = sideOf(pairs.map((p) => p.none));
  const withConsole = sideOf(pairs.map((p) => p.console));
  const workPerByte =
    (none.majorWorkUs * none.sets + withConsole.majorWorkUs * withConsole.sets) /
    (none.promotedB * none.sets + withConsole.promotedB * withConsole.sets);
  const charged = (x: SideFigures) => x.cpuUs - x.majorWorkUs + x.promotedB * workPerByte;
  return {
    ratio: totalRatio(pairs),
    interval: [at(0.025), at(0.975)],
    pairMedian: own.median,
    pairMin: own.min,
    pairMax: own.max,
    pairs: pairs.length,
    offPace,
    sides: { none, console: withConsole },
    byPromotion: Number.isFinite(workPerByte) ? charged(withConsole) / charged(none) : undefined,
    loads: [Math.min(...loads), Math.max(...loads)],
  };
}

/** The verdict row of the console part (the report's table). */
export function consoleVerdict(
  details: ConsoleCostDetails | undefined,
  quick: boolean,
): { target: string; measured: string; status: "pass" | "miss" | "n/a" } | undefined {
  if (details === undefined) return undefined;
  const target = `writer with an unfiltered console open: total server CPU per SET (every GC counted) ≤ ${CONSOLE_TARGET_RATIO}× without`;
  const j = judgeConsole(details);
  const left = j.offPace > 0 ? `; ${j.offPace} pair(s) left out: a window fell below 95 % of the writer's pace` : "";
  if (!("ratio" in j)) return { target, measured: `no pair held the writer's pace${left}`, status: "n/a" };
  const f = (x: number, d = 3) => formatNumber(x, d);
  const r = (x: number) => x.toFixed(3);
  const side = (s: SideFigures) =>
    `${f(s.cpuUs)} µs CPU/SET (main thread ${f(s.mainUs)}; GC pauses minor ${f(s.minorPauseUs, 2)} + major ${f(s.majorPauseUs, 2)} µs/SET, ${s.majorGcs} major, their work ${f(s.majorWorkUs, 2)} µs/SET; ${f(s.allocatedKb)} KB allocated and ${f(s.promotedB)} B promoted/SET)`;
  const robust =
    j.interval[1] <= CONSOLE_TARGET_RATIO
      ? "the whole interval is within the target"
      : "the interval crosses the target";
  return {
    target,
    measured:
      `**${r(j.ratio)}×** over ${j.pairs} pairs of ${details.windowMs / 1000} s windows (95 % bootstrap ${r(j.interval[0])}–${r(j.interval[1])}×: ${robust}; ` +
      `pairs' own ratios median ${r(j.pairMedian)}×, ${r(j.pairMin)}–${r(j.pairMax)}×; major GC work charged by promoted bytes: ${j.byPromotion === undefined ? "–" : `${r(j.byPromotion)}×`}); without: ${side(j.sides.none)}; with: ${side(j.sides.console)}; ` +
      `load ${f(j.loads[0], 2)}–${f(j.loads[1], 2)}${details.pinned ? (details.writerPinned ? "" : "; the writer not pinned") : "; nothing pinned"}${left}`,
    status: quick ? "n/a" : j.ratio <= CONSOLE_TARGET_RATIO ? "pass" : "miss",
  };
}
