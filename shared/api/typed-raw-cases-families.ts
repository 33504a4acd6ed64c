/**
 * Test support (typed-raw-differential.test.ts only): the cases of BitmapsService,
 * HyperLogLogService, GeoService and KeysService.Sort/SortRo — a random request, the raw command
 * written here from the Redis syntax, and the raw reply the typed response stands for.
 */
import type { DescService } from "@bufbuild/protobuf";
import { BitFieldOverflow, BitmapsService, BitOperation, BitUnit } from "../gen/memorabilia/v1/bitmaps_service_pb.js";
import { GeoOrder, GeoService, GeoUnit } from "../gen/memorabilia/v1/geo_service_pb.js";
import { HyperLogLogService } from "../gen/memorabilia/v1/hyperloglog_service_pb.js";
import { KeysService } from "../gen/memorabilia/v1/keys_service_pb.js";
import { ZAddCondition } from "../gen/memorabilia/v1/sorted_sets_service_pb.js";
import { type Case, fmt, type Gen, hex, type Msg, type Plain, type RawArg } from "./typed-raw-cases.js";

const B = (a: Uint8Array): Plain => ({ b: hex(a) });
const I = (n: bigint | number | boolean): Plain => (typeof n === "boolean" ? (n ? 1n : 0n) : BigInt(n));
const D = (n: number): Plain => ({ d: n });
const T = (s: string): Plain => ({ t: s });
const OK: Plain = { s: "OK" };

// Bitmaps: keys shared with the string cases (so bit writes meet values of every kind).
const bitKey = (r: Gen): string => r.pick(["b", "b", "k", r.key()]);
/** A bit offset: mostly within a few bytes, sometimes far, sometimes invalid. */
const bitOffset = (r: Gen): bigint =>
  r.chance(0.85) ? BigInt(r.int(40)) : r.pick([4095n, 2n ** 15n, -1n, 2n ** 32n, 2n ** 63n - 1n]);
const UNIT: Record<number, string[]> = { [BitUnit.UNSPECIFIED]: [], [BitUnit.BYTE]: ["BYTE"], [BitUnit.BIT]: ["BIT"] };
const OP: Record<number, string> = {
  [BitOperation.AND]: "AND",
  [BitOperation.OR]: "OR",
  [BitOperation.XOR]: "XOR",
  [BitOperation.NOT]: "NOT",
};
const OVERFLOW: Record<number, string> = {
  [BitFieldOverflow.UNSPECIFIED]: "WRAP",
  [BitFieldOverflow.WRAP]: "WRAP",
  [BitFieldOverflow.SAT]: "SAT",
  [BitFieldOverflow.FAIL]: "FAIL",
};
const fieldRef = (r: Gen): Msg => ({
  signed: r.chance(0.5),
  bits: r.pick([1, 3, 8, 8, 16, 63, 64, 0, 65]),
  offset: r.chance(0.9) ? BigInt(r.int(30)) : r.pick([-1n, 2n ** 32n]),
  offsetInFields: r.chance(0.2),
});
const fieldRaw = (f: Msg): string[] => [
  `${f.signed ? "i" : "u"}${f.bits}`,
  `${f.offsetInFields ? "#" : ""}${f.offset}`,
];
const fieldWrite = (r: Gen): Msg => ({
  field: fieldRef(r),
  value: r.bigint(),
  overflow: r.enum(BitFieldOverflow.UNSPECIFIED, BitFieldOverflow.WRAP, BitFieldOverflow.SAT, BitFieldOverflow.FAIL),
});
/** BITFIELD's subcommands written independently: an OVERFLOW token before every write whose mode differs. */
function bitFieldRaw(ops: Msg[]): RawArg[] {
  const out: RawArg[] = [];
  let mode = "WRAP";
  for (const o of ops) {
    const { case: kind, value } = o.operation;
    if (kind === "get") {
      out.push("GET", ...fieldRaw(value));
      continue;
    }
    if (OVERFLOW[value.overflow] !== mode) {
      mode = OVERFLOW[value.overflow] as string;
      out.push("OVERFLOW", mode);
    }
    out.push(kind === "set" ? "SET" : "INCRBY", ...fieldRaw(value.field), String(value.value));
  }
  return out;
}

