import { describe, expect, it } from "vitest";
import { MAX_SLOTS, OpenKeyTable, SMALL_KEYS } from "./key-table-open.js";
import { seededRandom } from "./testing.js";

/** Key shapes: ids, counters, hex, an id inside a long key, binary digits (few byte values). */
const SHAPES: ((i: number) => string)[] = [
  (i) => `key:${i.toString().padStart(8, "0")}`,
  (i) => `${i}`,
  (i) => `session:${((i * 2654435761) >>> 0).toString(16)}`,
  (i) => `${"a".repeat(20)}${i.toString(36)}${"z".repeat(20)}`,
  (i) => (i + 65536).toString(2),
  (i) => (i === 0 ? "" : String.fromCharCode(i & 255, (i >> 8) & 255, 0)),
];

/** Checks the table against the model: size, every key's value, and the keys listed once each. */
function expectSame(table: OpenKeyTable<number>, model: Map<string, number>): void {
  expect(table.size).toBe(model.size);
  for (const [k, v] of model) if (table.get(k) !== v) expect({ key: k, got: table.get(k) }).toEqual({ key: k, got: v });
  const listed = [...table.keys()];
  expect(listed.length).toBe(model.size);
  expect(new Set(listed).size).toBe(model.size);
  expect(new Map(table.entries())).toEqual(model);
}

