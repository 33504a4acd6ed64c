import { describe, expect, it } from "vitest";
import { type Mismatch, runDifferential } from "./engine-differential.test-helpers.js";
import type { Repository, ScanFilter, ScanPage } from "./repository.js";
import { AwaitedRepository, StagedRepository } from "./staged-repository.test-helpers.js";

/**
 * The engine seam, proven by difference: a store over each test engine must answer every random
 * command stream exactly as a store over the Map engine (see engine-differential.test-helpers.ts).
 */
const SEEDS = [1, 2, 3, 4, 5, 6];
const STEPS = 300;

function expectNoMismatch(result: Awaited<ReturnType<typeof runDifferential>>): void {
  expect(result.mismatch, JSON.stringify(result.mismatch, null, 1)).toBeUndefined();
  expect(result.steps).toBe(STEPS);
}

/** The first mismatch over up to 20 seeds (a broken engine must be caught by some seed). */
async function firstMismatch(engine: () => Repository): Promise<Mismatch | undefined> {
  for (let seed = 1; seed <= 20; seed++) {
    const result = await runDifferential({ seed, steps: STEPS, engine });
    if (result.mismatch !== undefined) return result.mismatch;
  }
  return undefined;
}

describe("engine differential", () => {
  it.each(SEEDS)("the Map engine behind an await (seed %i)", async (seed) => {
    expectNoMismatch(await runDifferential({ seed, steps: STEPS, engine: () => new AwaitedRepository() }));
  });

  it.each(SEEDS)(
    "a remote-engine model: staged CAS writes, own events and expiry, stateless SCAN (seed %i)",
    async (seed) => {
      let repo: StagedRepository | undefined;
      const result = await runDifferential({
        seed,
        steps: STEPS,
        engine: () => (repo = new StagedRepository()),
        sweep: (_store, now) => {
          repo?.sweep(now);
        },
      });
      expectNoMismatch(result);
      // Every kind of step ran.
      expect(Object.keys(result.kinds).sort()).toEqual(
        expect.arrayContaining(["burst", "command", "multi", "scan", "watch"]),
      );
    },
  );

  it("the remote-engine model without publishesEvents and without atomicKeyspace", async () => {
    let repo: StagedRepository | undefined;
    const result = await runDifferential({
      seed: 11,
      steps: STEPS,
      engine: () => (repo = new StagedRepository({ publishesEvents: false, keyspaceInTransactions: false })),
      sweep: (_store, now) => {
        repo?.sweep(now);
      },
      noKeyspaceInMulti: true,
    });
    expectNoMismatch(result);
  });

  it("finds a divergence: an engine whose SCAN loses a key", async () => {
    class Lossy extends StagedRepository {
      override async scanKeys(cursor: string, count: number, filter: ScanFilter, nowMs: number): Promise<ScanPage> {
        const page = await super.scanKeys(cursor, count, filter, nowMs);
        return { cursor: page.cursor, keys: page.keys.filter((k) => k !== "s1") };
      }
    }
    const found = await firstMismatch(() => new Lossy());
    expect(found?.what).toMatch(/SCAN walk/);
  });

  it("finds a divergence: an engine that ignores WATCH", async () => {
    class Blind extends StagedRepository {
      override async watch(keys: readonly string[], nowMs: number) {
        const handle = await super.watch(keys, nowMs);
        return { ...handle, changed: () => false };
      }
    }
    const found = await firstMismatch(() => new Blind());
    expect(found?.what).toMatch(/^WATCH/);
  });

  it("finds a divergence: an engine that does not expire keys", async () => {
    class Immortal extends StagedRepository {
      override async countKeys(nowMs: number): Promise<number> {
        return super.countKeys(nowMs - 1_000_000);
      }
    }
    const found = await firstMismatch(() => new Immortal());
    expect(found?.what).toMatch(/DBSIZE/);
  });
});
