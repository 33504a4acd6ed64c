import { describe, expect, it } from "vitest";
import { parseScanCursor } from "./parse.js";
import type { Reply } from "./reply.js";
import type { Arg } from "./store.js";
import { createTestStore, err, expectSameReply, type TestStore } from "./testing.js";

/*
 * Cursor parsing shared by SCAN, HSCAN, SSCAN and ZSCAN. The accepted and refused forms were
 * checked against Redis 7.0.15 (`strtoul` in parseScanCursorOrReply).
 */

describe("parseScanCursor", () => {
  it.each([
    ["0", "0"],
    ["+0", "0"],
    ["-0", "0"],
    ["000", "0"],
    ["", "0"],
    ["7", "7"],
    ["007", "7"],
    ["+7", "7"],
    ["+007", "7"],
    ["0000000000000000000000000000001", "1"],
    ["18446744073709551615", "18446744073709551615"],
    ["+18446744073709551615", "18446744073709551615"],
    ["-1", "18446744073709551615"],
    ["-18446744073709551615", "1"],
  ])("%j is cursor %j", (arg, expected) => {
    expect(parseScanCursor(arg)).toBe(expected);
  });

  it.each([
    " 0",
    "0 ",
    "1a",
    "abc",
    "++0",
    "+-0",
    "+",
    "-",
    "0x1",
    "1e3",
    "1.0",
    "18446744073709551616",
    "-18446744073709551616",
    "9999999999999999999999",
  ])("%j is ERR invalid cursor", (arg) => {
    expect(() => parseScanCursor(arg)).toThrow("ERR invalid cursor");
  });
});

/** One SCAN-family command over a store holding one big collection (so cursors get parked). */
interface Family {
  name: string;
  /** Fills the store; every scan must then take several pages at COUNT 5. */
  fill(t: TestStore): void;
  /** The command for a cursor, over the filled collection (or `key`). */
  scan(cursor: string, key?: string): Arg[];
  /** The names a page's items hold (keys, members or fields). */
  names(items: string[]): string[];
  /** Every name the filled collection holds. */
  all: string[];
  /** Whether a scan of a missing key answers an empty page (all but SCAN). */
  keyed: boolean;
}

const N = 200;
const names = Array.from({ length: N }, (_, i) => `e${i}`);
const everyOther = (items: string[]) => items.filter((_, i) => i % 2 === 0);

const families: Family[] = [
  {
    name: "SCAN",
    fill: (t) => {
      for (const n of names) t.ok("SET", n, "v");
    },
    scan: (cursor) => ["SCAN", cursor, "COUNT", "5"],
    names: (items) => items,
    all: names,
    keyed: false,
  },
  {
    name: "HSCAN",
    fill: (t) => {
      t.ok("HSET", "k", ...names.flatMap((n) => [n, "v"]));
    },
    scan: (cursor, key = "k") => ["HSCAN", key, cursor, "COUNT", "5"],
    names: everyOther,
    all: names,
    keyed: true,
  },
  {
    name: "SSCAN",
    fill: (t) => {
      t.ok("SADD", "k", ...names);
    },
    scan: (cursor, key = "k") => ["SSCAN", key, cursor, "COUNT", "5"],
    names: (items) => items,
    all: names,
    keyed: true,
  },
  {
    name: "ZSCAN",
    fill: (t) => {
      t.ok("ZADD", "k", ...names.flatMap((n, i) => [String(i), n]));
    },
    scan: (cursor, key = "k") => ["ZSCAN", key, cursor, "COUNT", "5"],
    names: everyOther,
    all: names,
    keyed: true,
  },
];

function filled(f: Family): TestStore {
  const t = createTestStore();
  f.fill(t);
  return t;
}

/** Runs a scan and returns its next cursor and item names. */
function page(t: TestStore, f: Family, cursor: string): [string, string[]] {
  const [next, items] = t.ok(...f.scan(cursor)) as [string, string[]];
  return [next, f.names(items)];
}

const zeroForms = ["0", "+0", "-0", "000", ""];
const badForms = [" 0", "0 ", "1a", "++0", "+", "-", "0x1", "1e3", "18446744073709551616", "-18446744073709551616"];
const unknownIds = ["12345", "-1", "18446744073709551615", "+999"];

describe.each(families)("$name cursor", (f) => {
  it.each(zeroForms)("%j starts a new scan", (zero) => {
    const t = filled(f);
    const [, first] = page(t, f, "0");
    const [next, again] = page(t, f, zero);
    expect(next).not.toBe("0");
    expect(again).toEqual(first);
  });

  it.each([
    ["leading zeros", (c: string) => `00${c}`],
    ["a plus sign", (c: string) => `+${c}`],
    ["both", (c: string) => `+000${c}`],
  ])("a parked cursor written with %s resumes it", (_, spell) => {
    const t = filled(f);
    const seen: string[] = [];
    let cursor = "0";
    let pages = 0;
    do {
      const [next, got] = page(t, f, pages === 0 ? cursor : spell(cursor));
      seen.push(...got);
      cursor = next;
      pages++;
    } while (cursor !== "0" && pages < 1000);
    expect(pages).toBeGreaterThan(2);
    expect([...seen].sort()).toEqual([...f.all].sort());
  });

  it.each(badForms)("%j is ERR invalid cursor", (bad) => {
    const t = filled(f);
    expectSameReply(t.run(...f.scan(bad)), err("INVALID_CURSOR", "ERR invalid cursor"));
    if (f.keyed) {
      // Checked before the key is looked at, as in Redis.
      expectSameReply(t.run(...f.scan(bad, "missing")), err("INVALID_CURSOR", "ERR invalid cursor"));
    }
  });

  it.each(unknownIds)("the unparked id %j is ERR invalid cursor", (id) => {
    const t = filled(f);
    page(t, f, "0"); // parks cursor "1"
    expectSameReply(t.run(...f.scan(id)), err("INVALID_CURSOR", "ERR invalid cursor"));
    if (f.keyed) {
      // A missing key has nothing to resume: an empty, complete page, as in Redis.
      expectSameReply(t.run(...f.scan(id, "missing")), ["0", []] as Reply);
    }
  });
});
