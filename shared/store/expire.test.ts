import { Cron } from "croner";
import { describe, expect, it } from "vitest";
import { createManualClock } from "./clock.js";
import { StoreError } from "./errors.js";
import { Sweeper, type SweepOptions, type WakeTimer } from "./expire.js";
import type { Repository } from "./repository.js";
import { createTestStore, type TestStore } from "./testing.js";

const microtask = (): Promise<void> => Promise.resolve();

/** A fake monotonic timer that advances only by the simulated cost of each expired key. */
function fakeTimer(t: TestStore, msPerKey: number): () => number {
  let now = 0;
  t.store.events.subscribe({ events: ["expired"] }, () => {
    now += msPerKey;
  });
  return () => now;
}

/** Puts `n` string keys `prefix:i` that expire at `atMs`. */
function putExpiring(t: TestStore, prefix: string, n: number, atMs: number): void {
  t.store.repository.atomic(null, t.clock.now(), (v) => {
    for (let i = 0; i < n; i++) {
      v.put(`${prefix}:${i}`, "x");
      v.setExpireAt(`${prefix}:${i}`, atMs);
    }
  });
}

function dbsize(t: TestStore): number {
  return t.store.repository.countKeys(t.clock.now()) as number;
}

/** A test store whose sweep uses `timer` and microtask yields. */
function storeWith(sweep: Omit<SweepOptions, "yieldToLoop"> = {}, timed?: number): { t: TestStore; s: Sweeper } {
  const t = createTestStore();
  const timer = timed === undefined ? () => 0 : fakeTimer(t, timed);
  const s = new Sweeper(t.store.repository, t.clock, { yieldToLoop: microtask, timer, ...sweep });
  return { t, s };
}

