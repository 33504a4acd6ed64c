import type { Bytes } from "./bytes.js";
import type { CommandContext, CommandSpec } from "./command.js";
import { notFloat, StoreError, syntaxError, wrongType } from "./errors.js";
import {
  decodeScore,
  formatDistance,
  formatFixed6,
  formatHumanCoordinate,
  geoDistance,
  geohashString,
  geoScore,
  latDistance,
  validLonLat,
} from "./geohash.js";
import { parseDouble } from "./parse.js";
import type { Reply } from "./reply.js";
import { checkReply } from "./reply-limit.js";
import { parseLongLong } from "./t-string.js";
import { zsetCommands } from "./t-zset.js";
import { ZSetValue } from "./zset-value.js";

/*
 * The geo commands (Redis 7.0's geo.c) on sorted sets whose scores are 52-bit geohashes
 * (geohash.ts): GEOADD (through ZADD, as Redis), GEOPOS, GEODIST, GEOHASH, GEOSEARCH and
 * GEOSEARCHSTORE. A search checks every member of the key against the exact shape test Redis
 * applies to the members of its nine candidate cells. Away from the poles and the antimeridian
 * both find the same members; near them Redis's cells can miss members inside the shape, which
 * this finds. An unsorted reply lists members in score order where Redis lists them cell by cell.
 */

const zadd = (zsetCommands.find((c) => c.name === "ZADD") as CommandSpec).handler;

/** The sorted set at `key`, undefined when missing; WRONGTYPE otherwise. */
function lookupGeo(ctx: CommandContext, key: Bytes): ZSetValue | undefined {
  const v = ctx.db.lookup(key);
  if (v === undefined) return undefined;
  if (!(v instanceof ZSetValue)) throw wrongType();
  return v;
}

/** getDoubleFromObjectOrReply: Redis's double, with its range errors; `message` replaces the default one. */
function doubleArg(arg: Bytes, message?: string): number {
  const fail = (): StoreError => (message === undefined ? notFloat() : new StoreError("NOT_FLOAT", `ERR ${message}`));
  let n: number;
  try {
    n = parseDouble(arg);
  } catch {
    throw fail();
  }
  // strtod's ERANGE: overflow to ±inf from digits, or underflow to zero.
  if (!Number.isFinite(n) && !/inf/i.test(arg)) throw fail();
  if (n === 0 && /[1-9]/.test(arg.replace(/[eE].*$/, ""))) throw fail();
  return n;
}

/** extractLongLatOrReply. */
function lonLatArgs(lonArg: Bytes, latArg: Bytes): [number, number] {
  const lon = doubleArg(lonArg);
  const lat = doubleArg(latArg);
  if (!validLonLat(lon, lat)) {
    throw new StoreError("ERR", `ERR invalid longitude,latitude pair ${formatFixed6(lon)},${formatFixed6(lat)}`);
  }
  return [lon, lat];
}

/** extractUnitOrReply: meters per unit. */
function unitArg(arg: Bytes): number {
  const u = arg.toLowerCase();
  if (u === "m") return 1;
  if (u === "km") return 1000;
  if (u === "ft") return 0.3048;
  if (u === "mi") return 1609.34;
  throw new StoreError("ERR", "ERR unsupported unit provided. please use M, KM, FT, MI");
}

/** A member's position, undefined when it is not in the set. */
function memberPosition(z: ZSetValue, member: Bytes): [number, number] | undefined {
  const score = z.score(member);
  return score === undefined ? undefined : decodeScore(score);
}

/* GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...] */
function geoadd(ctx: CommandContext, argv: readonly Bytes[]): Reply {
  let at = 2;
  let nx = false;
  let xx = false;
  for (; at < argv.length; at++) {
    const opt = (argv[at] as Bytes).toLowerCase();
    if (opt === "nx") nx = true;
    else if (opt === "xx") xx = true;
    else if (opt !== "ch") break;
  }
  if ((argv.length - at) % 3 !== 0 || (xx && nx)) throw syntaxError();
  // Every position is checked before the key is looked at, then ZADD does the rest.
  const zargv: Bytes[] = ["zadd", ...argv.slice(1, at)];
  for (let i = at; i < argv.length; i += 3) {
    const [lon, lat] = lonLatArgs(argv[i] as Bytes, argv[i + 1] as Bytes);
    zargv.push(String(geoScore(lon, lat)), argv[i + 2] as Bytes);
  }
  return zadd(ctx, zargv);
}

interface Shape {
  lon: number;
  lat: number;
  /** Meters per unit of the reply's distances. */
  conversion: number;
  radius?: number;
  width?: number;
  height?: number;
}

