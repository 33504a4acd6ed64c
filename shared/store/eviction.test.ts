import { describe, expect, it } from "vitest";
import { StoreError } from "./errors.js";
import type { KeyspaceEvent } from "./events.js";
import { type EvictionPolicy, installEviction } from "./eviction.js";
import { memoryUsage } from "./object-info.js";
import { OK } from "./reply.js";
import { createTestStore, localOf, seededRandom } from "./testing.js";

function setup(policy: EvictionPolicy, maxBytes: number) {
  const t = createTestStore();
  const evictor = installEviction(t.store, { maxBytes, policy, random: seededRandom(7) });
  t.store.admit = (spec, argv) => evictor.admit(spec, argv);
  const events: KeyspaceEvent[] = [];
  t.store.events.subscribe({ classes: ["evicted"] }, (e) => events.push(e));
  return { ...t, evictor, events };
}

const KEY_BYTES = memoryUsage("k000", "x".repeat(100), false);

describe("eviction", () => {
  it("accounts memory like MEMORY USAGE, per key, updated on change and delete", () => {
    const { store, evictor } = setup("noeviction", 1e9);
    store.execSync(["SET", "k000", "x".repeat(100)]);
    expect(evictor.usedBytes()).toBe(KEY_BYTES);
    store.execSync(["RPUSH", "l", "a", "b"]);
    const repo = localOf(store);
    const l = repo.peek("l")?.value;
    expect(evictor.usedBytes()).toBe(KEY_BYTES + memoryUsage("l", l as never, false));
    store.execSync(["DEL", "l", "k000"]);
    expect(evictor.usedBytes()).toBe(0);
    store.execSync(["SET", "a", "1"]);
    store.execSync(["FLUSHALL"]);
    expect(evictor.usedBytes()).toBe(0);
  });

  it("noeviction refuses denyoom commands with Redis's OOM error, still serves reads and deletes", () => {
    const { store, evictor } = setup("noeviction", KEY_BYTES * 10);
    // Checked before each command, as Redis does: the 11th key is admitted at exactly the limit.
    for (let i = 0; i < 11; i++) store.execSync(["SET", `k${String(i).padStart(3, "0")}`, "x".repeat(100)]);
    let err: unknown;
    try {
      store.execSync(["SET", "k999", "x".repeat(100)]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe("OOM");
    expect((err as StoreError).message).toBe("OOM command not allowed when used memory > 'maxmemory'.");
    expect(store.execSync(["GET", "k000"])).toBe("x".repeat(100));
    expect(store.execSync(["DEL", "k000", "k001", "k002"])).toBe(3);
    expect(store.execSync(["SET", "k999", "x".repeat(100)])).toBe(OK);
    expect(evictor.stats().oomRejections).toBe(1);
  });

  it.each(["allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-ttl", "volatile-random"] as const)(
    "%s keeps memory under the limit and emits evicted events",
    (policy) => {
      const { store, evictor, events, clock } = setup(policy, KEY_BYTES * 50);
      for (let i = 0; i < 200; i++) {
        const key = `k${String(i).padStart(3, "0")}`;
        if (policy.startsWith("volatile")) store.execSync(["SET", key, "x".repeat(100), "PX", String(100_000 + i)]);
        else store.execSync(["SET", key, "x".repeat(100)]);
        clock.advance(1);
      }
      store.execSync(["PING"]);
      expect(evictor.usedBytes()).toBeLessThanOrEqual(KEY_BYTES * 50 + KEY_BYTES * 2);
      expect(events.length).toBeGreaterThanOrEqual(148);
      expect(evictor.stats().evictedKeys).toBe(events.length);
      expect(Number(store.execSync(["DBSIZE"]))).toBe(200 - events.length);
    },
  );

  it("volatile policies never evict keys without a TTL: OOM instead", () => {
    const { store } = setup("volatile-lru", KEY_BYTES * 5);
    for (let i = 0; i < 6; i++) store.execSync(["SET", `p${String(i).padStart(3, "0")}`, "x".repeat(100)]);
    expect(() => store.execSync(["SET", "pxxx", "x".repeat(100)])).toThrow(/OOM/);
    expect(store.execSync(["DBSIZE"])).toBe(6);
  });

  it("allkeys-lru evicts mostly cold keys: a hot set read between writes survives", () => {
    const { store } = setup("allkeys-lru", KEY_BYTES * 100);
    const hot = Array.from({ length: 20 }, (_, i) => `h${String(i).padStart(3, "0")}`);
    for (const k of hot) store.execSync(["SET", k, "x".repeat(100)]);
    for (let i = 0; i < 1000; i++) {
      store.execSync(["SET", `c${String(i).padStart(3, "0")}`, "x".repeat(100)]);
      store.execSync(["GET", hot[i % hot.length] as string]);
    }
    const alive = hot.filter((k) => store.execSync(["EXISTS", k]) === 1).length;
    // Random eviction would keep ~0 of them ((1 - 1/100)^900); sampled LRU keeps most.
    expect(alive).toBeGreaterThanOrEqual(12);
  });

  it("volatile-ttl evicts the nearest deadlines first", () => {
    const { store } = setup("volatile-ttl", KEY_BYTES * 50);
    for (let i = 0; i < 100; i++)
      store.execSync(["SET", `t${String(i).padStart(3, "0")}`, "x".repeat(100), "PX", String(1_000_000 - i * 1000)]);
    // The latest-created keys have the nearest deadlines: they go first.
    const survivors = Array.from({ length: 100 }, (_, i) => i).filter(
      (i) => store.execSync(["EXISTS", `t${String(i).padStart(3, "0")}`]) === 1,
    );
    const mean = survivors.reduce((a, b) => a + b, 0) / survivors.length;
    expect(mean).toBeLessThan(40);
  });
});