describe("Sweeper: a cycle", () => {
  it("reclaims 100k keys due at one instant in bounded slices, one expired event per key", async () => {
    const t = createTestStore();
    // 1/256 ms per key: a 1 ms slice fits 256 keys, below the 500-key budget.
    const timer = fakeTimer(t, 1 / 256);
    const s = new Sweeper(t.store.repository, t.clock, {
      sliceKeys: 500,
      sliceMs: 1,
      cycleMs: 1e9,
      timer,
      yieldToLoop: microtask,
    });
    const n = 100_000;
    const at = t.clock.now() + 10_000;
    putExpiring(t, "e1", n, at);
    t.events.length = 0;
    expect(dbsize(t)).toBe(n);
    t.clock.set(at + 1);
    expect(dbsize(t)).toBe(0); // exact before any reclaim
    expect(t.store.repository.stats().keys).toBe(n); // still held
    const r = await s.sweep();
    expect(r).toMatchObject({ sampled: n, expired: n, complete: true });
    expect(r.longestSliceMs).toBeLessThanOrEqual(1);
    expect(r.largestSliceKeys).toBeLessThanOrEqual(500);
    expect(r.slices).toBeGreaterThanOrEqual(Math.ceil(n / 256));
    expect(t.store.repository.stats()).toMatchObject({ keys: 0, keysWithTtl: 0, expiredKeys: n });
    const expired = t.events.filter((e) => e.event === "expired");
    expect(expired.length).toBe(n);
    expect(new Set(expired.map((e) => e.key)).size).toBe(n);
    expect(t.events.every((e) => e.class === "expired")).toBe(true);
    const st = s.stats();
    expect(st).toMatchObject({ runs: 1, expiredKeys: n, sampledKeys: n, lastStaleRatio: 1, avgStaleRatio: 1 });
    expect(st.longestSliceMs).toBeLessThanOrEqual(1);
    expect(st.largestSliceKeys).toBeLessThanOrEqual(500);
    expect(st.slices).toBe(r.slices);
    expect(st.timeSpentMs).toBeCloseTo(n / 256, 6);
    expect(st.lastRunAtMs).toBe(at + 1);
  });

  it("stops a slice at its key budget when time is no constraint", async () => {
    const { t, s } = storeWith({ sliceKeys: 100, cycleMs: 1e9 });
    putExpiring(t, "e2", 1000, t.clock.now() + 5);
    t.clock.advance(10);
    const r = await s.sweep();
    expect(r.expired).toBe(1000);
    expect(r.largestSliceKeys).toBe(100);
    expect(r.slices).toBeGreaterThanOrEqual(10);
  });

  it.each([
    { cost: 1 / 64, sliceMs: 1, most: 64 },
    { cost: 1 / 8, sliceMs: 2, most: 16 },
    { cost: 0.3, sliceMs: 1, most: 4 }, // batches shrink to fit the time left
  ])("fits slices of $cost ms/key into $sliceMs ms", async ({ cost, sliceMs, most }) => {
    const { t, s } = storeWith({ sliceMs, cycleMs: 1e9 }, cost);
    putExpiring(t, "e3", 300, t.clock.now() + 5);
    t.clock.advance(10);
    const r = await s.sweep();
    expect(r.expired).toBe(300);
    expect(r.longestSliceMs).toBeLessThanOrEqual(sliceMs + 1e-9);
    expect(r.largestSliceKeys).toBeLessThanOrEqual(most);
  });

  // A mass expiry empties every lane of the keyspace at the same pace, so the lanes' Maps shrink
  // (rehash) one after another within a few hundred keys: a run of keys each far costlier than the
  // average the slice sized its batch from. The slice must still end within its budget plus ONE
  // BATCH's cost (`checkEvery` keys: 8 by default, 1 when asked), wherever the run falls — not the
  // whole run of costly keys past it.
  it.each([
    { name: "a run of 64 costly keys", from: 2000, to: 2064, checkEvery: undefined },
    { name: "costly keys spread one in 40", from: 0, to: 5000, every: 40, checkEvery: undefined },
    { name: "a run of 64 costly keys, checkEvery 1", from: 2000, to: 2064, checkEvery: 1 },
    { name: "costly keys spread one in 40, checkEvery 1", from: 0, to: 5000, every: 40, checkEvery: 1 },
  ])(
    "ends every slice within sliceMs plus one batch's cost, whatever the keys cost: $name",
    async ({ from, to, every = 1, checkEvery }) => {
      const batch = checkEvery ?? 8;
      const t = createTestStore();
      const cheap = 1 / 256;
      const costly = 0.25;
      const name = (i: number) => `s:${String(i).padStart(5, "0")}`; // popped in this order (one deadline)
      const costOf = new Map<string, number>();
      for (let i = 0; i < 5000; i++) costOf.set(name(i), i >= from && i < to && i % every === 0 ? costly : cheap);
      let now = 0;
      const starts: number[] = [];
      t.store.events.subscribe({ events: ["expired"] }, (e) => {
        now += costOf.get(e.key as string) as number;
      });
      const s = new Sweeper(t.store.repository, t.clock, {
        sliceMs: 1,
        sliceKeys: 2000,
        cycleMs: 1e9,
        ...(checkEvery === undefined ? {} : { checkEvery }),
        timer: () => now,
        yieldToLoop: async () => {
          starts.push(now); // a slice boundary, by the manual clock
        },
      });
      const at = t.clock.now() + 10;
      t.store.repository.atomic(null, t.clock.now(), (v) => {
        for (let i = 0; i < 5000; i++) {
          v.put(name(i), "x");
          v.setExpireAt(name(i), at);
        }
      });
      t.clock.set(at + 1);
      const r = await s.sweep();
      expect(r).toMatchObject({ expired: 5000, complete: true });
      expect(r.longestSliceMs).toBeLessThanOrEqual(1 + batch * costly + 1e-9);
      // The same bound read from the slice boundaries themselves, not from the sweep's own report.
      let last = 0;
      for (const b of [...starts, now]) {
        expect(b - last).toBeLessThanOrEqual(1 + batch * costly + 1e-9);
        last = b;
      }
    },
  );

  it("ends a cycle at its time limit; the next cycle continues", async () => {
    const { t, s } = storeWith({ sliceMs: 1, cycleMs: 5 }, 1 / 16);
    putExpiring(t, "e4", 1000, t.clock.now() + 5);
    t.clock.advance(10);
    const first = await s.sweep();
    expect(first.complete).toBe(false);
    expect(first.expired).toBe(80); // 5 slices of 16 keys
    expect(first.durationMs).toBeLessThanOrEqual(5);
    let total = first.expired;
    for (let i = 0; i < 100 && total < 1000; i++) total += (await s.sweep()).expired;
    expect(total).toBe(1000);
    expect(dbsize(t)).toBe(0);
  });

  it("removes only due keys and leaves keys without a TTL alone", async () => {
    const { t, s } = storeWith();
    const now = t.clock.now();
    putExpiring(t, "soon", 50, now + 1000);
    putExpiring(t, "later", 70, now + 2000);
    t.store.repository.atomic(null, now, (v) => v.put("forever", "x"));
    t.clock.set(now + 1000);
    expect((await s.sweep()).expired).toBe(0); // deadline == now is not due
    t.clock.set(now + 1500);
    const r = await s.sweep();
    expect(r).toMatchObject({ expired: 50, sampled: 50, complete: true });
    expect(dbsize(t)).toBe(71);
    t.clock.set(now + 5000);
    expect((await s.sweep()).expired).toBe(70);
    expect(dbsize(t)).toBe(1);
    expect(s.stats()).toMatchObject({ runs: 3, expiredKeys: 120 });
  });

  it("does not reclaim a key whose TTL was removed or pushed back", async () => {
    const { t, s } = storeWith();
    const now = t.clock.now();
    putExpiring(t, "k", 3, now + 10);
    t.store.repository.atomic(null, now, (v) => {
      v.persist("k:0");
      v.setExpireAt("k:1", now + 1000);
    });
    t.clock.advance(100);
    expect((await s.sweep()).expired).toBe(1);
    expect(t.store.repository.atomic(null, t.clock.now(), (v) => [v.lookup("k:0"), v.lookup("k:1")])).toEqual([
      "x",
      "x",
    ]);
  });

  it("does nothing on a repository without activeExpire", async () => {
    const clock = createManualClock();
    const repo = { synchronous: true } as unknown as Repository;
    const s = new Sweeper(repo, clock, { yieldToLoop: microtask });
    expect(await s.sweep()).toMatchObject({ sampled: 0, expired: 0, slices: 0, complete: true });
    expect(s.stats().runs).toBe(1);
  });

  it("yields to the event loop between slices by default (setTimeout 0)", async () => {
    const t = createTestStore();
    const s = new Sweeper(t.store.repository, t.clock, { sliceKeys: 10, cycleMs: 1e9, timer: () => 0 });
    putExpiring(t, "y", 50, t.clock.now() + 1);
    t.clock.advance(2);
    const done = s.sweep();
    const seen: number[] = [];
    setTimeout(() => seen.push(s.stats().expiredKeys), 0);
    await done;
    expect(seen.length).toBe(1);
    expect(seen[0]).toBeGreaterThan(0);
    expect(seen[0]).toBeLessThan(50);
    expect(s.stats().expiredKeys).toBe(50);
  });

  it("shares one cycle between concurrent sweep() calls", async () => {
    const { t, s } = storeWith({ sliceKeys: 10, cycleMs: 1e9 });
    putExpiring(t, "c", 100, t.clock.now() + 1);
    t.clock.advance(2);
    const a = s.sweep();
    const b = s.sweep();
    expect(a).toBe(b);
    expect((await a).expired).toBe(100);
    expect(s.stats().runs).toBe(1);
  });

  it("stop() ends a cycle in progress at its next slice boundary", async () => {
    const { t, s } = storeWith({ sliceKeys: 10, cycleMs: 1e9 });
    putExpiring(t, "s", 100, t.clock.now() + 1);
    t.clock.advance(2);
    const p = s.sweep();
    s.stop();
    const r = await p;
    expect(r).toMatchObject({ expired: 10, slices: 1, complete: false });
  });

  it("keeps the stale ratio of the last cycle that sampled anything", async () => {
    const { t, s } = storeWith();
    putExpiring(t, "r", 4, t.clock.now() + 1);
    expect(s.stats()).toMatchObject({ lastStaleRatio: 0, avgStaleRatio: 0, lastRunAtMs: null });
    t.clock.advance(2);
    await s.sweep();
    await s.sweep();
    expect(s.stats()).toMatchObject({ runs: 2, lastStaleRatio: 1, avgStaleRatio: 1 });
  });

  it.each([
    { field: "sliceKeys", value: 0 },
    { field: "sliceKeys", value: 1.5 },
    { field: "sliceMs", value: -1 },
    { field: "checkEvery", value: Number.NaN },
    { field: "cycleMs", value: Number.POSITIVE_INFINITY },
    { field: "wakeMinMs", value: 0 },
  ])("rejects $field = $value", ({ field, value }) => {
    const t = createTestStore();
    expect(() => new Sweeper(t.store.repository, t.clock, { [field]: value })).toThrow(TypeError);
  });
});

