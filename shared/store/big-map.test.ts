import { describe, expect, it } from "vitest";
import { BigMap } from "./big-map.js";
import { seededRandom } from "./testing.js";

describe("BigMap", () => {
  it("behaves like a Map past its shard limit (random operations against a Map)", () => {
    const big = new BigMap<string, number>(16);
    const model = new Map<string, number>();
    const rnd = seededRandom(5);
    let maxShards = 0;
    for (let op = 0; op < 20_000; op++) {
      const key = `k${Math.floor(rnd() * 200)}`;
      const r = rnd();
      if (r < 0.5) {
        big.set(key, op);
        model.set(key, op);
      } else if (r < 0.8) {
        expect(big.delete(key)).toBe(model.delete(key));
      } else {
        expect(big.get(key)).toBe(model.get(key));
        expect(big.has(key)).toBe(model.has(key));
      }
      expect(big.size).toBe(model.size);
      maxShards = Math.max(maxShards, big.shardCount);
    }
    expect(maxShards).toBeGreaterThan(5);
    expect(new Map(big.entries())).toEqual(model);
    expect(new Set(big.keys())).toEqual(new Set(model.keys()));
  });

  it("starts a new shard only when the current ones are full", () => {
    const big = new BigMap<number, string>(4);
    for (let i = 0; i < 4; i++) big.set(i, "a");
    expect(big.shardCount).toBe(1);
    big.set(0, "updated"); // overwrite: no new shard
    expect(big.shardCount).toBe(1);
    big.set(4, "b");
    expect(big.shardCount).toBe(2);
    expect(big.get(0)).toBe("updated");
    big.delete(1);
    big.set(5, "c"); // fills the hole in the first shard
    expect(big.shardCount).toBe(2);
    expect([...big.keys()]).toEqual([0, 2, 3, 5, 4]);
  });

  it("keeps undefined values and drops emptied shards", () => {
    const big = new BigMap<string, number | undefined>(2);
    big.set("a", undefined);
    big.set("b", 1);
    big.set("c", 2);
    expect(big.has("a")).toBe(true);
    expect(big.get("a")).toBeUndefined();
    expect(big.shardCount).toBe(2);
    big.delete("c");
    expect(big.shardCount).toBe(1);
    big.clear();
    expect(big.size).toBe(0);
    expect(big.shardCount).toBe(1);
  });

  it("iterates every entry present for the whole iteration exactly once, across shards, under churn", () => {
    const big = new BigMap<string, number>(8);
    for (let i = 0; i < 100; i++) big.set(`s${i}`, i);
    const seen = new Map<string, number>();
    let n = 0;
    for (const key of big.keys()) {
      seen.set(key, (seen.get(key) ?? 0) + 1);
      big.set(`new${n++}`, 0);
      if (n % 2 === 0) big.delete(`new${n - 2}`);
    }
    for (let i = 0; i < 100; i++) expect(seen.get(`s${i}`)).toBe(1);
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects shardLimit %s", (limit) => {
    expect(() => new BigMap(limit)).toThrow(TypeError);
  });

  it("is iterable as entries", () => {
    const big = new BigMap<string, number>(1);
    big.set("x", 1).set("y", 2);
    expect([...big]).toEqual([
      ["x", 1],
      ["y", 2],
    ]);
  });
});
