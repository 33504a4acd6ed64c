import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { MAX_SLOTS, OpenKeyTable } from "../../shared/store/key-table-open.js";

setFlagsFromString("--expose-gc");
/** A full GC (vitest's workers have no global `gc`). */
const gc = runInNewContext("gc") as () => void;

/** Bytes of live objects in V8's large-object spaces (young and old), after a full GC. */
function largeObjectBytes(): number {
  gc();
  let bytes = 0;
  for (const s of getHeapSpaceStatistics()) {
    if (s.space_name === "large_object_space" || s.space_name === "new_large_object_space") bytes += s.space_used_size;
  }
  return bytes;
}

// Node only (V8's heap statistics): the browser project runs shared/'s own key-table tests.
describe("OpenKeyTable segments stay regular V8 objects", () => {
  it("no live segment of a 380k-key table with deadlines is a large object, grown or drained", () => {
    const before = largeObjectBytes();
    const table = new OpenKeyTable<number>();
    // ~5.9k keys in each of 64 segments: the largest ones are near MAX_SLOTS, about to split.
    const n = 380_000;
    const key = (i: number): string => `k${((i * 2654435761) >>> 0).toString(36)}:${i}`;
    for (let i = 0; i < n; i++) {
      table.set(key(i), i);
      table.setDeadline(key(i), 1_780_000_000_000 + i);
    }
    expect(table.deadlineCount).toBe(n);
    expect(Math.max(...table.segmentSlots())).toBeLessThanOrEqual(MAX_SLOTS);
    // A segment's key/value array is ≤ 128,000 B (tags and deadlines are ArrayBuffers, outside
    // the heap); the directory (8 B per entry) is the only large candidate, far under it here.
    // Allow for one stray large object of the test runner.
    expect(largeObjectBytes() - before).toBeLessThan(200 * 1024);
    // A mass expiry: every key deleted; emptied segments become the smallest, none is rebuilt large.
    for (let i = 0; i < n; i++) expect(table.delete(key(i))).toBe(true);
    expect(table.size).toBe(0);
    expect(table.deadlineCount).toBe(0);
    expect(Math.max(...table.segmentSlots())).toBeLessThanOrEqual(8);
    expect(largeObjectBytes() - before).toBeLessThan(200 * 1024);
  });
});