describe("Sweeper: schedule", () => {
  it("creates no timer until start()", () => {
    const t = createTestStore();
    const s = new Sweeper(t.store.repository, t.clock);
    expect(s.running).toBe(false);
    expect(s.nextRun()).toBeNull();
    expect(s.stats()).toMatchObject({ running: false, pattern: "* * * * * *", runs: 0 });
  });

  it.each([
    { pattern: "not a pattern", why: "exactly five, six, or seven" },
    { pattern: "61 * * * * *", why: "second" },
    { pattern: "2030-01-01T00:00:00", why: "repeating cron pattern is required" },
  ])("refuses the pattern '$pattern' with a StoreError", ({ pattern, why }) => {
    const t = createTestStore();
    const s = new Sweeper(t.store.repository, t.clock);
    let error: unknown;
    try {
      s.setPattern(pattern);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("ERR");
    expect((error as StoreError).message).toContain(`ERR invalid sweep pattern '${pattern}'`);
    expect((error as StoreError).message).toContain(why);
    expect(s.stats().pattern).toBe("* * * * * *"); // unchanged
    expect(() => new Sweeper(t.store.repository, t.clock, { pattern })).toThrow(StoreError);
    expect(() => t.store.setSweepPattern(pattern)).toThrow(StoreError);
  });

  it("changes the pattern at run time", () => {
    const t = createTestStore();
    const s = new Sweeper(t.store.repository, t.clock, { pattern: "*/5 * * * * *" });
    s.setPattern("0 0 0 1 1 *"); // stopped: only remembered
    expect(s.running).toBe(false);
    s.start();
    try {
      expect((s.nextRun() as Date).getUTCSeconds()).toBe(0);
      expect((s.nextRun() as Date).getMonth()).toBe(0);
      s.setPattern("*/2 * * * * *");
      expect(s.running).toBe(true);
      expect(s.stats().pattern).toBe("*/2 * * * * *");
      expect((s.nextRun() as Date).getTime() - Date.now()).toBeLessThanOrEqual(2000);
    } finally {
      s.stop();
    }
    expect(s.running).toBe(false);
    expect(s.nextRun()).toBeNull();
  });

  it("runs cycles on the croner schedule and stops", async () => {
    const t = createTestStore({ sweep: { pattern: "* * * * * *" } });
    putExpiring(t, "cron", 500, t.clock.now() + 1);
    t.clock.advance(2);
    t.store.start();
    t.store.start(); // idempotent
    try {
      expect(t.store.stats().sweep.running).toBe(true);
      // Wait for the scheduled cycle to finish its slices, not merely to start (a busy host can
      // leave a cycle mid-way when the first run is counted). Bounded: the tick is every second.
      const deadline = performance.now() + 10_000;
      while (
        (t.store.stats().sweep.runs === 0 || t.store.stats().sweep.expiredKeys < 500) &&
        performance.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(t.store.stats().sweep.runs).toBeGreaterThanOrEqual(1);
      expect(t.store.stats().sweep.expiredKeys).toBe(500);
      expect(t.store.repository.stats().keys).toBe(0);
    } finally {
      t.store.stop();
    }
    expect(t.store.stats().sweep.running).toBe(false);
    t.store.stop(); // idempotent
  });

  it("is reachable through the store's sweep() for external schedulers", async () => {
    const t = createTestStore();
    putExpiring(t, "ext", 20, t.clock.now() + 1);
    t.clock.advance(2);
    const r = await t.store.sweep();
    expect(r).toMatchObject({ expired: 20, complete: true });
    expect(t.store.stats().sweep).toMatchObject({ runs: 1, expiredKeys: 20, running: false });
  });
});

/** A {@link WakeTimer} driven by hand: records pending calls, fires them only when told. */
function manualWake(): {
  timer: WakeTimer;
  pending: Map<number, { fn: () => void; delayMs: number }>;
  sets: number;
  fire(): void;
} {
  const pending = new Map<number, { fn: () => void; delayMs: number }>();
  let id = 0;
  const w = {
    pending,
    sets: 0,
    timer: {
      set(fn: () => void, delayMs: number): unknown {
        w.sets++;
        pending.set(++id, { fn, delayMs });
        return id;
      },
      clear(handle: unknown): void {
        pending.delete(handle as number);
      },
    },
    fire(): void {
      const [entry] = pending;
      if (entry === undefined) throw new Error("no wake-up pending");
      pending.delete(entry[0]);
      entry[1].fn();
    },
  };
  return w;
}

/** The delays of the pending wake-ups. */
function delays(w: ReturnType<typeof manualWake>): number[] {
  return [...w.pending.values()].map((p) => p.delayMs);
}

/** Lets microtask chains (cycles with microtask yields) run to their end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await microtask();
}

/** The sweep's tick never comes during a test (once a year), so only wake-ups start cycles. */
const YEARLY = "0 0 0 1 1 *";

describe("Sweeper: deadline wake-up", () => {
  function wakeStore(sweep: Omit<SweepOptions, "yieldToLoop" | "wakeTimer"> = {}, timed?: number) {
    const w = manualWake();
    const { t, s } = storeWith({ pattern: YEARLY, wakeTimer: w.timer, ...sweep }, timed);
    return { t, s, w };
  }

  it("reclaims a key due between ticks at its deadline, with its expired event then", async () => {
    const { t, s, w } = wakeStore();
    const now = t.clock.now();
    putExpiring(t, "w1", 3, now + 250);
    t.events.length = 0;
    s.start();
    try {
      expect(delays(w)).toEqual([251]); // the first ms at which now > deadline
      t.clock.advance(251);
      expect(t.events).toEqual([]);
      w.fire();
      await settle();
      expect(t.events.filter((e) => e.event === "expired").map((e) => e.key)).toEqual(["w1:0", "w1:1", "w1:2"]);
      expect(s.stats()).toMatchObject({ runs: 1, expiredKeys: 3, lastRunAtMs: now + 251 });
      expect(w.pending.size).toBe(0); // nothing left with a TTL: no wake-up
    } finally {
      s.stop();
    }
  });

  it("keeps one timer: cycle ends and start() re-arm rather than stack", async () => {
    const { t, s, w } = wakeStore();
    putExpiring(t, "w2", 5, t.clock.now() + 400);
    s.start();
    s.start();
    try {
      for (let i = 0; i < 3; i++) await s.sweep(); // nothing due yet; each end looks again
      expect(w.pending.size).toBe(1);
      expect(w.sets).toBe(1); // same instant: the armed timer stays
      t.clock.advance(100);
      await s.sweep();
      expect(delays(w)).toEqual([401]); // still the first timer, set 100 ms ago for the same instant
      expect(w.sets).toBe(1);
    } finally {
      s.stop();
    }
  });

  it("re-arms for a new earlier deadline seen at a cycle end", async () => {
    const { t, s, w } = wakeStore();
    const now = t.clock.now();
    putExpiring(t, "late", 1, now + 500);
    s.start();
    try {
      expect(delays(w)).toEqual([501]);
      putExpiring(t, "early", 1, now + 100);
      await s.sweep();
      expect(delays(w)).toEqual([101]);
      t.clock.advance(101);
      w.fire();
      await settle();
      expect(s.stats().expiredKeys).toBe(1);
      expect(delays(w)).toEqual([400]); // then on to the later one
    } finally {
      s.stop();
    }
  });

  it("wakes no sooner than wakeMinMs after a cycle when keys are already due", async () => {
    const { t, s, w } = wakeStore({ wakeMinMs: 25 });
    putExpiring(t, "w3", 2, t.clock.now() + 1);
    t.clock.advance(5);
    s.start();
    try {
      expect(delays(w)).toEqual([25]);
    } finally {
      s.stop();
    }
  });

  it("waits on without a cycle when the timer fires before the store clock reaches the deadline", async () => {
    const { t, s, w } = wakeStore();
    putExpiring(t, "w4", 1, t.clock.now() + 50);
    s.start();
    try {
      t.clock.advance(49);
      w.fire();
      expect(delays(w)).toEqual([2]);
      expect(s.stats().runs).toBe(0);
    } finally {
      s.stop();
    }
  });

  it("waits for a deadline past the longest timer delay in steps, without running cycles", () => {
    const far = 2 ** 31 + 10_000; // more than 2^31-1 ms (~24.9 days)
    // A yearly tick further off than the deadline: 29 February, or 31 August in the weeks before a
    // 29 February (they are six months apart, so one of them always is).
    const leapDay = new Cron("0 0 0 29 2 *", { paused: true });
    const toLeapDay = (leapDay.nextRun() as Date).getTime() - Date.now();
    leapDay.stop();
    const { t, s, w } = wakeStore({ pattern: toLeapDay > far + 86_400_000 ? "0 0 0 29 2 *" : "0 0 0 31 8 *" });
    putExpiring(t, "far", 1, t.clock.now() + far);
    s.start();
    try {
      expect((s.nextRun() as Date).getTime() - Date.now()).toBeGreaterThan(far);
      expect(delays(w)).toEqual([2 ** 31 - 1]);
      t.clock.advance(2 ** 31 - 1);
      w.fire();
      expect(delays(w)).toEqual([far + 1 - (2 ** 31 - 1)]);
      expect(s.stats().runs).toBe(0);
    } finally {
      s.stop();
    }
  });

  it("arms nothing when the next tick comes before the deadline", () => {
    const { t, s, w } = wakeStore({ pattern: "* * * * * *" });
    putExpiring(t, "w5", 1, t.clock.now() + 5000);
    s.start();
    try {
      expect(w.pending.size).toBe(0);
    } finally {
      s.stop();
    }
  });

  it("stop() clears the timer, and a wake-up that fires after stop() runs nothing", async () => {
    const { t, s, w } = wakeStore();
    putExpiring(t, "w6", 1, t.clock.now() + 10);
    s.start();
    const [fn] = [...w.pending.values()].map((p) => p.fn);
    s.stop();
    expect(w.pending.size).toBe(0);
    t.clock.advance(20);
    fn?.();
    await settle();
    expect(s.stats().runs).toBe(0);
    expect(w.pending.size).toBe(0);
  });

  it("keeps the plain tick on a repository without nextDeadline", async () => {
    const t = createTestStore();
    const inner = t.store.repository;
    const remote = {
      synchronous: true,
      activeExpire: (nowMs: number, sample: number) =>
        (inner.activeExpire as NonNullable<Repository["activeExpire"]>).call(inner, nowMs, sample),
    } as unknown as Repository;
    const w = manualWake();
    const s = new Sweeper(remote, t.clock, { pattern: YEARLY, wakeTimer: w.timer, yieldToLoop: microtask });
    putExpiring(t, "w7", 4, t.clock.now() + 10);
    s.start();
    try {
      expect(w.pending.size).toBe(0);
      t.clock.advance(11);
      expect((await s.sweep()).expired).toBe(4);
      expect(w.pending.size).toBe(0);
    } finally {
      s.stop();
    }
  });

  it("continues a cycle cut at cycleMs after one yield, not at the next tick", async () => {
    // 1/16 ms per key, 1 ms slices, 5 ms cycles: 80 keys per cycle.
    const { t, s, w } = wakeStore({ sliceMs: 1, cycleMs: 5 }, 1 / 16);
    const now = t.clock.now();
    putExpiring(t, "w8", 1000, now + 20);
    s.start();
    try {
      t.clock.advance(21);
      w.fire();
      for (let i = 0; i < 100 && s.stats().expiredKeys < 1000; i++) await settle();
      expect(s.stats().expiredKeys).toBe(1000);
      expect(s.stats().runs).toBe(Math.ceil(1000 / 80));
      expect(w.sets).toBe(1); // continued without timers
      expect(w.pending.size).toBe(0);
    } finally {
      s.stop();
    }
  });

  it("does not continue after stop()", async () => {
    const { t, s, w } = wakeStore({ sliceMs: 1, cycleMs: 5 }, 1 / 16);
    putExpiring(t, "w9", 1000, t.clock.now() + 20);
    s.start();
    t.clock.advance(21);
    w.fire();
    s.stop();
    await settle();
    await settle();
    expect(s.stats().expiredKeys).toBeLessThanOrEqual(80);
    expect(w.pending.size).toBe(0);
  });

  it("does not continue a cycle that an unscheduled sweep() ran", async () => {
    const { t, s } = storeWith({ sliceMs: 1, cycleMs: 5 }, 1 / 16);
    putExpiring(t, "w10", 1000, t.clock.now() + 1);
    t.clock.advance(2);
    expect((await s.sweep()).complete).toBe(false);
    await settle();
    expect(s.stats()).toMatchObject({ runs: 1, expiredKeys: 80 });
  });
});
