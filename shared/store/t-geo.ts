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
  type SearchShape,
  searchCells,
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
 * (geohash.ts): GEOADD (through ZADD, as Redis), GEOPOS, GEODIST, GEOHASH, GEOSEARCH,
 * GEOSEARCHSTORE and the deprecated GEORADIUS, GEORADIUSBYMEMBER and their _RO forms. A search
 * scans Redis's nine geohash cells around the centre (geohash.ts, searchCells) as score ranges of
 * the sorted set, cell by cell, and applies Redis's exact shape test to their members: it costs
 * the cells' members, not the key's size, and finds (and misses, near the poles and the
 * antimeridian) exactly the members Redis finds, in Redis's order.
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

/** geoWithinShape: the distance in meters when the position is inside the shape. */
function withinShape(shape: SearchShape, lon: number, lat: number): number | undefined {
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

/**
 * membersOfAllNeighbors: the members inside the shape, cell by cell in Redis's order, each cell's
 * in score order; with `limit`, stops at that many.
 */
function membersInShape(z: ZSetValue, shape: SearchShape, limit: number): Found[] {
  const found: Found[] = [];
  for (const cell of searchCells(shape)) {
    if (limit > 0 && found.length >= limit) break;
    const first = z.firstInScoreRange({ min: cell.min, max: cell.max, minex: false, maxex: true });
    for (let node = first?.node ?? null; node !== null && node.score < cell.max; node = node.next) {
      const pos = decodeScore(node.score);
      if (pos === undefined) continue;
      const dist = withinShape(shape, pos[0], pos[1]);
      if (dist === undefined) continue;
      found.push({ member: node.member, score: node.score, lon: pos[0], lat: pos[1], dist });
      if (limit > 0 && found.length >= limit) break;
    }
  }
  return found;
}

/** Which command of the family runs (georadiusGeneric's flags). */
enum Kind {
  /** GEORADIUS, GEORADIUS_RO: `key lon lat radius unit`. */
  Coords,
  /** GEORADIUSBYMEMBER(_RO): `key member radius unit`. */
  Member,
  /** GEOSEARCH: `key FROM… BY…`. */
  Search,
  /** GEOSEARCHSTORE: `dest src FROM… BY…`. */
  SearchStore,
}

/* GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key] */
/* GEORADIUSBYMEMBER key member radius M|KM|FT|MI [...] ; the _RO forms without STORE/STOREDIST */
/* GEOSEARCH key FROMMEMBER m | FROMLONLAT lon lat BYRADIUS r unit | BYBOX w h unit [ASC|DESC] [COUNT n [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH] */
/* GEOSEARCHSTORE dest src ... [STOREDIST] */
function georadius(ctx: CommandContext, argv: readonly Bytes[], kind: Kind, noStore = false): Reply {
  const srcIndex = kind === Kind.SearchStore ? 2 : 1;
  const z = lookupGeo(ctx, argv[srcIndex] as Bytes);
  const search = kind === Kind.Search || kind === Kind.SearchStore;
  let storeKey: Bytes | undefined = kind === Kind.SearchStore ? (argv[1] as Bytes) : undefined;
  let storedist = false;
  let shape: { lon: number; lat: number; conversion: number; radius?: number; width?: number; height?: number } = {
    lon: 0,
    lat: 0,
    conversion: 1,
  };
  let base: number;
  if (kind === Kind.Coords) {
    base = 6;
    [shape.lon, shape.lat] = lonLatArgs(argv[2] as Bytes, argv[3] as Bytes);
    shape = { ...shape, ...distanceArgs(argv[4] as Bytes, argv[5] as Bytes) };
  } else if (kind === Kind.Member) {
    base = 5;
    // Without the key, Redis parses the options for the reply's shape only.
    if (z !== undefined) {
      const pos = memberPosition(z, argv[2] as Bytes);
      if (pos === undefined) throw new StoreError("ERR", "ERR could not decode requested zset member");
      [shape.lon, shape.lat] = pos;
      shape = { ...shape, ...distanceArgs(argv[3] as Bytes, argv[4] as Bytes) };
    }
  } else base = srcIndex + 1;
  let withdist = false;
  let withhash = false;
  let withcoord = false;
  let fromMember = false;
  let fromLoc = false;
  let byRadius = false;
  let byBox = false;
  let sort: "none" | "asc" | "desc" = "none";
  let any = false;
  let count = 0;
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
    } else if ((arg === "store" || arg === "storedist") && i + 1 < remaining && !noStore && !search) {
      storeKey = next(1);
      storedist = arg === "storedist";
      i++;
    } else if (arg === "storedist" && kind === Kind.SearchStore) storedist = true;
    else if (arg === "frommember" && i + 1 < remaining && search && !fromLoc) {
      if (z !== undefined) {
        const pos = memberPosition(z, next(1));
        if (pos === undefined) throw new StoreError("ERR", "ERR could not decode requested zset member");
        [shape.lon, shape.lat] = pos;
      }
      fromMember = true;
      i++;
    } else if (arg === "fromlonlat" && i + 2 < remaining && search && !fromMember) {
      [shape.lon, shape.lat] = lonLatArgs(next(1), next(2));
      fromLoc = true;
      i += 2;
    } else if (arg === "byradius" && i + 2 < remaining && search && !byBox) {
      const { radius, conversion } = distanceArgs(next(1), next(2));
      shape.radius = radius;
      shape.width = undefined;
      shape.conversion = conversion;
      byRadius = true;
      i += 2;
    } else if (arg === "bybox" && i + 3 < remaining && search && !byRadius) {
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
  if (storeKey !== undefined && (withdist || withhash || withcoord)) {
    const what = kind === Kind.SearchStore ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS";
    throw new StoreError("ERR", `ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  if (search && !(fromMember || fromLoc)) {
    throw new StoreError("ERR", `ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0]}`);
  }
  if (search && !(byRadius || byBox)) {
    throw new StoreError("ERR", `ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]}`);
  }
  if (any && count === 0) throw new StoreError("ERR", "ERR the ANY argument requires COUNT argument");
  if (z === undefined) {
    if (storeKey === undefined) return [];
    if (ctx.db.remove(storeKey)) ctx.notify("generic", "del", storeKey);
    return 0;
  }
  if (count !== 0 && sort === "none" && !any) sort = "asc";

  const found = membersInShape(z, shape, any ? count : 0);
  if (sort !== "none") {
    found.sort((a, b) => (sort === "asc" ? a.dist - b.dist : b.dist - a.dist));
  }
  const returned = count === 0 || found.length < count ? found.length : count;
  const results = found.slice(0, returned);
  for (const f of results) f.dist /= shape.conversion;

  if (storeKey === undefined) {
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
    ctx.db.put(storeKey, out);
    ctx.notify("zset", search ? "geosearchstore" : "georadiusstore", storeKey);
  } else if (ctx.db.remove(storeKey)) ctx.notify("generic", "del", storeKey);
  return results.length;
}

/** extractDistanceOrReply: a non-negative radius and its unit. */
function distanceArgs(radiusArg: Bytes, unit: Bytes): { radius: number; conversion: number } {
  const radius = doubleArg(radiusArg, "need numeric radius");
  if (radius < 0) throw new StoreError("ERR", "ERR radius cannot be negative");
  return { radius, conversion: unitArg(unit) };
}

/** The keys of GEORADIUS / GEORADIUSBYMEMBER: the source, and STORE's or STOREDIST's key. */
function radiusKeys(argv: readonly Bytes[], base: number): Bytes[] {
  const keys = [argv[1] as Bytes];
  for (let i = base; i < argv.length; i++) {
    const arg = (argv[i] as Bytes).toLowerCase();
    if (arg === "count") i++;
    else if ((arg === "store" || arg === "storedist") && i + 1 < argv.length) keys.push(argv[++i] as Bytes);
  }
  return keys;
}

const RADIUS_COMPLEXITY =
  "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.";
const RADIUS_OPTIONS = "[WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]";

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
    handler: (ctx, argv) => georadius(ctx, argv, Kind.Search),
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
    handler: (ctx, argv) => georadius(ctx, argv, Kind.SearchStore),
  },
  {
    name: "GEORADIUS",
    arity: -6,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "geo",
    complexity: RADIUS_COMPLEXITY,
    summary:
      "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point (deprecated since 6.2.0: GEOSEARCH and GEOSEARCHSTORE with the BYRADIUS argument)",
    syntax: `GEORADIUS key longitude latitude radius M | KM | FT | MI ${RADIUS_OPTIONS} [STORE key] [STOREDIST key]`,
    keys: (argv) => radiusKeys(argv, 6),
    handler: (ctx, argv) => georadius(ctx, argv, Kind.Coords),
  },
  {
    name: "GEORADIUSBYMEMBER",
    arity: -5,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "geo",
    complexity: RADIUS_COMPLEXITY,
    summary:
      "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member (deprecated since 6.2.0: GEOSEARCH and GEOSEARCHSTORE with the BYRADIUS and FROMMEMBER arguments)",
    syntax: `GEORADIUSBYMEMBER key member radius M | KM | FT | MI ${RADIUS_OPTIONS} [STORE key] [STOREDIST key]`,
    keys: (argv) => radiusKeys(argv, 5),
    handler: (ctx, argv) => georadius(ctx, argv, Kind.Member),
  },
  {
    name: "GEORADIUS_RO",
    arity: -6,
    flags: ["readonly"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "geo",
    complexity: RADIUS_COMPLEXITY,
    summary: "A read-only variant for GEORADIUS (deprecated since 6.2.0: GEOSEARCH with the BYRADIUS argument)",
    syntax: `GEORADIUS_RO key longitude latitude radius M | KM | FT | MI ${RADIUS_OPTIONS}`,
    handler: (ctx, argv) => georadius(ctx, argv, Kind.Coords, true),
  },
  {
    name: "GEORADIUSBYMEMBER_RO",
    arity: -5,
    flags: ["readonly"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "geo",
    complexity: RADIUS_COMPLEXITY,
    summary:
      "A read-only variant for GEORADIUSBYMEMBER (deprecated since 6.2.0: GEOSEARCH with the BYRADIUS and FROMMEMBER arguments)",
    syntax: `GEORADIUSBYMEMBER_RO key member radius M | KM | FT | MI ${RADIUS_OPTIONS}`,
    handler: (ctx, argv) => georadius(ctx, argv, Kind.Member, true),
  },
];
