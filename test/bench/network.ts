import { connectTarget, etcdTarget, grpcJsTarget, redisTarget, type Target, type Workload } from "./clients.js";
import { type LoadBounds, timedLoad } from "./load.js";
import type { Started } from "./processes.js";
import { rawEtcdTarget, rawFloorTarget, rawMemorabiliaTarget } from "./raw-targets.js";
import type { Sample } from "./stats.js";

/** Sizes of the network workloads. */
export interface NetworkOptions {
  readonly rounds: number;
  readonly bounds: LoadBounds;
  /** Keys per MSet/MGet call and per ioredis pipeline. */
  readonly batch: number;
  readonly onProgress: (what: string) => void;
  /** Notes for the report (skipped workloads and why). */
  readonly notes: string[];
}

/**
 * Unary, batched and stack workloads against every server that is up, interleaved: in each round,
 * for each (group, op), every target runs one timed segment, the first target rotating per round.
 */
export async function runNetwork(
  servers: { memorabilia?: Started; redis?: Started; etcd?: Started; floor?: Started },
  options: NetworkOptions,
): Promise<Sample[]> {
  const targets: Target[] = [];
  const m = servers.memorabilia;
  if (m) {
    targets.push(connectTarget("grpc", m.url, m.pid, options.batch));
    targets.push(grpcJsTarget(m.port, m.pid));
    targets.push(rawMemorabiliaTarget(m.url, m.pid, options.batch));
    targets.push(connectTarget("grpc-web", m.url, m.pid, options.batch));
    targets.push(connectTarget("connect", m.url, m.pid, options.batch));
  }
  if (servers.redis) {
    targets.push(redisTarget(servers.redis.port, servers.redis.pid, false, options.batch));
    targets.push(redisTarget(servers.redis.port, servers.redis.pid, true, options.batch));
  }
  if (servers.floor) targets.push(rawFloorTarget(servers.floor.url, servers.floor.pid));
  if (servers.etcd) {
    targets.push(etcdTarget(servers.etcd.url, servers.etcd.pid));
    targets.push(rawEtcdTarget(servers.etcd.url, servers.etcd.pid));
  }
  try {
    // Probe each workload once; a service that has not landed yet is reported and skipped.
    const live: { w: Workload; pid: number | undefined }[] = [];
    for (const t of targets) {
      for (const w of t.workloads) {
        try {
          await w.call(0);
          live.push({ w, pid: t.pid });
        } catch (error) {
          options.notes.push(`${w.group} ${w.op} on ${w.target}: skipped (${firstLine(error)})`);
        }
      }
    }
    const combos = [...new Set(live.map((l) => `${l.w.group}\u0000${l.w.op}`))];
    const samples: Sample[] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (const combo of combos) {
        const list = live.filter((l) => `${l.w.group}\u0000${l.w.op}` === combo);
        for (let k = 0; k < list.length; k++) {
          const { w, pid } = list[(k + round) % list.length] as (typeof list)[number];
          options.onProgress(`${w.group} ${w.op} ${w.target} (round ${round + 1}/${options.rounds})`);
          try {
            samples.push(
              await timedLoad(w.call, options.bounds, pid, { group: w.group, op: w.op, target: w.target, round }),
            );
          } catch (error) {
            options.notes.push(`${w.group} ${w.op} on ${w.target}, round ${round + 1}: failed (${firstLine(error)})`);
          }
        }
      }
    }
    return samples;
  } finally {
    for (const t of targets) await t.close();
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split("\n")[0] as string;
}
