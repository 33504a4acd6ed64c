/**
 * One leader-kill round, as the etcd bench part and `etcd-gap-server-probe.ts` measure it: a
 * sequential write loop runs, the etcd leader is SIGKILLed after 1.5 s, and once a new leader is
 * elected the loop runs 2.5 s more; the gap is the longest time between two acknowledged writes.
 * The killed member is restarted before this resolves.
 */
import type { EtcdCluster } from "../support/etcd-cluster.js";

/** What one round measured. */
export interface LeaderKillRound {
  /** From the kill to a new leader (ms, 20 ms polling). */
  readonly electionMs: number;
  /** Longest time between two acknowledged writes (ms). */
  readonly gapMs: number;
  /** When the gap began, relative to the kill (ms). */
  readonly gapFromMs: number;
  /** Acknowledged writes. */
  readonly writes: number;
  /** Writes that failed. */
  readonly errors: number;
}

/** Runs one round; `write(i)` is the i-th write of the loop (sequential: one in flight). */
export async function leaderKillRound(
  cluster: EtcdCluster,
  write: (i: number) => Promise<unknown>,
): Promise<LeaderKillRound> {
  let running = true;
  const acks: number[] = [];
  let errors = 0;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      try {
        await write(i);
        acks.push(performance.now());
      } catch {
        errors++;
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 1500));
  const leader = await cluster.leader();
  const t0 = performance.now();
  await cluster.kill(leader);
  await cluster.waitForLeader(30_000);
  const electionMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 2500));
  running = false;
  await loop;
  const { gapMs, gapFromMs } = longestGap(acks, t0);
  await cluster.restart(leader);
  await cluster.waitForLeader(30_000);
  return { electionMs, gapMs, gapFromMs, writes: acks.length, errors };
}

/** The longest time between two consecutive acknowledgements (`acks`, ms) and when it began, relative to `t0`. */
export function longestGap(acks: readonly number[], t0: number): { gapMs: number; gapFromMs: number } {
  let gapMs = 0;
  let gapFromMs = 0;
  for (let i = 1; i < acks.length; i++) {
    const g = (acks[i] as number) - (acks[i - 1] as number);
    if (g > gapMs) [gapMs, gapFromMs] = [g, (acks[i - 1] as number) - t0];
  }
  return { gapMs, gapFromMs };
}