describe("OpenKeyTable", () => {
  it.each([
    { name: "one map", keys: 300, bounds: {} },
    { name: "spread, default bounds", keys: SMALL_KEYS * 4, bounds: {} },
    { name: "spread at once, tiny segments", keys: 5000, bounds: { smallKeys: 0, maxSlots: 16 } },
    { name: "small segments", keys: 20_000, bounds: { smallKeys: 64, maxSlots: 64 } },
  ])("behaves like a Map under random sets, deletes and reads ($name)", ({ keys, bounds }) => {
    const rnd = seededRandom(11);
    const table = new OpenKeyTable<number>(rnd, bounds);
    const model = new Map<string, number>();
    for (let op = 0; op < keys * 4; op++) {
      const key = SHAPES[op % SHAPES.length]?.(Math.floor(rnd() * keys)) as string;
      const r = rnd();
      // Phases: grow, then mostly delete (segments shrink), then grow again.
      const deleteShare = op < keys * 1.5 ? 0.15 : op < keys * 3 ? 0.7 : 0.2;
      if (r < deleteShare) {
        if (table.delete(key) !== model.delete(key)) expect({ op, key }).toBe("the model's delete answer");
      } else if (r < deleteShare + 0.5) {
        table.set(key, op);
        model.set(key, op);
      } else if (table.get(key) !== model.get(key) || table.has(key) !== model.has(key)) {
        expect({ op, key, got: table.get(key) }).toEqual({ op, key, got: model.get(key) });
      }
      if (op % 4999 === 0) expect(table.size).toBe(model.size);
    }
    expectSame(table, model);
    if (keys > (bounds.smallKeys ?? SMALL_KEYS)) {
      expect(table.spread).toBe(true);
      expect(table.rebuilds).toBeGreaterThan(0);
    }
  });

  it("never makes a segment larger than its bound, and keeps every key through splits", () => {
    const maxSlots = 64;
    const table = new OpenKeyTable<number>(seededRandom(3), { smallKeys: 32, maxSlots });
    for (let i = 0; i < 50_000; i++) table.set(`user:${i}:profile`, i);
    expect(Math.max(...table.segmentSlots())).toBeLessThanOrEqual(maxSlots);
    expect(table.segmentSizes().reduce((a, b) => a + b, 0)).toBe(50_000);
    // Every segment at most MAX_LOAD full, and (just grown or split) not far under it on average.
    const slots = table.segmentSlots().reduce((a, b) => a + b, 0);
    expect(50_000 / slots).toBeGreaterThan(0.5);
    for (let i = 0; i < 50_000; i += 7) expect(table.get(`user:${i}:profile`)).toBe(i);
    expect(table.get("user:50000:profile")).toBeUndefined();
  });

  it("gives back an emptied segment's slots, and a mostly deleted one's when inserts fill its tombstones", () => {
    const table = new OpenKeyTable<number>(seededRandom(5), { smallKeys: 16, maxSlots: 128 });
    for (let i = 0; i < 20_000; i++) table.set(`k${i}`, i);
    const slots = (): number => table.segmentSlots().reduce((a, b) => a + b, 0);
    const full = slots();
    // 98 % deleted: tombstones, every remaining key still found.
    for (let i = 0; i < 20_000; i++) if (i % 50 !== 0) expect(table.delete(`k${i}`)).toBe(true);
    expect(table.size).toBe(400);
    for (let i = 0; i < 20_000; i++) expect(table.get(`k${i}`)).toBe(i % 50 === 0 ? i : undefined);
    expect(table.delete("k1")).toBe(false);
    // New keys reuse tombstones, then rebuild each segment for its live keys.
    for (let i = 0; i < 4000; i++) table.set(`n${i}`, i);
    expect(table.size).toBe(4400);
    expect(slots()).toBeLessThan(full / 2);
    for (let i = 0; i < 4000; i++) expect(table.get(`n${i}`)).toBe(i);
    for (let i = 0; i < 20_000; i += 50) expect(table.get(`k${i}`)).toBe(i);
    // Everything deleted: every segment is back to the smallest.
    for (const key of [...table.keys()]) table.delete(key);
    expect(table.size).toBe(0);
    expect(Math.max(...table.segmentSlots())).toBeLessThanOrEqual(8);
    table.set("again", 1);
    expect(table.get("again")).toBe(1);
  });

  it("an iterator visits every key present throughout exactly once while segments split, grow and shrink", () => {
    for (const seed of [1, 2, 3]) {
      const rnd = seededRandom(seed);
      const table = new OpenKeyTable<number>(rnd, { smallKeys: 50, maxSlots: 32 });
      const model = new Map<string, number>();
      for (let i = 0; i < 40; i++) {
        table.set(`s${i}`, i);
        model.set(`s${i}`, i);
      }
      // Started while small: the spread happens during the walk.
      const iters = [table.keys()];
      const seen = [new Map<string, number>()];
      const stable = [new Set(model.keys())];
      for (let step = 0; step < 6000; step++) {
        const k = `s${Math.floor(rnd() * 3000)}`;
        if (rnd() < 0.35) {
          table.delete(k);
          model.delete(k);
          for (const s of stable) s.delete(k);
        } else {
          table.set(k, step);
          model.set(k, step);
        }
        if (step % 1500 === 0) {
          iters.push(table.keys());
          seen.push(new Map());
          stable.push(new Set(model.keys()));
        }
        for (let j = 0; j < iters.length; j++) {
          const r = (iters[j] as IterableIterator<string>).next();
          if (!r.done) {
            const m = seen[j] as Map<string, number>;
            m.set(r.value, (m.get(r.value) ?? 0) + 1);
            // Never a key deleted before it was listed.
            expect(table.has(r.value)).toBe(true);
          }
        }
      }
      for (let j = 0; j < iters.length; j++) {
        const m = seen[j] as Map<string, number>;
        for (const key of iters[j] as IterableIterator<string>) m.set(key, (m.get(key) ?? 0) + 1);
        for (const [key, n] of m) if (n !== 1) expect({ key, n }).toEqual({ key, n: 1 });
        for (const key of stable[j] as Set<string>) if (!m.has(key)) expect({ missed: key }).toBe("listed");
      }
      expectSame(table, model);
    }
  });

  it("keeps insertion order while small, and clear returns to one map", () => {
    const table = new OpenKeyTable<number>();
    for (const k of ["c", "a", "b"]) table.set(k, 1);
    expect([...table.keys()]).toEqual(["c", "a", "b"]);
    for (let i = 0; i < SMALL_KEYS + 10; i++) table.set(`k${i}`, i);
    expect(table.spread).toBe(true);
    const it = table.keys();
    it.next();
    table.clear();
    expect(table.size).toBe(0);
    expect(table.spread).toBe(false);
    // An iterator from before the clear lists nothing more: every key it holds was deleted.
    expect([...it]).toEqual([]);
    table.set("x", 1);
    expect([...table.entries()]).toEqual([["x", 1]]);
  });

  it("lays out an empty table for a bulk load that then grows and splits nothing", () => {
    const table = new OpenKeyTable<number>(seededRandom(8));
    const n = 200_000;
    table.layout([], n);
    expect(table.spread).toBe(true);
    for (let i = 0; i < n; i++) table.set(`key:${i}`, i);
    expect(table.rebuilds).toBe(0);
    expect(Math.max(...table.segmentSlots())).toBeLessThanOrEqual(MAX_SLOTS);
    for (let i = 0; i < n; i += 101) expect(table.get(`key:${i}`)).toBe(i);
    // Only an empty, unspread table is laid out.
    const busy = new OpenKeyTable<number>();
    busy.set("a", 1);
    busy.layout([], n);
    expect(busy.spread).toBe(false);
  });

  it("keeps every segment within its bound when a split's keys fall mostly on one side", () => {
    // Different seeds, same keys: the bound holds for any seed.
    for (const seed of [1, 99]) {
      const table = new OpenKeyTable<number>(seededRandom(seed), { smallKeys: 0, maxSlots: 16 });
      for (let i = 0; i < 3000; i++) table.set(String.fromCharCode(i & 1, (i >> 1) & 255, i >> 9), i);
      expect(table.size).toBe(3000);
      expect(Math.max(...table.segmentSlots())).toBeLessThanOrEqual(16);
    }
  });
});

