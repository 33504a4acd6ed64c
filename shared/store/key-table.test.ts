import { describe, expect, it } from "vitest";
import { KeyTable, LANE_SPLIT } from "./key-table.js";

const LANES_FROM = LANE_SPLIT;

import { seededRandom } from "./testing.js";

/** Key shapes every lane bound is tested on. */
const SHAPES: [string, (i: number) => string][] = [
  ["padded ids", (i: number) => `key:${i.toString().padStart(8, "0")}`],
  ["counters", (i: number) => `${i}`],
  ["hex sessions", (i: number) => `session:${((i * 2654435761) >>> 0).toString(16)}`],
  ["an id before a fixed suffix", (i: number) => `user:${i}:profile`],
  ["an id in the middle of a long key", (i: number) => `tenant:acme:user:${i}:session:data:v2`],
  // 16 bytes, the id first: the old 9-byte lane hash read only its last digit (10 lanes at most).
  ["a padded id before a suffix, 16 bytes", (i: number) => `${i.toString().padStart(6, "0")}:profile:v`],
  // Keys alike in their first and last 16 bytes: no byte a fork may read tells them apart.
  ["an id deep inside a long key", (i: number) => `${"a".repeat(20)}${i.toString(36)}${"z".repeat(20)}`],
  // Two values per byte: a byte fork only halves a lane.
  ["binary digits", (i: number) => (i + 65536).toString(2)],
];

