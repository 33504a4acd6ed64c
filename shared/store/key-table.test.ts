import { describe, expect, it } from "vitest";
import { KeyTable, LANE_MEAN, LANES_FROM, laneOf } from "./key-table.js";
import { seededRandom } from "./testing.js";

describe("KeyTable", () => {
  it.each([
    { name: "one map", keys: 300, shardLimit: undefined },
    { name: "spread into lanes", keys: LANES_FROM * 2, shardLimit: undefined },
    { name: "spread, small shards", keys: LANES_FROM * 2, shardLimit: 512 },
    { name: "spread, splitting lanes every 64 keys", keys: LANES_FROM * 3, shardLimit: undefined, laneMean: 64 },
    { name: "splitting lanes, small shards", keys: LANES_FROM * 1.5, shardLimit: 2000, laneMean: 64 },
  ])("behaves like a Map under random operations ($name)", ({ keys, shardLimit, laneMean }) => {
    const table = new KeyTable<number>(shardLimit, laneMean);
    const model = new Map<string, number>();
    const rnd = seededRandom(9);
    for (let op = 0; op < keys * 3; op++) {
      const key = `k${Math.floor(rnd() * keys)}`;
      const r = rnd();
      if (r < 0.6) {
        table.set(key, op);
        model.set(key, op);
      } else if (r < 0.75) {
        const deleted = table.delete(key);
        if (deleted !== model.delete(key)) expect({ op, key, deleted }).toBe("the model's answer");
      } else if (table.get(key) !== model.get(key) || table.has(key) !== model.has(key)) {
        expect({ op, key, got: table.get(key) }).toEqual({ op, key, got: model.get(key) });
      }
      if (op % 997 === 0) expect(table.size).toBe(model.size);
    }
    expect(table.size).toBe(model.size);
    expect(table.spread).toBe(model.size > LANES_FROM || keys > LANES_FROM);
    expect(new Map(table.entries())).toEqual(model);
    const listed = [...table.keys()];
    expect(listed.length).toBe(model.size);
    expect(new Set(listed)).toEqual(new Set(model.keys()));
  });

  it("bounds every lane whatever the table's size (linear hashing adds lanes as it grows)", () => {
    const mean = 256;
    const table = new KeyTable<number>(undefined, mean);
    const checkpoints = new Set([LANES_FROM + 1, 100_000, 200_000, 400_000]);
    for (let i = 1; i <= 400_000; i++) {
      table.set(`key:${i.toString().padStart(8, "0")}`, i);
      if (!checkpoints.has(i)) continue;
      const sizes = table.laneSizes();
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(i);
      expect(table.laneCount).toBeGreaterThanOrEqual(i / mean);
      // Split lanes hold about the mean, the ones not split yet this round about twice that.
      expect(Math.max(...sizes)).toBeLessThan(2.6 * mean);
    }
    expect(table.laneCount).toBeGreaterThan(1000);
    // The default keeps 1M keys in lanes of ~16k: no rehash copies more than a few tens of thousands.
    expect(LANE_MEAN).toBe(16_384);
  });

  it("an iterator visits every key present throughout exactly once while lanes split under it", () => {
    const table = new KeyTable<number>(undefined, 64);
    const n = 131_000; // just under the first split once spread into 2048 lanes of 64
    for (let i = 0; i < n; i++) table.set(`k${i}`, i);
    const lanesBefore = table.laneCount;
    const it = table.keys();
    const seen: string[] = [];
    const rnd = seededRandom(4);
    let added = 0;
    for (let r = it.next(); !r.done; r = it.next()) {
      seen.push(r.value);
      // Meanwhile: grow (splits), delete some keys not yet seen or seen, re-add none of them.
      table.set(`new${added++}`, 0);
      if (seen.length % 5 === 0) table.delete(`k${Math.floor(rnd() * n)}`);
    }
    expect(table.laneCount).toBeGreaterThan(lanesBefore);
    const old = seen.filter((k) => !k.startsWith("new"));
    const seenOld = new Set(old);
    expect(seenOld.size).toBe(old.length); // no key twice
    for (let i = 0; i < n; i++) {
      const key = `k${i}`;
      if (table.has(key) && !seenOld.has(key)) expect(key).toBe("seen: present throughout");
    }
    const news = seen.filter((k) => k.startsWith("new"));
    expect(new Set(news).size).toBe(news.length);
  });

  it("reserve lays out the lanes a grown table has, so filling it splits nothing", () => {
    // 64 lanes at the spread (LANES_FROM + 1 keys), then 10 splits up to n.
    const mean = 2048;
    const n = 150_000;
    const grown = new KeyTable<number>(undefined, mean);
    const reserved = new KeyTable<number>(undefined, mean);
    reserved.reserve(n);
    const lanes = reserved.laneCount;
    expect(lanes).toBe(Math.ceil(n / mean));
    for (let i = 0; i < n; i++) {
      grown.set(`key:${i}`, i);
      reserved.set(`key:${i}`, i);
      // Not one lane added while it fills: each key inserted once, never copied by a split.
      if (i % 10_007 === 0) expect(reserved.laneCount).toBe(lanes);
    }
    expect(reserved.laneCount).toBe(lanes);
    // The same lanes, holding the same keys, as the table that grew one split at a time.
    expect(reserved.laneSizes()).toEqual(grown.laneSizes());
    expect(new Map(reserved.entries())).toEqual(new Map(grown.entries()));
    // It keeps growing from there as any table does.
    for (let i = n; i < n + 2 * mean; i++) reserved.set(`key:${i}`, i);
    expect(reserved.laneCount).toBeGreaterThan(lanes);
  });

  it("reserve keeps every key of a table that is not empty, and ignores sizes it already has or cannot be", () => {
    const table = new KeyTable<number>(undefined, 64);
    for (let i = 0; i < 1000; i++) table.set(`k${i}`, i);
    table.reserve(LANES_FROM * 2);
    expect(table.spread).toBe(true);
    expect(table.size).toBe(1000);
    for (let i = 0; i < 1000; i++) expect(table.get(`k${i}`)).toBe(i);
    const lanes = table.laneCount;
    for (const n of [0, 10, LANES_FROM, Number.NaN, Number.POSITIVE_INFINITY, -1, 2 ** 60]) table.reserve(n);
    expect(table.laneCount).toBe(lanes);
    const small = new KeyTable<number>();
    small.reserve(LANES_FROM);
    expect(small.spread).toBe(false);
  });

  it("keeps insertion order while small", () => {
    const table = new KeyTable<number>();
    for (const k of ["b", "a", "c"]) table.set(k, 1);
    table.delete("a");
    table.set("a", 2);
    expect([...table.keys()]).toEqual(["b", "c", "a"]);
  });

  it("an iterator started before the spread visits every key present throughout exactly once", () => {
    const table = new KeyTable<number>();
    for (let i = 0; i < LANES_FROM; i++) table.set(`k${i}`, i);
    const it = table.keys();
    const seen: string[] = [];
    for (let i = 0; i < 100; i++) seen.push(it.next().value as string);
    expect(table.spread).toBe(false);
    table.delete("k500"); // deleted before the spread: never seen
    for (let i = 0; i < 10; i++) table.set(`new${i}`, i); // spreads
    expect(table.spread).toBe(true);
    table.delete("k600"); // deleted after the spread: skipped
    for (let r = it.next(); !r.done; r = it.next()) seen.push(r.value);
    const expected = Array.from({ length: LANES_FROM }, (_, i) => `k${i}`).filter((k) => k !== "k500" && k !== "k600");
    expect(seen.filter((k) => k.startsWith("k"))).toEqual(expected);
  });

  it("mapFor/setIn write where set would, counting and spreading the same", () => {
    const table = new KeyTable<number>();
    for (let i = 0; i <= LANES_FROM + 10; i++) {
      const key = `k${i % (LANES_FROM + 5)}`;
      const map = table.mapFor(key);
      expect(map.get(key)).toBe(table.get(key));
      table.setIn(map, key, i);
      expect(table.get(key)).toBe(i);
    }
    expect(table.spread).toBe(true);
    expect(table.size).toBe(LANES_FROM + 5);
    expect([...table.keys()].length).toBe(LANES_FROM + 5);
    expect(table.mapFor("k7")).toBe(table.mapFor("k7"));
    expect(table.mapFor("k7").get("k7")).toBe(7);
  });

  it("clear returns to one map", () => {
    const table = new KeyTable<number>();
    for (let i = 0; i <= LANES_FROM; i++) table.set(`k${i}`, i);
    expect(table.spread).toBe(true);
    table.clear();
    expect(table.spread).toBe(false);
    expect(table.size).toBe(0);
    expect(table.get("k1")).toBeUndefined();
    table.set("x", 1);
    expect([...table.keys()]).toEqual(["x"]);
  });

  it.each([
    ["counters", (i: number) => `${i}`],
    ["padded ids", (i: number) => `key:${i.toString().padStart(8, "0")}`],
    ["hex sessions", (i: number) => `session:${((i * 2654435761) >>> 0).toString(16)}`],
    ["an id before a fixed suffix", (i: number) => `user:${i}:profile`],
    ["an id in the middle of a long key", (i: number) => `tenant:acme:user:${i}:session:data:v2`],
    ["short prefixed ids", (i: number) => `id:${i}`],
    ["an id before a short suffix", (i: number) => `s:${i}:v1`],
    ["16-byte padded ids", (i: number) => `obj:${i.toString().padStart(12, "0")}`],
  ])("spreads %s over every lane, none above 1.3x the mean", (_name, key) => {
    const counts = new Array<number>(64).fill(0);
    const n = 64_000;
    for (let i = 0; i < n; i++) {
      const lane = laneOf(key(i), 6);
      counts[lane] = (counts[lane] ?? 0) + 1;
    }
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThan((1.3 * n) / 64);
    expect(laneOf("")).toBe(0);
    // Linear hashing splits a lane in two: a key's lane with fewer bits is its lane's low bits.
    for (const k of ["a", "b", key(7), key(12345)])
      for (let bits = 1; bits < 6; bits++) expect(laneOf(k, bits)).toBe(laneOf(k, 6) & ((1 << bits) - 1));
  });
});
