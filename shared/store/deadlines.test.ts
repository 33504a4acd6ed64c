import { describe, expect, it } from "vitest";
import { Deadlines } from "./deadlines.js";
import { seededRandom } from "./testing.js";

const NOW = 1_780_000_000_000;

describe("Deadlines", () => {
  it.each([
    ["near integers", (r: number) => NOW + Math.floor(r * 86_400_000)],
    [
      "mixed: near, far, fractional, tiny, huge",
      (r: number) => {
        const pick = Math.floor(r * 5);
        if (pick === 0) return NOW + Math.floor(r * 1e6);
        if (pick === 1) return NOW + 90 * 86_400_000 + Math.floor(r * 1e6);
        if (pick === 2) return NOW + r;
        if (pick === 3) return Math.floor(r * 2000) - 1000;
        return 2 ** 60 + Math.floor(r * 8) * 2 ** 10;
      },
    ],
  ])("returns exactly the deadline set, like a Map (%s)", (_name, deadline) => {
    const table = new Deadlines();
    const model = new Map<string, number>();
    const rnd = seededRandom(3);
    for (let op = 0; op < 20_000; op++) {
      const key = `k${Math.floor(rnd() * 500)}`;
      const r = rnd();
      if (r < 0.5) {
        const at = deadline(rnd());
        table.set(key, at);
        model.set(key, at);
      } else if (r < 0.7) {
        expect(table.delete(key)).toBe(model.delete(key));
      } else if (r < 0.701) {
        table.clear();
        model.clear();
      } else {
        expect(table.get(key)).toBe(model.get(key));
        // isPast is get() compared to now (expired once now > deadline), at, before and after it.
        const at = model.get(key);
        for (const now of at === undefined ? [NOW] : [at - 1, at, at + 1, at + 0.5]) {
          expect(table.isPast(key, now)).toBe(at !== undefined && now > at);
        }
      }
      expect(table.size).toBe(model.size);
    }
  });

  it("moves a key between the near and far tables when its deadline changes", () => {
    const table = new Deadlines();
    table.set("a", NOW);
    table.set("b", NOW + 1000);
    table.set("b", NOW + 10 ** 12); // far
    expect(table.get("b")).toBe(NOW + 10 ** 12);
    expect(table.size).toBe(2);
    table.set("b", NOW + 5); // near again
    expect(table.get("b")).toBe(NOW + 5);
    expect(table.size).toBe(2);
    expect(table.delete("b")).toBe(true);
    expect(table.delete("b")).toBe(false);
    expect(table.get("b")).toBeUndefined();
    expect(table.get("a")).toBe(NOW);
  });
});