// Geo: positions near one point (so searches find members), some at the edges, some invalid.
const geoKey = (r: Gen): string => r.pick(["g", "g", "z", r.key()]);
const lon = (r: Gen): number =>
  r.chance(0.9) ? 13 + r.int(200) / 100 : r.pick([-180, 180, 180.5, 0, Number.NaN, Number.POSITIVE_INFINITY]);
const lat = (r: Gen): number => (r.chance(0.9) ? 38 + r.int(200) / 100 : r.pick([85.05112878, 85.1, -85.05112878, 0]));
const GEO_UNIT: Record<number, string> = {
  [GeoUnit.UNSPECIFIED]: "m",
  [GeoUnit.METERS]: "m",
  [GeoUnit.KILOMETERS]: "km",
  [GeoUnit.FEET]: "ft",
  [GeoUnit.MILES]: "mi",
};
const unit = (r: Gen): GeoUnit =>
  r.enum(GeoUnit.UNSPECIFIED, GeoUnit.METERS, GeoUnit.KILOMETERS, GeoUnit.KILOMETERS, GeoUnit.FEET, GeoUnit.MILES);
const geoCondition: Record<number, string[]> = {
  [ZAddCondition.UNSPECIFIED]: [],
  [ZAddCondition.NX]: ["NX"],
  [ZAddCondition.XX]: ["XX"],
};
function area(r: Gen): Msg {
  const u = unit(r);
  const scale = u === GeoUnit.KILOMETERS ? 1 : u === GeoUnit.MILES ? 0.7 : u === GeoUnit.FEET ? 3000 : 1000;
  return {
    from: r.chance(0.5)
      ? { case: "fromMember", value: r.member() }
      : { case: "fromCoordinates", value: { longitude: lon(r), latitude: lat(r) } },
    by: r.chance(0.5)
      ? { case: "radius", value: r.chance(0.9) ? r.int(300) * scale : -1 }
      : { case: "box", value: { width: r.int(400) * scale, height: r.int(400) * scale } },
    unit: u,
    order: r.enum(GeoOrder.UNSPECIFIED, GeoOrder.ASC, GeoOrder.DESC),
    ...(r.chance(0.4) ? { count: BigInt(r.int(4)) } : {}),
    any: r.chance(0.15),
  };
}
function areaRaw(a: Msg): RawArg[] {
  const u = GEO_UNIT[a.unit] as string;
  const out: RawArg[] =
    a.from.case === "fromMember"
      ? ["FROMMEMBER", a.from.value]
      : ["FROMLONLAT", fmt(a.from.value.longitude), fmt(a.from.value.latitude)];
  if (a.by.case === "radius") out.push("BYRADIUS", fmt(a.by.value), u);
  else out.push("BYBOX", fmt(a.by.value.width), fmt(a.by.value.height), u);
  if (a.order === GeoOrder.ASC) out.push("ASC");
  if (a.order === GeoOrder.DESC) out.push("DESC");
  if (a.count !== undefined) out.push("COUNT", String(a.count));
  if (a.any) out.push("ANY");
  return out;
}
const coordsP = (c: Msg): Plain => [D(c.longitude), D(c.latitude)];

// SORT: the list, set and sorted-set keys of the other cases, and patterns over strings and hashes.
const sortKey = (r: Gen): string => r.pick(["l", "s", "z", "l", r.key()]);
function sortOptions(r: Gen): Msg {
  return {
    ...(r.chance(0.3) ? { by: r.pick(["*", "nosort", "k*", "h->*", "*->a", "w_*"]) } : {}),
    ...(r.chance(0.3) ? { limit: { offset: r.count(), count: r.count() } } : {}),
    get: r.chance(0.3) ? r.many(1, 2, () => r.pick(["#", "*", "k", "h->a", "*->b", "k*"])) : [],
    descending: r.chance(0.3),
    alpha: r.chance(0.6),
  };
}
function sortRaw(o: Msg): RawArg[] {
  const out: RawArg[] = [];
  if (o.by !== undefined) out.push("BY", o.by);
  if (o.limit !== undefined) out.push("LIMIT", String(o.limit.offset), String(o.limit.count));
  for (const g of o.get) out.push("GET", g);
  if (o.descending) out.push("DESC");
  if (o.alpha) out.push("ALPHA");
  return out;
}
const valuesP = (values: Msg[]): Plain => values.map((v) => (v.value === undefined ? null : B(v.value)));

