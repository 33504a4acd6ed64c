/**
 * GeoService: the geo commands (GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEOSEARCHSTORE) over
 * the store, one command per RPC.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type GeoArea,
  type GeoCoordinatesSchema,
  GeoOrder,
  GeoService,
  GeoUnit,
} from "../gen/memorabilia/v1/geo_service_pb.js";
import { ZAddCondition } from "../gen/memorabilia/v1/sorted_sets_service_pb.js";
import type { Bytes } from "../store/bytes.js";
import type { Reply } from "../store/reply.js";
import type { Store } from "../store/store.js";
import { bin, bins, float, int, invalidArgument, key, required, token } from "./args.js";
import { invoke } from "./invoke.js";
import { arrayOf, bytesOf, doubleOf, int64Of, textOf } from "./replies.js";
import { guarded, type ServiceOptions } from "./service-options.js";

const CONDITIONS: Partial<Record<ZAddCondition, Bytes>> = { [ZAddCondition.NX]: "NX", [ZAddCondition.XX]: "XX" };

const UNITS: Partial<Record<GeoUnit, Bytes>> = {
  [GeoUnit.UNSPECIFIED]: "m",
  [GeoUnit.METERS]: "m",
  [GeoUnit.KILOMETERS]: "km",
  [GeoUnit.FEET]: "ft",
  [GeoUnit.MILES]: "mi",
};

const ORDERS: Partial<Record<GeoOrder, Bytes>> = { [GeoOrder.ASC]: "ASC", [GeoOrder.DESC]: "DESC" };

type CoordinatesInit = MessageInitShape<typeof GeoCoordinatesSchema>;

/** A `[longitude, latitude]` reply as coordinates. */
function coordinatesOf(reply: Reply): CoordinatesInit {
  const [lon, lat] = arrayOf(reply);
  return { longitude: doubleOf(lon as Reply), latitude: doubleOf(lat as Reply) };
}

/** The FROM…, BY…, order and COUNT arguments of a search area. */
export function areaArgs(area: GeoArea): Bytes[] {
  const out: Bytes[] = [];
  const from = area.from;
  if (from.case === "fromMember") out.push("FROMMEMBER", bin(from.value));
  else if (from.case === "fromCoordinates") {
    out.push("FROMLONLAT", float(from.value.longitude), float(from.value.latitude));
  } else throw invalidArgument("area.from: from_member or from_coordinates is required");
  const unit = token(area.unit, UNITS, "area.unit");
  const by = area.by;
  if (by.case === "radius") out.push("BYRADIUS", float(by.value), unit);
  else if (by.case === "box") out.push("BYBOX", float(by.value.width), float(by.value.height), unit);
  else throw invalidArgument("area.by: radius or box is required");
  if (area.order !== GeoOrder.UNSPECIFIED) out.push(token(area.order, ORDERS, "area.order"));
  if (area.count !== undefined) out.push("COUNT", int(area.count));
  if (area.any) out.push("ANY");
  return out;
}

/** Creates the GeoService implementation over `store`. */
export function createGeoService(store: Store, options: ServiceOptions = {}): ServiceImpl<typeof GeoService> {
  return guarded(
    GeoService,
    {
      async geoAdd(req, ctx) {
        const argv: Bytes[] = ["GEOADD", key(req.key)];
        if (req.condition !== ZAddCondition.UNSPECIFIED) argv.push(token(req.condition, CONDITIONS, "condition"));
        if (req.countChanged) argv.push("CH");
        for (const m of req.members) argv.push(float(m.longitude), float(m.latitude), bin(m.member));
        return { count: int64Of(await invoke(store, argv, ctx)) };
      },
      async geoPos(req, ctx) {
        const reply = await invoke(store, ["GEOPOS", key(req.key), ...bins(req.members)], ctx);
        return { positions: arrayOf(reply).map((p) => (p === null ? {} : { coordinates: coordinatesOf(p) })) };
      },
      async geoDist(req, ctx) {
        const argv = ["GEODIST", key(req.key), bin(req.member1), bin(req.member2), token(req.unit, UNITS, "unit")];
        const reply = await invoke(store, argv, ctx);
        return { distance: reply === null ? undefined : doubleOf(reply) };
      },
      async geoHash(req, ctx) {
        const reply = await invoke(store, ["GEOHASH", key(req.key), ...bins(req.members)], ctx);
        return { hashes: arrayOf(reply).map((h) => (h === null ? {} : { hash: textOf(h) })) };
      },
      async geoSearch(req, ctx) {
        const argv: Bytes[] = ["GEOSEARCH", key(req.key), ...areaArgs(required(req.area, "area"))];
        if (req.withCoordinates) argv.push("WITHCOORD");
        if (req.withDistance) argv.push("WITHDIST");
        if (req.withHash) argv.push("WITHHASH");
        const extras = req.withCoordinates || req.withDistance || req.withHash;
        const results = arrayOf(await invoke(store, argv, ctx)).map((item) => {
          if (!extras) return { member: bytesOf(item) };
          // [member, dist?, hash?, [lon, lat]?], in that order.
          const parts = arrayOf(item);
          let at = 1;
          return {
            member: bytesOf(parts[0] as Reply),
            distance: req.withDistance ? doubleOf(parts[at++] as Reply) : undefined,
            hash: req.withHash ? int64Of(parts[at++] as Reply) : undefined,
            coordinates: req.withCoordinates ? coordinatesOf(parts[at++] as Reply) : undefined,
          };
        });
        return { results };
      },
      async geoSearchStore(req, ctx) {
        const argv: Bytes[] = ["GEOSEARCHSTORE", key(req.destination), key(req.source)];
        argv.push(...areaArgs(required(req.area, "area")));
        if (req.storeDistance) argv.push("STOREDIST");
        return { count: int64Of(await invoke(store, argv, ctx)) };
      },
    },
    options,
  );
}
