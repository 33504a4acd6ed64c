import { describe, expect, it } from "vitest";
import { INDEX_THRESHOLD } from "./dense-table.js";
import { HashValue } from "./hash-value.js";
import { SetValue } from "./set-value.js";
import { seededRandom } from "./testing.js";

/** A naive model to check the table against: a JS Map. */
function checkAgainst(set: SetValue, model: Set<string>): void {
  expect(set.size).toBe(model.size);
  expect([...set.nameList()].sort()).toEqual([...model].sort());
  for (const m of model) expect(set.has(m)).toBe(true);
  for (let slot = 0; slot < set.size; slot++) expect(set.find(set.nameAt(slot))).toBe(slot);
}

describe("DenseTable", () => {
  it("builds its index past the threshold and keeps it", () => {
    const s = new SetValue();
    for (let i = 0; i < INDEX_THRESHOLD; i++) s.add(`m${i}`);
    expect(s.indexed).toBe(false);
    s.add("one-more");
    expect(s.indexed).toBe(true);
    for (let i = 0; i < INDEX_THRESHOLD; i++) s.remove(`m${i}`);
    expect(s.size).toBe(1);
    expect(s.indexed).toBe(true); // never converted back, as in Redis
  });

  it("small tables remove in order; indexed tables swap the last slot in", () => {
    const small = SetValue.of(["a", "b", "c", "d"]);
    small.remove("b");
    expect(small.nameList()).toEqual(["a", "c", "d"]);
    const big = SetValue.of(Array.from({ length: 20 }, (_, i) => `m${i}`));
    big.remove("m3");
    expect(big.nameAt(3)).toBe("m19");
    expect(big.find("m19")).toBe(3);
    expect(big.find("m3")).toBe(-1);
  });

  it("keeps a hash's values in step with its fields through removals", () => {
    const h = new HashValue();
    for (let i = 0; i < 40; i++) h.set(`f${i}`, `v${i}`);
    for (let i = 0; i < 40; i += 4) h.remove(`f${i}`);
    for (let slot = 0; slot < h.size; slot++) expect(h.valueAt(slot)).toBe(`v${h.nameAt(slot).slice(1)}`);
  });

  it.each([1, 7, 42])("matches a Map model under random operations (seed %i)", (seed) => {
    const random = seededRandom(seed);
    const s = new SetValue();
    const model = new Set<string>();
    for (let step = 0; step < 3000; step++) {
      const m = `m${Math.floor(random() * 60)}`;
      const op = random();
      if (op < 0.5) expect(s.add(m)).toBe(!model.has(m));
      else if (op < 0.8) expect(s.remove(m)).toBe(model.has(m));
      else if (s.size > 0) {
        const slot = s.randomSlot(random);
        const name = s.nameAt(slot);
        s.removeAt(slot);
        expect(model.has(name)).toBe(true);
        model.delete(name);
      }
      if (op < 0.5) model.add(m);
      else if (op < 0.8) model.delete(m);
      if (step % 100 === 0) checkAgainst(s, model);
    }
    checkAgainst(s, model);
  });

  it("randomSlots gives distinct slots, each equally likely", () => {
    const s = SetValue.of(Array.from({ length: 50 }, (_, i) => `m${i}`));
    const random = seededRandom(3);
    const hits = new Array<number>(50).fill(0);
    for (let run = 0; run < 2000; run++) {
      const slots = s.randomSlots(10, random);
      expect(new Set(slots).size).toBe(10);
      for (const slot of slots) {
        expect(slot).toBeGreaterThanOrEqual(0);
        expect(slot).toBeLessThan(50);
        hits[slot] = (hits[slot] as number) + 1;
      }
    }
    for (const n of hits) {
      expect(n).toBeGreaterThan(400 * 0.75); // 2000 × 10 / 50 = 400 expected
      expect(n).toBeLessThan(400 * 1.25);
    }
    expect(s.randomSlots(50, random).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("scanNames on a small table skips names removed during the iteration", () => {
    const s = SetValue.of(["a", "b", "c", "d"]);
    const it = s.scanNames();
    expect(it.next().value).toBe("a");
    s.remove("c");
    s.add("e"); // added during the scan: may or may not be returned
    const rest: string[] = [];
    for (let r = it.next(); !r.done; r = it.next()) rest.push(r.value);
    expect(rest).toEqual(["b", "d"]);
  });

  it("scanNames on an indexed table is live and returns each surviving name once", () => {
    const names = Array.from({ length: 100 }, (_, i) => `m${i}`);
    const s = SetValue.of(names);
    const it = s.scanNames();
    const seen: string[] = [];
    for (let i = 0; i < 30; i++) seen.push(it.next().value as string);
    const removed = names.slice(50, 60);
    for (const m of removed) s.remove(m);
    for (let r = it.next(); !r.done; r = it.next()) seen.push(r.value);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual(names.filter((m) => !removed.includes(m)).sort());
  });

  it("clone keeps the representation and is independent", () => {
    const small = SetValue.of(["a"]).clone();
    expect(small.indexed).toBe(false);
    const big = SetValue.of(Array.from({ length: 30 }, (_, i) => `m${i}`));
    const copy = big.clone();
    expect(copy.indexed).toBe(true);
    copy.remove("m0");
    expect(big.find("m0")).toBe(0);
    expect(copy.find("m29")).toBe(0);
  });

  it("memory estimate counts names, values and the index", () => {
    const a = new HashValue();
    a.set("f", "v");
    const b = new HashValue();
    b.set("f", "v".repeat(1000));
    expect(b.memoryBytes() - a.memoryBytes()).toBeGreaterThanOrEqual(990);
    const s = SetValue.of(Array.from({ length: 16 }, (_, i) => `m${i}`));
    const before = s.memoryBytes();
    s.add("m16"); // builds the index: 17 entries
    expect(s.memoryBytes() - before).toBeGreaterThan(17 * 16);
  });
});
