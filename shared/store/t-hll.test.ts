import { describe, expect, it } from "vitest";
import { HLL_DENSE_SIZE, HLL_SPARSE_MAX_BYTES, murmurHash64A } from "./hyperloglog.js";
import { StagedRepository } from "./staged-repository.test-helpers.js";
import { createStore } from "./store.js";
import { createTestStore, plainError as error, peek, runPlain } from "./testing.js";

/*
 * HyperLogLog commands, table-driven from Redis 7.0's documented behaviour. Exactness against
 * redis-server (bytes and counts) is test/redis-compat/hyperloglog-differential.test.ts.
 */

const raw = (commands: string[][]): Uint8Array[][] =>
  commands.map((c) => c.map((a) => Uint8Array.from(a, (ch) => ch.charCodeAt(0))));

const EMPTY_SPARSE = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff";
const NOT_HLL = error("WRONGTYPE Key is not a valid HyperLogLog string value.");
const CORRUPT = error("INVALIDOBJ Corrupted HLL object detected");

describe("HyperLogLog replies (table)", () => {
  const cases: [name: string, commands: string[][], expected: unknown][] = [
    ["PFADD creates and reports a change", [["PFADD", "h", "a", "b", "c"]], 1],
    [
      "PFADD of nothing on a new key creates it",
      [
        ["PFADD", "h"],
        ["EXISTS", "h"],
      ],
      1,
    ],
    [
      "PFADD of nothing on an existing key",
      [
        ["PFADD", "h", "a"],
        ["PFADD", "h"],
      ],
      0,
    ],
    [
      "PFADD of a known element",
      [
        ["PFADD", "h", "a"],
        ["PFADD", "h", "a"],
      ],
      0,
    ],
    [
      "PFCOUNT of the docs' example",
      [
        ["PFADD", "h", "a", "b", "c", "d", "e", "f", "g"],
        ["PFCOUNT", "h"],
      ],
      7,
    ],
    ["PFCOUNT missing key", [["PFCOUNT", "h"]], 0],
    [
      "PFCOUNT union",
      [
        ["PFADD", "a", "x", "y"],
        ["PFADD", "b", "y", "z"],
        ["PFCOUNT", "a", "b", "nope"],
      ],
      3,
    ],
    [
      "PFMERGE of the docs' example",
      [
        ["PFADD", "h1", "foo", "bar", "zap", "a"],
        ["PFADD", "h2", "a", "b", "c", "foo"],
        ["PFMERGE", "h3", "h1", "h2"],
        ["PFCOUNT", "h3"],
      ],
      6,
    ],
    [
      "PFMERGE with only the destination",
      [
        ["PFMERGE", "h"],
        ["GET", "h"],
      ],
      "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff",
    ],
    [
      "a new HLL's bytes (after PFCOUNT caches 0)",
      [
        ["PFADD", "h"],
        ["PFCOUNT", "h"],
        ["GET", "h"],
      ],
      EMPTY_SPARSE,
    ],
    [
      "PFADD on a list",
      [
        ["RPUSH", "h", "a"],
        ["PFADD", "h", "x"],
      ],
      error("WRONGTYPE Operation against a key holding the wrong kind of value"),
    ],
    [
      "PFADD on a plain string",
      [
        ["SET", "h", "hello"],
        ["PFADD", "h", "x"],
      ],
      NOT_HLL,
    ],
    [
      "PFCOUNT on a plain string",
      [
        ["SET", "h", "hello"],
        ["PFCOUNT", "h"],
      ],
      NOT_HLL,
    ],
    [
      "PFCOUNT on a dense value of the wrong size",
      [
        ["SET", "h", "HYLL\0\0\0\0\0\0\0\0\0\0\0\x80"],
        ["PFCOUNT", "h"],
      ],
      NOT_HLL,
    ],
    [
      "PFCOUNT on an unknown encoding",
      [
        ["SET", "h", "HYLL\x02\0\0\0\0\0\0\0\0\0\0\x80"],
        ["PFCOUNT", "h"],
      ],
      NOT_HLL,
    ],
    [
      "PFCOUNT of a sparse value that is cut short",
      [
        ["SET", "h", "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xfe"],
        ["PFCOUNT", "h"],
      ],
      CORRUPT,
    ],
    [
      "PFCOUNT of a sparse value that runs past the end",
      [
        ["SET", "h", `${EMPTY_SPARSE.slice(0, 15)}\x80\x7f\xff\x80`],
        ["PFCOUNT", "h", "x"],
      ],
      CORRUPT,
    ],
    [
      "a valid cached count is answered as is",
      [
        ["SET", "h", "HYLL\x01\0\0\0\x2a\0\0\0\0\0\0\0\x7f\xff"],
        ["PFCOUNT", "h"],
      ],
      42,
    ],
    [
      "PFMERGE into a plain string",
      [
        ["SET", "d", "x"],
        ["PFMERGE", "d"],
      ],
      NOT_HLL,
    ],
    [
      "PFDEBUG ENCODING",
      [
        ["PFADD", "h", "a"],
        ["PFDEBUG", "ENCODING", "h"],
      ],
      { status: "sparse" },
    ],
    [
      "PFDEBUG TODENSE",
      [
        ["PFADD", "h", "a"],
        ["PFDEBUG", "TODENSE", "h"],
        ["STRLEN", "h"],
      ],
      HLL_DENSE_SIZE,
    ],
    [
      "PFDEBUG DECODE",
      [
        ["PFADD", "h"],
        ["PFDEBUG", "DECODE", "h"],
      ],
      "Z:16384",
    ],
    ["PFDEBUG missing key", [["PFDEBUG", "ENCODING", "h"]], error("ERR The specified key does not exist")],
    [
      "PFDEBUG unknown subcommand",
      [
        ["PFADD", "h"],
        ["PFDEBUG", "NOPE", "h"],
      ],
      error("ERR Unknown PFDEBUG subcommand 'NOPE'"),
    ],
  ];
  for (const [name, commands, expected] of cases) {
    it(name, () => {
      expect(runPlain(createTestStore(), ...raw(commands))).toEqual(expected);
    });
  }
});