/** The cases of the bitmap, HyperLogLog, geo and SORT RPCs. */
export function familyCases(
  c: (service: DescService, method: string, rest: Omit<Case, "service" | "method">) => Case,
): Case[] {
  const Bm = BitmapsService;
  const P = HyperLogLogService;
  const G = GeoService;
  const K = KeysService;
  return [
    // BitmapsService
    c(Bm, "setBit", {
      gen: (r) => ({ key: bitKey(r), offset: bitOffset(r), value: r.chance(0.6) }),
      raw: (q) => [["SETBIT", q.key, String(q.offset), q.value ? "1" : "0"]],
      project: (s) => [I(s.previous)],
    }),
    c(Bm, "getBit", {
      gen: (r) => ({ key: bitKey(r), offset: bitOffset(r) }),
      raw: (q) => [["GETBIT", q.key, String(q.offset)]],
      project: (s) => [I(s.value)],
    }),
    c(Bm, "bitCount", {
      gen: (r) => ({
        key: bitKey(r),
        ...(r.chance(0.6)
          ? {
              range: { start: r.count(), end: r.count(), unit: r.enum(BitUnit.UNSPECIFIED, BitUnit.BYTE, BitUnit.BIT) },
            }
          : {}),
      }),
      raw: (q) => [
        [
          "BITCOUNT",
          q.key,
          ...(q.range === undefined
            ? []
            : [String(q.range.start), String(q.range.end), ...(UNIT[q.range.unit] as string[])]),
        ],
      ],
      project: (s) => [I(s.count)],
    }),
    c(Bm, "bitPos", {
      gen: (r) => {
        const start = r.chance(0.6) ? r.count() : undefined;
        const end = start !== undefined && r.chance(0.6) ? r.count() : undefined;
        const unit = end !== undefined ? r.enum(BitUnit.UNSPECIFIED, BitUnit.BYTE, BitUnit.BIT) : BitUnit.UNSPECIFIED;
        return {
          key: bitKey(r),
          bit: r.chance(0.5),
          ...(start === undefined ? {} : { start }),
          ...(end === undefined ? {} : { end }),
          unit,
        };
      },
      raw: (q) => [
        [
          "BITPOS",
          q.key,
          q.bit ? "1" : "0",
          ...(q.start === undefined ? [] : [String(q.start)]),
          ...(q.end === undefined ? [] : [String(q.end), ...(UNIT[q.unit] as string[])]),
        ],
      ],
      project: (s) => [I(s.position)],
    }),
    c(Bm, "bitOp", {
      gen: (r) => ({
        operation: r.enum(BitOperation.AND, BitOperation.OR, BitOperation.XOR, BitOperation.NOT),
        destination: bitKey(r),
        keys: r.many(1, 3, () => bitKey(r)),
      }),
      raw: (q) => [["BITOP", OP[q.operation] as string, q.destination, ...q.keys]],
      project: (s) => [I(s.length)],
    }),
    c(Bm, "bitField", {
      gen: (r) => ({
        key: bitKey(r),
        operations: r.many(0, 4, () => {
          const k = r.int(3);
          if (k === 0) return { operation: { case: "get", value: fieldRef(r) } };
          return { operation: { case: k === 1 ? "set" : "incrBy", value: fieldWrite(r) } };
        }),
      }),
      raw: (q) => [["BITFIELD", q.key, ...bitFieldRaw(q.operations)]],
      project: (s) => [s.results.map((x: Msg) => (x.value === undefined ? null : I(x.value)))],
    }),
    c(Bm, "bitFieldRo", {
      gen: (r) => ({ key: bitKey(r), fields: r.many(0, 3, () => fieldRef(r)) }),
      raw: (q) => [["BITFIELD_RO", q.key, ...q.fields.flatMap((f: Msg) => ["GET", ...fieldRaw(f)])]],
      project: (s) => [s.values.map(I)],
    }),
    // HyperLogLogService
    c(P, "pfAdd", {
      gen: (r) => ({ key: r.pick(["p", "p", "q", r.key()]), elements: r.many(0, 4, () => r.member()) }),
      raw: (q) => [["PFADD", q.key, ...q.elements]],
      project: (s) => [I(s.changed)],
    }),
    c(P, "pfCount", {
      gen: (r) => ({ keys: r.many(1, 3, () => r.pick(["p", "q", r.key()])) }),
      raw: (q) => [["PFCOUNT", ...q.keys]],
      project: (s) => [I(s.count)],
    }),
    c(P, "pfMerge", {
      gen: (r) => ({
        destination: r.pick(["p", "q", r.key()]),
        sources: r.many(0, 3, () => r.pick(["p", "q", r.key()])),
      }),
      raw: (q) => [["PFMERGE", q.destination, ...q.sources]],
      project: () => [OK],
    }),
    // GeoService
    c(G, "geoAdd", {
      gen: (r) => ({
        key: geoKey(r),
        condition: r.enum(ZAddCondition.UNSPECIFIED, ZAddCondition.UNSPECIFIED, ZAddCondition.NX, ZAddCondition.XX),
        countChanged: r.chance(0.3),
        members: r.many(r.chance(0.05) ? 0 : 1, 3, () => ({ longitude: lon(r), latitude: lat(r), member: r.member() })),
      }),
      raw: (q) => [
        [
          "GEOADD",
          q.key,
          ...(geoCondition[q.condition] as string[]),
          ...(q.countChanged ? ["CH"] : []),
          ...q.members.flatMap((m: Msg) => [fmt(m.longitude), fmt(m.latitude), m.member]),
        ],
      ],
      project: (s) => [I(s.count)],
    }),
    c(G, "geoPos", {
      gen: (r) => ({ key: geoKey(r), members: r.many(0, 3, () => r.member()) }),
      raw: (q) => [["GEOPOS", q.key, ...q.members]],
      project: (s) => [s.positions.map((p: Msg) => (p.coordinates === undefined ? null : coordsP(p.coordinates)))],
    }),
    c(G, "geoDist", {
      gen: (r) => ({ key: geoKey(r), member1: r.member(), member2: r.member(), unit: unit(r) }),
      raw: (q) => [["GEODIST", q.key, q.member1, q.member2, GEO_UNIT[q.unit] as string]],
      project: (s) => [s.distance === undefined ? null : D(s.distance)],
    }),
    c(G, "geoHash", {
      gen: (r) => ({ key: geoKey(r), members: r.many(0, 3, () => r.member()) }),
      raw: (q) => [["GEOHASH", q.key, ...q.members]],
      project: (s) => [s.hashes.map((h: Msg) => (h.hash === undefined ? null : T(h.hash)))],
    }),
    c(G, "geoSearch", {
      gen: (r) => ({
        key: geoKey(r),
        area: area(r),
        withCoordinates: r.chance(0.3),
        withDistance: r.chance(0.4),
        withHash: r.chance(0.3),
      }),
      raw: (q) => [
        [
          "GEOSEARCH",
          q.key,
          ...areaRaw(q.area),
          ...(q.withCoordinates ? ["WITHCOORD"] : []),
          ...(q.withDistance ? ["WITHDIST"] : []),
          ...(q.withHash ? ["WITHHASH"] : []),
        ],
      ],
      project: (s, q) => [
        s.results.map((x: Msg) => {
          if (!(q.withCoordinates || q.withDistance || q.withHash)) return B(x.member);
          const item: Plain[] = [B(x.member)];
          if (q.withDistance) item.push(D(x.distance));
          if (q.withHash) item.push(I(x.hash));
          if (q.withCoordinates) item.push(coordsP(x.coordinates));
          return item;
        }),
      ],
    }),
    c(G, "geoSearchStore", {
      gen: (r) => ({ destination: geoKey(r), source: geoKey(r), area: area(r), storeDistance: r.chance(0.3) }),
      raw: (q) => [
        ["GEOSEARCHSTORE", q.destination, q.source, ...areaRaw(q.area), ...(q.storeDistance ? ["STOREDIST"] : [])],
      ],
      project: (s) => [I(s.count)],
    }),
    // KeysService: SORT, SORT_RO
    c(K, "sort", {
      gen: (r) => ({
        key: sortKey(r),
        options: sortOptions(r),
        ...(r.chance(0.3) ? { destination: r.pick(["l", "d", r.key()]) } : {}),
      }),
      raw: (q) => [
        ["SORT", q.key, ...sortRaw(q.options), ...(q.destination === undefined ? [] : ["STORE", q.destination])],
      ],
      project: (s, q) => [q.destination === undefined ? valuesP(s.values) : I(s.stored)],
    }),
    c(K, "sortRo", {
      gen: (r) => ({ key: sortKey(r), options: sortOptions(r) }),
      raw: (q) => [["SORT_RO", q.key, ...sortRaw(q.options)]],
      project: (s) => [valuesP(s.values)],
    }),
  ];
}