describe("KeyTable", () => {
  it.each([
    { name: "one map", keys: 300, shardLimit: undefined },
    { name: "spread into lanes", keys: LANES_FROM * 2, shardLimit: undefined },
    { name: "spread, small shards", keys: LANES_FROM * 2, shardLimit: 512 },
    { name: "spread, splitting lanes every 64 keys", keys: LANES_FROM * 3, shardLimit: undefined, splitAt: 64 },
    { name: "splitting lanes every 8 keys", keys: 20_000, shardLimit: undefined, splitAt: 8 },
    { name: "splitting lanes, small shards", keys: LANES_FROM * 1.5, shardLimit: 2000, splitAt: 64 },
  ])("behaves like a Map under random operations ($name)", ({ keys, shardLimit, splitAt }) => {
    const table = new KeyTable<number>(shardLimit, splitAt);
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
    // Spread once it held more than one lane's bound (a table never merges back).
    // (A lane at its shard limit overflows instead.)
    if (shardLimit === undefined) expect(table.spread).toBe(keys > (splitAt ?? LANES_FROM));
    expect(new Map(table.entries())).toEqual(model);
    const listed = [...table.keys()];
    expect(listed.length).toBe(model.size);
    expect(new Set(listed)).toEqual(new Set(model.keys()));
  });

  it.each(SHAPES)("bounds every lane and the lookup depth on %s", (_name, key) => {
    const bound = 128;
    const n = 30_000;
    const table = new KeyTable<number>(undefined, bound);
    for (let i = 0; i < n; i++) table.set(key(i), i);
    const sizes = table.laneSizes();
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
    // A full lane splits before it takes another key, so no lane holds more than the bound (its
    // table never doubles past it: LANE_SPLIT's large-object limit), unless no byte and no hash
    // tells its keys apart.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(bound);
    expect(table.laneCount).toBeGreaterThanOrEqual(n / bound);
    // Each fork at least halves what it splits: the depth stays logarithmic.
    expect(table.depth()).toBeLessThanOrEqual(Math.ceil(Math.log2(n / bound)) + 2);
    for (let i = 0; i < n; i += 97) expect(table.get(key(i))).toBe(i);
  });

  it.each(SHAPES)("never lets a lane hold more than its bound, even for one insert, on %s", (name, key) => {
    // A full lane splits before it takes the key: inserting first doubles its table (at the default
    // bound, a 229 KB large object: LANE_SPLIT) only for the split to drop it.
    const table = new KeyTable<number>(undefined, 16, seededRandom(7));
    for (let i = 0; i < 2000; i++) {
      table.set(key(i), i);
      const most = Math.max(...table.laneSizes());
      if (most > (name === "binary digits" ? 64 : 16)) expect({ i, most }).toBe("within the bound");
    }
    expect(table.size).toBe(2000);
  });

  it.each(SHAPES)(
    "lays out a bulk load of %s from a spread sample: few splits, lanes as full as grown ones",
    (_n, key) => {
      const bound = 512;
      const n = 60_000;
      const grown = new KeyTable<number>(undefined, bound, seededRandom(1));
      for (let i = 0; i < n; i++) grown.set(key(i), i);
      // A snapshot's order: lane by lane of the table that wrote it (its first keys are one lane's).
      const order = [...grown.keys()];
      const reloaded = new KeyTable<number>(undefined, bound, seededRandom(2));
      for (const k of order) reloaded.set(k, 0);
      const table = new KeyTable<number>(undefined, bound, seededRandom(3));
      table.layout(
        order.filter((_k, i) => i % 8 === 0),
        n,
      );
      expect(table.spread).toBe(true);
      for (const k of order) table.set(k, 0);
      const sizes = table.laneSizes();
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(bound + 1);
      expect(table.depth()).toBeLessThanOrEqual(Math.ceil(Math.log2(n / bound)) + 2);
      const figures = JSON.stringify({
        splits: table.splits,
        reloaded: reloaded.splits,
        lanes: table.laneCount,
        grown: grown.laneCount,
      });
      expect(table.splits, figures).toBeLessThanOrEqual(Math.max(2, reloaded.splits / 10));
      expect(table.laneCount / grown.laneCount, figures).toBeGreaterThan(0.8);
      expect(table.laneCount / grown.laneCount, figures).toBeLessThan(1.25);
      for (let i = 0; i < n; i += 97) expect(table.get(key(i))).toBe(0);
    },
  );

  it.each(SHAPES)(
    "loses no key to a split, a collapse or a lane's first write on %s (checked after every split)",
    (name, key) => {
      // Lanes of 16: hundreds of splits, collapsed forks, hashed forks and empty
      // kids given their map.
      const table = new KeyTable<number>(undefined, 16, seededRandom(5), true);
      const model = new Map<string, number>();
      const rnd = seededRandom(6);
      const n = 3000;
      const check = (when: string) => {
        expect(table.size, when).toBe(model.size);
        // Every key in exactly one live lane: none left behind in a replaced map, none in two lanes.
        const sizes = table.laneSizes();
        expect(
          sizes.reduce((a, b) => a + b, 0),
          when,
        ).toBe(model.size);
        // And split when due: no lane grows past its bound unsplit (binary digits: a split of 16 keys
        // on a byte of two values may leave 15 in one kid, so the lane waits to double, and again).
        expect(Math.max(...sizes), when).toBeLessThanOrEqual(name === "binary digits" ? 64 : 16);
        for (const [k, v] of model) if (table.get(k) !== v) expect({ when, k, got: table.get(k) }).toBe(v);
      };
      let splits = 0;
      for (let op = 0; op < n * 2; op++) {
        const i = Math.floor(rnd() * n);
        if (rnd() < 0.8) {
          // Half of the writes through mapFor/setIn, as the store's SET does.
          if (op % 2 === 0) table.set(key(i), op);
          else table.setIn(table.mapFor(key(i)), key(i), op);
          model.set(key(i), op);
        } else expect(table.delete(key(i))).toBe(model.delete(key(i)));
        if (table.splits !== splits) {
          splits = table.splits;
          check(`after split ${splits} (op ${op})`);
        }
      }
      expect(splits).toBeGreaterThan(10);
      check("at the end");
      expect(new Map(table.entries())).toEqual(model);
    },
  );

  it("collapses twice over (wide) without losing a key: ids shuffled, then half deleted and re-added", () => {
    const rnd = seededRandom(8);
    const ids = Array.from({ length: 10_000 }, (_, i) => i);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
    }
    const key = (i: number) => `key:${i.toString().padStart(8, "0")}`;
    const wide = new KeyTable<number>(undefined, 16, seededRandom(9), true);
    const narrow = new KeyTable<number>(undefined, 16, seededRandom(9));
    for (const i of ids) {
      wide.set(key(i), i);
      narrow.set(key(i), i);
    }
    // Lanes of 10 keys by the last three digits: one fork deep once it reads three bytes, two if not.
    expect([wide.depth(), narrow.depth()]).toEqual([1, 2]);
    expect(wide.laneCount).toBe(narrow.laneCount);
    const all = () => {
      for (const i of ids) if (wide.get(key(i)) !== narrow.get(key(i))) expect([i, wide.get(key(i))]).toBe("as narrow");
    };
    all();
    for (let i = 0; i < ids.length; i += 2) expect(wide.delete(key(i))).toBe(true);
    for (let i = 0; i < ids.length; i += 2) narrow.delete(key(i));
    all();
    for (let i = 0; i < ids.length; i += 4) {
      wide.set(key(i), -i);
      narrow.set(key(i), -i);
    }
    all();
    expect(wide.size).toBe(7_500);
    expect(new Map(wide.entries())).toEqual(new Map(narrow.entries()));
  });

  it("lays out only an empty table, and only past one lane", () => {
    const sample = Array.from({ length: 4000 }, (_v, i) => `k${i * 7}`);
    const small = new KeyTable<number>(undefined, 512);
    small.layout(sample, 400);
    expect(small.spread).toBe(false);
    const used = new KeyTable<number>(undefined, 512);
    used.set("a", 1);
    used.layout(sample, 40_000);
    expect(used.spread).toBe(false);
    expect([...used.entries()]).toEqual([["a", 1]]);
    // A sample too small to model the forks (under 32 keys per lane bound): nothing laid out.
    const thin = new KeyTable<number>(undefined, 512);
    thin.layout(sample.slice(0, 100), 40_000);
    expect(thin.spread).toBe(false);
  });

  it("reads few bytes per lookup on ids: 1M padded ids end in 1000 lanes, one fork deep (collapsed over three bytes)", () => {
    // The default bound on the benchmarks' keys (a key's lane is three byte reads and one array
    // load away) and lanes of ~1000 keys (98 % of a 1024-entry Map table: the memory per key of
    // evenly hashed lanes).
    const table = new KeyTable<number>(undefined, undefined, undefined, true);
    for (let i = 0; i < 1_000_000; i++) table.set(`key:${i.toString().padStart(8, "0")}`, i);
    expect(LANE_SPLIT).toBe(4096);
    expect(table.depth()).toBe(1);
    expect(table.laneCount).toBe(1000);
    expect(Math.max(...table.laneSizes())).toBe(1000);
  });

  it("an iterator visits every key present throughout exactly once while lanes split under it", () => {
    const table = new KeyTable<number>(undefined, 64);
    const n = 131_000;
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

  it("collapses a fork whose kids all fork on one byte, whatever the insertion order", () => {
    // 100k padded ids inserted shuffled, lanes of 64: four byte reads; two levels once collapsed.
    const rnd = seededRandom(3);
    const ids = Array.from({ length: 100_000 }, (_, i) => i);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
    }
    const key = (i: number) => `key:${i.toString().padStart(8, "0")}`;
    const table = new KeyTable<number>(undefined, 64);
    for (const i of ids) table.set(key(i), i);
    expect(table.depth()).toBe(2);
    expect(Math.max(...table.laneSizes())).toBeLessThanOrEqual(65);
    expect(table.laneSizes().reduce((a, b) => a + b, 0)).toBe(ids.length);
    expect([...table.keys()].length).toBe(ids.length); // each lane once, though a collapsed fork lists an empty kid 64 times
    for (let i = 0; i < ids.length; i += 7) expect(table.get(key(i))).toBe(i);
    for (let i = 0; i < ids.length; i += 2) expect(table.delete(key(i))).toBe(true);
    expect(table.size).toBe(ids.length / 2);
    expect(table.get(key(1))).toBe(1);
    expect(table.has(key(2))).toBe(false);
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
});
