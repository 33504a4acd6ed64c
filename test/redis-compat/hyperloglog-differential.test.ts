/**
 * HyperLogLog against redis-server 7.0: seeded random PFADD/PFCOUNT/PFMERGE/PFDEBUG streams over
 * sparse and dense values (small and large element batches cross hll-sparse-max-bytes), with GET
 * after writes (byte-identical representation, cached cardinality included) and corrupt values
 * (flipped bytes, bad headers, truncated sparse runs) SET into both sides.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStore, peek, type TestStore } from "../../shared/store/testing.js";
import { type RedisReference, startRedisReference, toRefReply } from "../support/redis-reference.js";
import { Gen, prng, REDIS_CONFIG, runDifferential } from "./differential.js";

let redis: RedisReference;
beforeAll(async () => {
  redis = await startRedisReference(REDIS_CONFIG);
}, 60_000);
afterAll(async () => {
  await redis?.stop();
});

const KEYS = ["h1", "h2", "h3", "h4", "str", "list"];
const key = (g: Gen): string => g.pick(KEYS);

function element(g: Gen): string {
  const r = g.random();
  if (r < 0.4) return `e${g.int(0, 5000)}`;
  if (r < 0.7) return g.bytes(g.int(0, 20));
  if (r < 0.9) return String(g.int(0, 1_000_000_000));
  return g.bytes(g.int(20, 70));
}

/** A corrupt or foreign value: a real HLL with flipped bytes, a bad header, a cut sparse run. */
function corruptValue(g: Gen, t: TestStore): string {
  const source = peek(t, g.pick(["h1", "h2", "h3", "h4"]));
  const base =
    typeof source === "string" && source.startsWith("HYLL") ? source : "HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff";
  const r = g.random();
  const chars = base.split("");
  if (r < 0.5) {
    // Flip a few bytes past the header (or in it).
    const n = g.int(1, 3);
    for (let i = 0; i < n; i++) {
      const at = g.chance(0.2) ? g.int(4, 15) : g.int(16, chars.length - 1);
      chars[at] = String.fromCharCode(g.int(0, 255));
    }
    return chars.join("");
  }
  if (r < 0.65) return base.slice(0, g.int(0, base.length - 1));
  if (r < 0.75) return `${base}${g.bytes(g.int(1, 4))}`;
  if (r < 0.85) return `HYLL${String.fromCharCode(g.int(0, 3))}${g.bytes(g.int(11, 40))}`;
  return g.pick(["HYLL", "hyll\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", "12345", ""]);
}

function next(g: Gen, t: TestStore): string[] {
  const r = g.random();
  if (r < 0.35) {
    const n = g.chance(0.15) ? g.int(100, 1500) : g.int(0, 8);
    return ["PFADD", key(g), ...Array.from({ length: n }, () => element(g))];
  }
  if (r < 0.5) return ["PFCOUNT", key(g)];
  if (r < 0.58) return ["PFCOUNT", ...Array.from({ length: g.int(2, 4) }, () => key(g))];
  if (r < 0.64) return ["PFMERGE", ...Array.from({ length: g.int(1, 4) }, () => key(g))];
  if (r < 0.8) return ["GET", key(g)];
  if (r < 0.85) return ["SET", g.pick(["h1", "h2", "h3", "h4", "str"]), corruptValue(g, t)];
  if (r < 0.88) return ["PFDEBUG", g.pick(["ENCODING", "decode", "TODENSE", "nope"]), key(g)];
  if (r < 0.89) return ["PFDEBUG", "GETREG", key(g)];
  if (r < 0.92) return ["DEL", key(g)];
  if (r < 0.94) return ["RPUSH", "list", "x"];
  if (r < 0.96) return ["SET", "str", g.pick(["abc", "1234", "HYLLHYLLHYLLHYLL"])];
  return ["APPEND", g.pick(["h1", "h2"]), g.bytes(1)];
}

describe("HyperLogLog matches redis-server 7.0 (counts and bytes)", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: 1,500 random commands give identical replies and values`, async () => {
      await runDifferential(redis, 1_500, next, seed);
    }, 180_000);
  }
});

describe("HyperLogLog values cross between redis-server and the store", () => {
  it("100,000 elements: identical counts at every step, and each side reads the other's bytes", async () => {
    await redis.call(["FLUSHALL"]);
    const t = createTestStore();
    const g = new Gen(prng(99));
    for (let batch = 0; batch < 50; batch++) {
      const elements = Array.from({ length: 2_000 }, () => `${g.bytes(g.int(1, 12))}:${batch}`);
      await redis.call(["PFADD", "theirs", ...elements]);
      t.run(...raw(["PFADD", "ours", ...elements]));
      const count = await redis.call(["PFCOUNT", "theirs"]);
      expect(toRefReply(t.run("PFCOUNT", "ours"))).toEqual(count);
      // Redis's bytes into the store, the store's bytes into Redis: identical, and counted the same.
      const theirBytes = (await redis.call(["GET", "theirs"])) as string;
      const ourBytes = t.run("GET", "ours") as string;
      expect(ourBytes === theirBytes).toBe(true);
      t.run(...raw(["SET", "copy", theirBytes]));
      await redis.call(["SET", "copy", ourBytes]);
      expect(toRefReply(t.run("PFCOUNT", "copy", "ours"))).toEqual(await redis.call(["PFCOUNT", "copy", "theirs"]));
    }
    expect(toRefReply(t.run("PFDEBUG", "ENCODING", "ours"))).toEqual({ status: "dense" });
  }, 180_000);
});

const raw = (a: string[]): Uint8Array[] => a.map((x) => new Uint8Array(Buffer.from(x, "latin1")));