/** geoWithinShape: the distance in meters when the position is inside the shape. */
function withinShape(shape: Shape, lon: number, lat: number): number | undefined {
  if (shape.radius !== undefined) {
    const d = geoDistance(shape.lon, shape.lat, lon, lat);
    return d > shape.radius * shape.conversion ? undefined : d;
  }
  const width = (shape.width as number) * shape.conversion;
  const height = (shape.height as number) * shape.conversion;
  if (latDistance(lat, shape.lat) > height / 2) return undefined;
  if (geoDistance(lon, lat, shape.lon, lat) > width / 2) return undefined;
  return geoDistance(shape.lon, shape.lat, lon, lat);
}

interface Found {
  readonly member: Bytes;
  readonly score: number;
  readonly lon: number;
  readonly lat: number;
  dist: number;
}

/* GEOSEARCH key FROMMEMBER m | FROMLONLAT lon lat BYRADIUS r unit | BYBOX w h unit [ASC|DESC] [COUNT n [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH] */
/* GEOSEARCHSTORE dest src ... [STOREDIST] */
function geosearch(ctx: CommandContext, argv: readonly Bytes[], store: boolean): Reply {
  const srcIndex = store ? 2 : 1;
  const z = lookupGeo(ctx, argv[srcIndex] as Bytes);
  const base = srcIndex + 1;
  let withdist = false;
  let withhash = false;
  let withcoord = false;
  let storedist = false;
  let fromMember = false;
  let fromLoc = false;
  let byRadius = false;
  let byBox = false;
  let sort: "none" | "asc" | "desc" = "none";
  let any = false;
  let count = 0;
  const shape: Shape = { lon: 0, lat: 0, conversion: 1 };
  const remaining = argv.length - base;
  for (let i = 0; i < remaining; i++) {
    const arg = (argv[base + i] as Bytes).toLowerCase();
    const next = (k: number): Bytes => argv[base + i + k] as Bytes;
    if (arg === "withdist") withdist = true;
    else if (arg === "withhash") withhash = true;
    else if (arg === "withcoord") withcoord = true;
    else if (arg === "any") any = true;
    else if (arg === "asc") sort = "asc";
    else if (arg === "desc") sort = "desc";
    else if (arg === "count" && i + 1 < remaining) {
      const n = parseLongLong(next(1));
      if (n <= 0) throw new StoreError("ERR", "ERR COUNT must be > 0");
      count = Number(n);
      i++;
    } else if (arg === "storedist" && store) storedist = true;
    else if (arg === "frommember" && i + 1 < remaining && !fromLoc) {
      if (z !== undefined) {
        const pos = memberPosition(z, next(1));
        if (pos === undefined) throw new StoreError("ERR", "ERR could not decode requested zset member");
        [shape.lon, shape.lat] = pos;
      }
      fromMember = true;
      i++;
    } else if (arg === "fromlonlat" && i + 2 < remaining && !fromMember) {
      [shape.lon, shape.lat] = lonLatArgs(next(1), next(2));
      fromLoc = true;
      i += 2;
    } else if (arg === "byradius" && i + 2 < remaining && !byBox) {
      const r = doubleArg(next(1), "need numeric radius");
      if (r < 0) throw new StoreError("ERR", "ERR radius cannot be negative");
      shape.radius = r;
      shape.width = undefined;
      shape.conversion = unitArg(next(2));
      byRadius = true;
      i += 2;
    } else if (arg === "bybox" && i + 3 < remaining && !byRadius) {
      const w = doubleArg(next(1), "need numeric width");
      const h = doubleArg(next(2), "need numeric height");
      if (h < 0 || w < 0) throw new StoreError("ERR", "ERR height or width cannot be negative");
      shape.width = w;
      shape.height = h;
      shape.radius = undefined;
      shape.conversion = unitArg(next(3));
      byBox = true;
      i += 3;
    } else throw syntaxError();
  }
  if (store && (withdist || withhash || withcoord)) {
    throw new StoreError("ERR", "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
  }
  if (!(fromMember || fromLoc)) {
    throw new StoreError("ERR", `ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0]}`);
  }
  if (!(byRadius || byBox)) {
    throw new StoreError("ERR", `ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]}`);
  }
  if (any && count === 0) throw new StoreError("ERR", "ERR the ANY argument requires COUNT argument");
  const dest = argv[1] as Bytes;
  if (z === undefined) {
    if (!store) return [];
    if (ctx.db.remove(dest)) ctx.notify("generic", "del", dest);
    return 0;
  }
  if (count !== 0 && sort === "none" && !any) sort = "asc";

  const found: Found[] = [];
  for (const [member, score] of z.entries()) {
    // Redis scans the score ranges of geohash cells: a score outside [0, 2^52) is never a candidate.
    if (!(score >= 0 && score < 2 ** 52)) continue;
    const pos = decodeScore(score);
    if (pos === undefined) continue;
    const dist = withinShape(shape, pos[0], pos[1]);
    if (dist === undefined) continue;
    found.push({ member, score, lon: pos[0], lat: pos[1], dist });
    if (any && found.length >= count) break;
  }
  if (sort !== "none") {
    found.sort((a, b) => (sort === "asc" ? a.dist - b.dist : b.dist - a.dist));
  }
  const returned = count === 0 || found.length < count ? found.length : count;
  const results = found.slice(0, returned);
  for (const f of results) f.dist /= shape.conversion;

  if (!store) {
    const options = (withdist ? 1 : 0) + (withcoord ? 1 : 0) + (withhash ? 1 : 0);
    const reply: Reply[] = results.map((f) => {
      if (options === 0) return f.member;
      const item: Reply[] = [f.member];
      if (withdist) item.push(formatDistance(f.dist));
      // addReplyLongLong(c, gp->score): a non-integer score (a sorted set not written by GEOADD) truncates.
      if (withhash) item.push(Math.trunc(f.score));
      if (withcoord) item.push([formatHumanCoordinate(f.lon), formatHumanCoordinate(f.lat)]);
      return item;
    });
    return checkReply(reply, ctx.limits);
  }
  if (results.length > 0) {
    const out = new ZSetValue();
    for (const f of results) out.set(f.member, storedist ? f.dist : f.score);
    ctx.db.put(dest, out);
    ctx.notify("zset", "geosearchstore", dest);
  } else if (ctx.db.remove(dest)) ctx.notify("generic", "del", dest);
  return results.length;
}

const SEARCH_SYNTAX =
  "[FROMMEMBER member | FROMLONLAT longitude latitude] [BYRADIUS radius M | KM | FT | MI | BYBOX width height M | KM | FT | MI] [ASC | DESC] [COUNT count [ANY]]";

/** The geo commands. */
export const geoCommands: CommandSpec[] = [
  {
    name: "GEOADD",
    arity: -5,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "geo",
    complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
    summary: "Add one or more geospatial items in the geospatial index represented using a sorted set",
    syntax: "GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]",
    handler: geoadd,
  },
  {
    name: "GEOPOS",
    arity: -2,
    flags: ["readonly"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "geo",
    complexity: "O(N) where N is the number of members requested.",
    summary: "Returns longitude and latitude of members of a geospatial index",
    syntax: "GEOPOS key [member [member ...]]",
    handler: (ctx, argv) => {
      const z = lookupGeo(ctx, argv[1] as Bytes);
      return argv.slice(2).map((m) => {
        const pos = z === undefined ? undefined : memberPosition(z, m);
        return pos === undefined ? null : [formatHumanCoordinate(pos[0]), formatHumanCoordinate(pos[1])];
      });
    },
  },
  {
    name: "GEODIST",
    arity: -4,
    flags: ["readonly"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "geo",
    complexity: "O(log(N))",
    summary: "Returns the distance between two members of a geospatial index",
    syntax: "GEODIST key member1 member2 [M | KM | FT | MI]",
    handler: (ctx, argv) => {
      let toMeter = 1;
      if (argv.length === 5) toMeter = unitArg(argv[4] as Bytes);
      else if (argv.length > 5) throw syntaxError();
      const z = lookupGeo(ctx, argv[1] as Bytes);
      if (z === undefined) return null;
      const a = memberPosition(z, argv[2] as Bytes);
      const b = memberPosition(z, argv[3] as Bytes);
      if (a === undefined || b === undefined) return null;
      return formatDistance(geoDistance(a[0], a[1], b[0], b[1]) / toMeter);
    },
  },
  {
    name: "GEOHASH",
    arity: -2,
    flags: ["readonly"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "geo",
    complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
    summary: "Returns members of a geospatial index as standard geohash strings",
    syntax: "GEOHASH key [member [member ...]]",
    handler: (ctx, argv) => {
      const z = lookupGeo(ctx, argv[1] as Bytes);
      return argv.slice(2).map((m) => {
        const pos = z === undefined ? undefined : memberPosition(z, m);
        return pos === undefined ? null : geohashString(pos[0], pos[1]);
      });
    },
  },
  {
    name: "GEOSEARCH",
    arity: -7,
    flags: ["readonly"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "geo",
    complexity:
      "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
    summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
    syntax: `GEOSEARCH key ${SEARCH_SYNTAX} [WITHCOORD] [WITHDIST] [WITHHASH]`,
    handler: (ctx, argv) => geosearch(ctx, argv, false),
  },
  {
    name: "GEOSEARCHSTORE",
    arity: -8,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: "geo",
    complexity:
      "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
    summary:
      "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
    syntax: `GEOSEARCHSTORE destination source ${SEARCH_SYNTAX} [STOREDIST]`,
    handler: (ctx, argv) => geosearch(ctx, argv, true),
  },
];
