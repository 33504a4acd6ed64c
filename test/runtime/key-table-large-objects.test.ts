import { getHeapSpaceStatistics } from "node:v8";
import { describe, expect, it } from "vitest";
import { KeyTable, LANE_SPLIT } from "../../shared/store/key-table.js";

/** Bytes of live and not-yet-collected objects in V8's large-object spaces (young and old). */
function largeObjectBytes(): number {
  let bytes = 0;
  for (const s of getHeapSpaceStatistics()) {
    if (s.space_name === "large_object_space" || s.space_name === "new_large_object_space") bytes += s.space_used_size;
  }
  return bytes;
}

// Node only (V8's heap statistics): the browser project runs shared/'s own key-table tests.
describe("KeyTable lane tables stay regular V8 objects", () => {
  it("a full lane splits without first doubling its table into a large object", () => {
    const table = new KeyTable<number>();
    for (let i = 0; i < LANE_SPLIT; i++) table.set(`key:${i.toString().padStart(8, "0")}`, i);
    expect(table.spread).toBe(false);
    // The full first lane's table (capacity LANE_SPLIT) is under V8's 128 KB regular-object size.
    const before = largeObjectBytes();
    table.set(`key:${LANE_SPLIT.toString().padStart(8, "0")}`, LANE_SPLIT);
    const grown = largeObjectBytes() - before;
    expect(table.spread).toBe(true);
    // Inserting before the split doubled the table to capacity 2 × LANE_SPLIT: 229,416 bytes at 4096.
    expect(grown).toBeLessThan(64 * 1024);
    for (let i = 0; i <= LANE_SPLIT; i += 511) expect(table.get(`key:${i.toString().padStart(8, "0")}`)).toBe(i);
  });

  it("no lane table of a 100k-key table is a large object", () => {
    const before = largeObjectBytes();
    const table = new KeyTable<number>();
    for (let i = 0; i < 100_000; i++) table.set(`k${((i * 2654435761) >>> 0).toString(36)}`, i);
    expect(table.laneCount).toBeGreaterThan(1);
    expect(Math.max(...table.laneSizes())).toBeLessThanOrEqual(LANE_SPLIT);
    // Every large object allocated meanwhile (a doubled full lane) would still count until a GC frees it;
    // allow for one: the table's own fork arrays are small.
    expect(largeObjectBytes() - before).toBeLessThan(200 * 1024);
  });
});
