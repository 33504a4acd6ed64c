/**
 * Geo against redis-server 7.0: seeded random GEOADD/GEOPOS/GEODIST/GEOHASH/GEOSEARCH/
 * GEOSEARCHSTORE/GEORADIUS* streams (valid and invalid positions, units, shapes, options, centres
 * anywhere: the poles and the antimeridian included), replies compared to the printed digit and in
 * order — the cell-by-cell order of an unsorted search and the members COUNT ANY stops at included.
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

const CITIES: [number, number][] = [
  [13.361389, 38.115556],
  [15.087269, 37.502669],
  [2.3522, 48.8566],
  [-0.1276, 51.5072],
  [139.6917, 35.6895],
  [-74.006, 40.7128],
  [151.2093, -33.8688],
  [179.9, 0.1],
  [-179.9, -0.1],
  [0, 85],
  [0, -85],
];

function lon(g: Gen): string {
  if (g.chance(0.03)) return g.pick(["181", "-180.1", "x", "inf", "1e400"]);
  if (g.chance(0.5)) return String(g.pick(CITIES)[0] + (g.random() - 0.5) * 2);
  return (g.random() * 360 - 180).toFixed(g.int(0, 7));
}
function lat(g: Gen): string {
  if (g.chance(0.03)) return g.pick(["85.06", "-90", "y"]);
  if (g.chance(0.5)) return String(Math.max(-85, Math.min(85, g.pick(CITIES)[1] + (g.random() - 0.5) * 2)));
  return (g.random() * 170 - 85).toFixed(g.int(0, 7));
}
const member = (g: Gen): string => `m${g.int(0, 30)}`;
const unit = (g: Gen): string => g.pick(["m", "km", "KM", "mi", "ft", "m", "km", "parsec"]);

/* Search centres anywhere, with a bias to the poles and the antimeridian (where the cells wrap). */
const centreLon = (g: Gen): string =>
  g.chance(0.2) ? String(g.pick([179.99, -179.99, 180, -180, 0]) - (g.random() - 0.5) * 0.1) : lon(g);
const centreLat = (g: Gen): string =>
  g.chance(0.2)
    ? String(Math.max(-85.05, Math.min(85.05, g.pick([85, -85, 80, -80, 66.5]) + (g.random() - 0.5))))
    : lat(g);

/** The options GEORADIUS and GEORADIUSBYMEMBER (and _RO) take. */
function radiusOptions(g: Gen, args: string[], ro: boolean): string[] {
  const opts = g.int(0, 4);
  for (let i = 0; i < opts; i++) {
    const r = g.random();
    if (r < 0.25) args.push(g.pick(["ASC", "DESC"]));
    else if (r < 0.45) {
      args.push("COUNT", String(g.pick([1, 2, 3, 5, 0, -1])));
      if (g.chance(0.3)) args.push("ANY");
    } else if (r < 0.75) args.push(g.pick(["WITHCOORD", "WITHDIST", "WITHHASH"]));
    else if (r < 0.9 || ro) args.push(g.pick(["STORE", "STOREDIST"]), g.pick(["dst", "g"]));
    else args.push(g.pick(["BOGUS", "ANY", "STORE"]));
  }
  return args;
}

function radius(g: Gen): string[] {
  const ro = g.chance(0.3);
  const r = String(g.pick([1, 10, 100, 500, 2000, 20000]) * g.random());
  if (g.chance(0.5)) {
    const args = [ro ? "GEORADIUS_RO" : "GEORADIUS", g.pick(["g", "g2", "s"]), centreLon(g), centreLat(g), r, unit(g)];
    return radiusOptions(g, args, ro);
  }
  const args = [ro ? "GEORADIUSBYMEMBER_RO" : "GEORADIUSBYMEMBER", g.pick(["g", "g2", "s"]), member(g), r, unit(g)];
  return radiusOptions(g, args, ro);
}

function search(g: Gen, store: boolean): string[] {
  const args = store
    ? ["GEOSEARCHSTORE", g.pick(["dst", "g"]), g.pick(["g", "g2", "s"])]
    : ["GEOSEARCH", g.pick(["g", "g2", "s"])];
  if (g.chance(0.3)) args.push("FROMMEMBER", g.pick(["m0", "m1", "m2", "m3", "m4", "m5"]));
  else args.push("FROMLONLAT", centreLon(g), centreLat(g));
  if (g.chance(0.5)) args.push("BYRADIUS", String(g.pick([1, 10, 100, 500, 2000, 20000]) * g.random()), unit(g));
  else args.push("BYBOX", String(g.int(0, 3000)), String(g.int(0, 3000)), unit(g));
  const opts = g.int(0, 4);
  for (let i = 0; i < opts; i++) {
    const r = g.random();
    if (r < 0.25) args.push(g.pick(["ASC", "DESC"]));
    else if (r < 0.45) {
      args.push("COUNT", String(g.pick([1, 2, 3, 5, 0, -1])));
      if (g.chance(0.3)) args.push("ANY");
    } else if (r < 0.8 && !store) args.push(g.pick(["WITHCOORD", "WITHDIST", "WITHHASH"]));
    else if (store) args.push("STOREDIST");
    else args.push(g.pick(["BOGUS", "ANY"]));
  }
  return args;
}

function next(g: Gen): string[] {
  const r = g.random();
  if (r < 0.3) {
    const n = g.int(1, 3);
    const opts = g.chance(0.2) ? [g.pick(["NX", "XX", "CH", "nx", "GT"])] : [];
    const args = ["GEOADD", g.pick(["g", "g", "g2", "s"]), ...opts];
    for (let i = 0; i < n; i++) {
      const m = member(g);
      // m0..m5 are search centres too.
      if (/^m[0-5]$/.test(m)) args.push(centreLon(g), centreLat(g), m);
      else args.push(lon(g), lat(g), m);
    }
    if (g.chance(0.02)) args.pop();
    return args;
  }
  if (r < 0.4) return ["GEOPOS", g.pick(["g", "g2", "nokey", "s"]), member(g), member(g)];
  if (r < 0.5) {
    const args = ["GEODIST", g.pick(["g", "g2"]), member(g), member(g)];
    if (g.chance(0.6)) args.push(unit(g));
    return args;
  }
  if (r < 0.56) return ["GEOHASH", g.pick(["g", "g2", "nokey"]), member(g), member(g)];
  if (r < 0.72) return search(g, false);
  if (r < 0.8) return search(g, true);
  if (r < 0.9) return radius(g);
  // (Scores are compared by order only: the store prints doubles shortest-round-trip, Redis 7.0 with %.17g.)
  if (r < 0.93) return ["ZRANGE", "dst", "0", "-1"];
  if (r < 0.95) return ["ZADD", "g", String(g.pick([-1, 0, 4503599627370495])), member(g)];
  if (r < 0.97) return ["SADD", "s", "x"];
  return ["DEL", g.pick(["g", "g2", "dst"])];
}

describe("geo matches redis-server 7.0", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: 1,500 random commands give identical replies`, async () => {
      await runDifferential(redis, 1_500, next, seed);
    }, 180_000);
  }
});
