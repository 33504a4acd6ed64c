import type { Clients } from "../../api/clients.js";
import { elementsOf, execute, textOf } from "../../api/raw-reply.js";
import { utf8 } from "../../model/bytes.js";
import type { Column, Element, ElementPage, ElementQuery, ElementSource } from "./element-table.js";

/**
 * Scores that look like geo positions: integers from 2^32 to 2^52 (GEOADD stores a 52-bit
 * interleaved geohash; real places score in the 10^14-10^15s, while counters and ranks are small).
 */
export const isGeoScore = (score: number | undefined): boolean =>
  score !== undefined && Number.isInteger(score) && score >= 2 ** 32 && score < 2 ** 52;

const COORDINATES: Column = { name: "Coordinates (GEOPOS)" };

/**
 * A sorted set with a Coordinates column when every member of the page shown has a geo score:
 * the longitude and latitude GEOPOS decodes (one call per page). Other sorted sets are unchanged;
 * the column is read-only (a position changes with GEOADD in the command bar, or the score).
 */
export function geoAware(inner: ElementSource, clients: Clients, key: string): ElementSource {
  let geo = false;
  return {
    ...inner,
    get columns() {
      return geo ? [...inner.columns, COORDINATES] : inner.columns;
    },
    async load(token: string, query?: ElementQuery): Promise<ElementPage> {
      const page = await inner.load(token, query);
      geo = page.items.length > 0 && page.items.every((item) => isGeoScore(item.score));
      if (!geo) return page;
      const reply = await execute(clients, "GEOPOS", key, ...page.items.map((item) => item.ref as Uint8Array));
      const positions = elementsOf(reply);
      const items = page.items.map((item, i): Element => {
        const [lon, lat] = elementsOf(positions[i]).map((r) => textOf(r));
        const cell = lon && lat ? `${Number(lon).toFixed(6)}, ${Number(lat).toFixed(6)}` : "—";
        return { ...item, cells: [...item.cells, cell], values: [...item.values, utf8(cell)] };
      });
      return { ...page, items };
    },
  };
}
