/**
 * The shared engine differential (shared/store/engine-differential.test-helpers.ts) on the etcd
 * engine over a real 3-member cluster: seeded random streams over every command family, TTLs on a
 * manual clock, SCAN/HSCAN/SSCAN/ZSCAN walks, KEYS/DBSIZE/RANDOMKEY/FLUSHALL, MULTI with rollbacks
 * AND with whole-keyspace reads (the engine's atomicKeyspace), WATCH, concurrent bursts; replies,
 * final state and keyspace events (from the outbox watch) must equal the Map engine's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EtcdRepository } from "../../server/engines/etcd/etcd-repository.js";
import { ElectedSweeper } from "../../server/engines/etcd/sweeper.js";
import { createManualClock } from "../../shared/store/clock.js";
import { runDifferential } from "../../shared/store/engine-differential.test-helpers.js";
import { type EtcdCluster, startEtcdCluster } from "../support/etcd-cluster.js";

const STEPS = 300;

describe("the engine differential on the etcd engine", () => {
  let cluster: EtcdCluster;
  const repos: EtcdRepository[] = [];
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(repos.map((r) => r.close()));
    await cluster?.stop();
  }, 30_000);

  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: ${STEPS} steps, keyspace reads inside MULTI included`, async () => {
      let repo: EtcdRepository | undefined;
      const result = await runDifferential({
        seed,
        steps: STEPS,
        noRandomPicks: true,
        midSweeps: true,
        engine: async () => {
          repo = new EtcdRepository({ endpoints: cluster.endpoints, prefix: `harness/${seed}/${Date.now()}/` });
          repos.push(repo);
          await repo.startEvents();
          return repo;
        },
        sweep: async (_store, nowMs) => {
          const r = repo as EtcdRepository;
          const sweeper = new ElectedSweeper(r, createManualClock(nowMs));
          while ((await sweeper.sweepOnce(nowMs)) !== 0);
          await r.eventsCaughtUp();
        },
      });
      expect(result.mismatch, JSON.stringify(result.mismatch, null, 1)).toBeUndefined();
      expect(result.steps).toBe(STEPS);
      expect(result.kinds.multi ?? 0).toBeGreaterThan(0);
    }, 180_000);
  }
});