describe("HyperLogLog representation", () => {
  it("hashes with MurmurHash64A and Redis's seed (known value)", () => {
    // redis-server 7.0: PFADD h a, then PFDEBUG DECODE h answers "Z:12711 v:2,1 Z:3672".
    expect(murmurHash64A("a", 0xadc83b19) & 0x3fffn).toBe(12711n);
    const t = createTestStore();
    t.ok("PFADD", "h", "a");
    expect(t.run("PFDEBUG", "DECODE", "h")).toBe("Z:12711 v:2,1 Z:3672");
  });

  it("stays sparse up to hll-sparse-max-bytes, then turns dense", () => {
    const t = createTestStore();
    let sparseMax = 0;
    for (let i = 0; i < 5_000; i++) {
      t.ok("PFADD", "h", `element:${i}`);
      const v = peek(t, "h") as string;
      if (v.charCodeAt(4) === 1) sparseMax = Math.max(sparseMax, v.length);
    }
    expect(sparseMax).toBeLessThanOrEqual(HLL_SPARSE_MAX_BYTES);
    expect(sparseMax).toBeGreaterThan(HLL_SPARSE_MAX_BYTES - 10);
    expect((peek(t, "h") as string).length).toBe(HLL_DENSE_SIZE);
    const count = t.run("PFCOUNT", "h") as number;
    expect(Math.abs(count - 5_000) / 5_000).toBeLessThan(0.02);
  });

  it("PFADD notifies pfadd only on change, keeps the TTL; PFCOUNT caches without an event", () => {
    const t = createTestStore();
    t.ok("PFADD", "h", "a");
    t.ok("EXPIRE", "h", "100");
    t.events.length = 0;
    t.ok("PFADD", "h", "a");
    t.ok("PFADD", "h", "b");
    t.ok("PFCOUNT", "h");
    t.ok("PFMERGE", "h");
    expect(t.events.map((e) => `${e.event}:${e.key}`)).toEqual(["pfadd:h", "pfadd:h"]);
    expect(t.run("TTL", "h")).toBe(100);
    // The cache: valid after PFCOUNT (top bit clear, count 2 little endian).
    t.ok("PFADD", "h", "c");
    t.ok("PFCOUNT", "h");
    expect((peek(t, "h") as string).slice(8, 16)).toBe("\x03\0\0\0\0\0\0\0");
  });
});

describe("HyperLogLog on an asynchronous engine", () => {
  it("counts the same and leaves the cache invalid (a read-only command does not write there)", async () => {
    const store = createStore({ repository: new StagedRepository() });
    const local = createTestStore();
    const elements = Array.from({ length: 300 }, (_, i) => `e${i}`);
    await store.exec(["PFADD", "h", ...elements]);
    local.ok("PFADD", "h", ...elements);
    expect(await store.exec(["PFCOUNT", "h"])).toBe(local.run("PFCOUNT", "h"));
    const bytes = (await store.exec(["GET", "h"])) as string;
    expect(bytes.charCodeAt(15) & 0x80).toBe(0x80);
    expect(await store.exec(["PFCOUNT", "h", "none"])).toBe(local.run("PFCOUNT", "h"));
  });
});
