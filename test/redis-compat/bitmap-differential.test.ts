/**
 * Bitmaps against redis-server 7.0: seeded random SETBIT/GETBIT/BITCOUNT/BITPOS/BITOP/BITFIELD
 * streams (valid and invalid arguments, int64 extremes, wrong types) must give identical replies
 * and identical values (GET after each write family).
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { type RedisReference, startRedisReference } from "../support/redis-reference.js";
import { type Gen, REDIS_CONFIG, runDifferential } from "./differential.js";

let redis: RedisReference;
beforeAll(async () => {
  redis = await startRedisReference(REDIS_CONFIG);
}, 60_000);
afterAll(async () => {
  await redis?.stop();
});

const EXTREMES = ["9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807"];

function index(g: Gen): string {
  if (g.chance(0.05)) return g.pick(EXTREMES);
  if (g.chance(0.05)) return g.pick(["x", "1.5", "", "-0", "+1", "01"]);
  return String(g.int(-40, 40));
}

function offset(g: Gen): string {
  if (g.chance(0.03)) return g.pick(["-1", "67108864", "4294967295", "x", "9223372036854775807", "#3"]);
  if (g.chance(0.002)) return "67108863"; // an 8 MiB bitmap: rare, every later write copies it
  return String(g.int(0, 300));
}

function fieldType(g: Gen): string {
  if (g.chance(0.03)) return g.pick(["u64", "i65", "i0", "I8", "u", "x8", "i-1", "u08"]);
  return `${g.pick(["i", "u"])}${g.pick([1, 2, 3, 5, 7, 8, 9, 13, 16, 31, 32, 33, 48, 53, 54, 63, 64].filter((b) => b <= 63 || true))}`;
}

function fieldOffset(g: Gen): string {
  if (g.chance(0.2)) return `#${g.int(0, 12)}`;
  if (g.chance(0.02)) return g.pick(["#-1", "-3", "#x", "#9223372036854775807"]);
  return String(g.int(0, 200));
}

function fieldValue(g: Gen): string {
  if (g.chance(0.15)) return g.pick(EXTREMES);
  if (g.chance(0.02)) return "nope";
  return String(g.int(-300, 300) * (g.chance(0.2) ? 1000003 : 1));
}

function bitfieldArgs(g: Gen, readonly: boolean): string[] {
  const args = [readonly ? "BITFIELD_RO" : "BITFIELD", key(g)];
  const n = g.int(0, 5);
  for (let i = 0; i < n; i++) {
    const r = g.random();
    if (readonly || r < 0.35) args.push("GET", fieldType(g), fieldOffset(g));
    else if (r < 0.6) args.push("SET", fieldType(g), fieldOffset(g), fieldValue(g));
    else if (r < 0.85) args.push("INCRBY", fieldType(g), fieldOffset(g), fieldValue(g));
    else args.push("OVERFLOW", g.pick(["WRAP", "SAT", "FAIL", "fail", "sat", "bogus"]));
  }
  if (readonly && g.chance(0.05)) args.push("SET", "u8", "0", "1");
  if (g.chance(0.02)) args.push("GET", "i8");
  return args;
}

function key(g: Gen): string {
  return g.pick(["a", "b", "c", "d", "list"]);
}

function unit(g: Gen): string[] {
  const r = g.random();
  if (r < 0.4) return [];
  if (r < 0.95) return [g.pick(["BIT", "BYTE", "bit", "byte"])];
  return ["BAD"];
}

function next(g: Gen): string[] {
  const r = g.random();
  if (r < 0.2)
    return ["SETBIT", key(g), offset(g), g.chance(0.95) ? g.pick(["0", "1"]) : g.pick(["2", "-1", "", "01"])];
  if (r < 0.28) return ["GETBIT", key(g), offset(g)];
  if (r < 0.4) {
    const n = g.int(0, 4);
    if (n === 0) return ["BITCOUNT", key(g)];
    if (n === 1) return ["BITCOUNT", key(g), index(g)];
    return ["BITCOUNT", key(g), index(g), index(g), ...unit(g)];
  }
  if (r < 0.55) {
    const n = g.int(0, 3);
    const bit = g.chance(0.95) ? g.pick(["0", "1"]) : g.pick(["2", "x"]);
    if (n === 0) return ["BITPOS", key(g), bit];
    if (n === 1) return ["BITPOS", key(g), bit, index(g)];
    return ["BITPOS", key(g), bit, index(g), index(g), ...unit(g)];
  }
  if (r < 0.62) {
    const op = g.pick(["AND", "OR", "XOR", "NOT", "and", "nope"]);
    const n = op === "NOT" && g.chance(0.9) ? 1 : g.int(1, 4);
    return ["BITOP", op, key(g), ...Array.from({ length: n }, () => key(g))];
  }
  if (r < 0.77) return bitfieldArgs(g, false);
  if (r < 0.8) return bitfieldArgs(g, true);
  if (r < 0.87) return ["GET", key(g)];
  if (r < 0.92) return ["SET", key(g), g.bytes(g.int(0, 24))];
  if (r < 0.94) return ["RPUSH", "list", "x"];
  if (r < 0.96) return ["SET", key(g), g.pick(["\xff\xff\xff", "\x00\x00", "\xff\xf0\x00", "\x00\x0f\xff"])];
  return ["DEL", key(g)];
}

describe("bitmaps match redis-server 7.0", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: 2,000 random commands give identical replies`, async () => {
      await runDifferential(redis, 2_000, next, seed);
    }, 120_000);
  }
});