describe("OpenKeyTable deadlines", () => {
  const NOW = 1_780_000_000_000;
  /** Deadlines of every kind a caller may store: near, far, fractional, tiny, negative, huge. */
  const deadline = (r: number): number => {
    const pick = Math.floor(r * 6);
    if (pick === 0) return NOW + Math.floor(r * 1e6);
    if (pick === 1) return NOW + 90 * 86_400_000 + Math.floor(r * 1e6);
    if (pick === 2) return NOW + r;
    if (pick === 3) return Math.floor(r * 2000) - 1000;
    if (pick === 4) return -0;
    return 2 ** 60 + Math.floor(r * 8) * 2 ** 10;
  };

  it.each([
    { name: "one map", keys: 300, bounds: {} },
    { name: "spread, default bounds", keys: SMALL_KEYS * 3, bounds: {} },
    { name: "spread at once, tiny segments", keys: 3000, bounds: { smallKeys: 0, maxSlots: 16 } },
    { name: "spreading mid-way, small segments", keys: 6000, bounds: { smallKeys: 500, maxSlots: 64 } },
  ])(
    "keep each key's deadline like a second Map, through sets, deletes, rebuilds and splits ($name)",
    ({ keys, bounds }) => {
      const rnd = seededRandom(5);
      const table = new OpenKeyTable<number>(rnd, bounds);
      const values = new Map<string, number>();
      const at = new Map<string, number>();
      for (let op = 0; op < keys * 6; op++) {
        const key = SHAPES[op % SHAPES.length]?.(Math.floor(rnd() * keys)) as string;
        const r = rnd();
        const deleteShare = op < keys * 2 ? 0.1 : op < keys * 4 ? 0.6 : 0.15;
        if (r < deleteShare) {
          expect(table.delete(key)).toBe(values.delete(key));
          at.delete(key); // a deleted key loses its deadline
        } else if (r < deleteShare + 0.3) {
          table.set(key, op); // an overwrite keeps the deadline
          values.set(key, op);
        } else if (r < deleteShare + 0.55) {
          const d = deadline(rnd());
          expect(table.setDeadline(key, d)).toBe(values.has(key));
          if (values.has(key)) at.set(key, d);
        } else if (r < deleteShare + 0.6) {
          expect(table.deleteDeadline(key)).toBe(at.delete(key));
        } else if (r < deleteShare + 0.6005) {
          table.clear();
          values.clear();
          at.clear();
        } else {
          const want = at.get(key);
          expect(table.deadlineOf(key)).toBe(want);
          for (const now of want === undefined ? [NOW] : [want - 1, want, want + 1, want + 0.5]) {
            expect(table.isPast(key, now)).toBe(want !== undefined && now > want);
          }
        }
        if (op % 997 === 0) expect(table.deadlineCount).toBe(at.size);
      }
      expect(table.size).toBe(values.size);
      expect(table.deadlineCount).toBe(at.size);
      for (const [k] of values) expect(table.deadlineOf(k)).toBe(at.get(k));
    },
  );

  it("refuses a NaN deadline and a deadline for an absent key", () => {
    const table = new OpenKeyTable<number>(seededRandom(1), { smallKeys: 0 });
    expect(table.setDeadline("a", NOW)).toBe(false);
    table.set("a", 1);
    expect(() => table.setDeadline("a", Number.NaN)).toThrow(RangeError);
    expect(table.deadlineCount).toBe(0);
    expect(table.setDeadline("a", NOW)).toBe(true);
    expect(table.deadlineOf("a")).toBe(NOW);
    expect(table.deadlineCount).toBe(1);
  });
});
