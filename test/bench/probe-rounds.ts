/**
 * The interleaved rounds of the CPU probes (transport-probe.ts, pipeline-probe.ts): every target of
 * an op measured once per round, the order rotated each round (and, if asked, reversed every other
 * round) so no target always runs first or right after a given other, with the load average beside.
 */
import { loadavg } from "node:os";
import { type Call, type LoadBounds, timedLoad } from "./load.js";
import { cpuMsPrecise } from "./processes.js";

/** One target of a probe: `call` runs one request against the server whose CPU `pid` meters. */
export interface ProbeTarget {
  readonly name: string;
  readonly op: string;
  readonly pid: number;
  readonly call: Call;
}

/** What one round measured, per op: each target's server CPU µs per operation and its operations/s. */
export interface ProbeRound {
  readonly round: number;
  readonly load: number;
  readonly ops: ReadonlyMap<
    string,
    { readonly order: readonly string[]; readonly us: Record<string, number>; readonly rate: Record<string, number> }
  >;
}

/** Options of {@link probeRounds}. */
export interface ProbeRoundOptions<T extends ProbeTarget> {
  readonly rounds: number;
  /** The bounds of one target's measured segment. */
  readonly bounds: (t: T) => LoadBounds;
  /** Calls of each target's unmeasured warm-up segment. */
  readonly warmCalls: (t: T) => number;
  /** Reverse the rotated order every other round. @default false */
  readonly alternate?: boolean;
}

/** Warms every target up once, then runs `rounds` interleaved rounds, handing each to `onRound` as it ends. */
export async function probeRounds<T extends ProbeTarget>(
  targets: readonly T[],
  options: ProbeRoundOptions<T>,
  onRound: (round: ProbeRound) => void,
): Promise<void> {
  for (const t of targets)
    await timedLoad(t.call, { ...options.bounds(t), maxCalls: options.warmCalls(t) }, undefined, {
      group: "w",
      op: t.op,
      target: t.name,
      round: -1,
    });
  const opNames = [...new Set(targets.map((t) => t.op))];
  for (let round = 0; round < options.rounds; round++) {
    const load = loadavg()[0] as number;
    const ops = new Map<string, { order: string[]; us: Record<string, number>; rate: Record<string, number> }>();
    for (const op of opNames) {
      const group = targets.filter((t) => t.op === op);
      const order = group.map((_, i) => group[(i + round) % group.length] as T);
      if (options.alternate === true && round % 2 === 1) order.reverse();
      const us: Record<string, number> = {};
      const rate: Record<string, number> = {};
      for (const t of order) {
        const s = await timedLoad(
          t.call,
          options.bounds(t),
          t.pid,
          { group: "p", op, target: t.name, round },
          cpuMsPrecise,
        );
        us[t.name] = ((s.serverCpuMs as number) * 1000) / s.ops;
        rate[t.name] = s.ops / s.seconds;
      }
      ops.set(op, { order: order.map((t) => t.name), us, rate });
    }
    onRound({ round, load, ops });
  }
}
