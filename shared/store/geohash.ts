/*
 * Redis's geohash (geohash.c, geohash_helper.c): a longitude/latitude pair as a 52-bit integer
 * (26 bits each, latitude in the even bits), stored as a sorted-set score; distances with Redis's
 * haversine and earth radius; and the exact decimal formatting of its replies.
 */

/** Redis's limits (EPSG:900913 / Web Mercator latitudes). */
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
const STEP = 26;
const EARTH_RADIUS_IN_METERS = 6372797.560856;
const D_R = Math.PI / 180.0;
const TWO_26 = 2 ** STEP;

const degRad = (ang: number): number => ang * D_R;

/** Interleaves two 26-bit integers: `even` in the even bits, `odd` in the odd bits (as a number < 2^52). */
function interleave(even: number, odd: number): number {
  let out = 0;
  let weight = 1;
  for (let i = 0; i < STEP; i++) {
    if (Math.floor(even / 2 ** i) % 2 === 1) out += weight;
    if (Math.floor(odd / 2 ** i) % 2 === 1) out += weight * 2;
    weight *= 4;
  }
  return out;
}

/** geohashEncode at step 26 within the given ranges (the C code truncates the offsets to uint32). */
function encode(lon: number, lat: number, lonMin: number, lonMax: number, latMin: number, latMax: number): number {
  const latOffset = ((lat - latMin) / (latMax - latMin)) * TWO_26;
  const lonOffset = ((lon - lonMin) / (lonMax - lonMin)) * TWO_26;
  return interleave(Math.trunc(latOffset) >>> 0, Math.trunc(lonOffset) >>> 0);
}

/** The score GEOADD stores for a (validated) position: its 52-bit geohash. */
export function geoScore(lon: number, lat: number): number {
  return encode(lon, lat, GEO_LONG_MIN, GEO_LONG_MAX, GEO_LAT_MIN, GEO_LAT_MAX);
}

/** True when Redis accepts the pair (extractLongLatOrReply). */
export function validLonLat(lon: number, lat: number): boolean {
  return !(lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX);
}

/**
 * The position a score stands for (the centre of its cell, clamped), as decodeGeohash: the score
 * converted to uint64 as C does on x86-64 (a negative one wraps), its 32 even bits the latitude
 * cell, its 32 odd bits the longitude cell. Undefined for NaN or infinite scores.
 */
export function decodeScore(score: number): [lon: number, lat: number] | undefined {
  if (!Number.isFinite(score)) return undefined;
  const bits = BigInt.asUintN(64, BigInt(Math.trunc(score)));
  let ilat = 0;
  let ilon = 0;
  for (let i = 0; i < 32; i++) {
    if ((bits >> BigInt(2 * i)) & 1n) ilat += 2 ** i;
    if ((bits >> BigInt(2 * i + 1)) & 1n) ilon += 2 ** i;
  }
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const lonScale = GEO_LONG_MAX - GEO_LONG_MIN;
  const latMin = GEO_LAT_MIN + ((ilat * 1.0) / TWO_26) * latScale;
  const latMax = GEO_LAT_MIN + (((ilat + 1) * 1.0) / TWO_26) * latScale;
  const lonMin = GEO_LONG_MIN + ((ilon * 1.0) / TWO_26) * lonScale;
  const lonMax = GEO_LONG_MIN + (((ilon + 1) * 1.0) / TWO_26) * lonScale;
  let lon = (lonMin + lonMax) / 2;
  if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX;
  if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN;
  let lat = (latMin + latMax) / 2;
  if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX;
  if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN;
  return [lon, lat];
}

const ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz";

/** GEOHASH's 11-character standard geohash of a position (latitudes -90..90; the last character is '0'). */
export function geohashString(lon: number, lat: number): string {
  const bits = encode(lon, lat, -180, 180, -90, 90);
  let out = "";
  for (let i = 0; i < 11; i++) {
    const idx = i === 10 ? 0 : Math.floor(bits / 2 ** (52 - (i + 1) * 5)) % 32;
    out += ALPHABET[idx];
  }
  return out;
}

/** geohashGetLatDistance. */
export function latDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2) - degRad(lat1));
}

/** geohashGetDistance: Redis's haversine, in meters. */
export function geoDistance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = degRad(lon1);
  const lon2r = degRad(lon2);
  const v = Math.sin((lon2r - lon1r) / 2);
  if (v === 0.0) return latDistance(lat1, lat2);
  const lat1r = degRad(lat1);
  const lat2r = degRad(lat2);
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

/** round-half-even of a double (llrint in the default rounding mode). */
function rint(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** fixedpoint_d2string(d, 4): a distance as GEODIST/WITHDIST print it. */
export function formatDistance(d: number): string {
  if (d === 0) return "0.0000";
  const v = rint(d * 10000);
  const neg = v < 0;
  const a = BigInt(Math.abs(v));
  const s = `${a / 10000n}.${String(a % 10000n).padStart(4, "0")}`;
  return neg ? `-${s}` : s;
}

/**
 * `%.17Lf` of a double, trailing zeros (and a bare dot) removed: Redis's "human" long double
 * (GEOPOS, WITHCOORD). Exact: the double's binary value is expanded, rounded half to even.
 */
export function formatHumanCoordinate(x: number): string {
  if (x === 0) return "0";
  const neg = x < 0;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(x));
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (exp === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = exp - 1075;
  }
  const scale = 10n ** 17n;
  let q: bigint;
  if (e >= 0) q = mant * scale * (1n << BigInt(e));
  else {
    const num = mant * scale;
    const den = 1n << BigInt(-e);
    q = num / den;
    const r2 = (num % den) * 2n;
    if (r2 > den || (r2 === den && q % 2n === 1n)) q += 1n;
  }
  let s = `${q / scale}.${String(q % scale).padStart(17, "0")}`;
  s = s.replace(/0+$/, "").replace(/\.$/, "");
  if (neg && s !== "0") s = `-${s}`;
  return s;
}

/** `%f` (6 decimals) of a double, for Redis's invalid-pair message. */
export function formatFixed6(x: number): string {
  if (Number.isNaN(x)) return x < 0 ? "-nan" : "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  if (Math.abs(x) < 1e21) return x.toFixed(6);
  return `${BigInt(Math.trunc(x))}.000000`;
}

/*
 * The nine-cell search of geohash_helper.c (geohashCalculateAreasByShapeWGS84): the centre's cell
 * at a step (precision) estimated from the shape's size, and its eight neighbours, minus those the
 * shape's bounding box cannot reach. Each cell is a range of 52-bit scores.
 */

const MERCATOR_MAX = 20037726.37;
const EVEN = 0x5555555555555555n;
const ODD = 0xaaaaaaaaaaaaaaaan;

/** A cell: its interleaved bits at `step` (Redis's GeoHashBits). */
interface Cell {
  readonly bits: bigint;
  readonly step: number;
}

/** A search shape in meters-per-unit `conversion`: a circle (`radius`) or a box (`width`, `height`). */
export interface SearchShape {
  readonly lon: number;
  readonly lat: number;
  readonly conversion: number;
  readonly radius?: number;
  readonly width?: number;
  readonly height?: number;
}

/** geohashEstimateStepsByRadius. */
function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  let range = rangeMeters;
  while (range < MERCATOR_MAX) {
    range *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  return Math.min(26, Math.max(1, step));
}

/** geohashEncode of a valid position at `step`, WGS84 ranges. */
function encodeAt(lon: number, lat: number, step: number): Cell {
  const cells = 2 ** step;
  const latOffset = ((lat - GEO_LAT_MIN) / (GEO_LAT_MAX - GEO_LAT_MIN)) * cells;
  const lonOffset = ((lon - GEO_LONG_MIN) / (GEO_LONG_MAX - GEO_LONG_MIN)) * cells;
  return { bits: BigInt(interleave(Math.trunc(latOffset) >>> 0, Math.trunc(lonOffset) >>> 0)), step };
}

/** geohashDecode: a cell's bounds. */
function areaOf(cell: Cell): { lonMin: number; lonMax: number; latMin: number; latMax: number } {
  let ilat = 0;
  let ilon = 0;
  for (let i = 0; i < 32; i++) {
    if ((cell.bits >> BigInt(2 * i)) & 1n) ilat += 2 ** i;
    if ((cell.bits >> BigInt(2 * i + 1)) & 1n) ilon += 2 ** i;
  }
  const cells = 2 ** cell.step;
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const lonScale = GEO_LONG_MAX - GEO_LONG_MIN;
  return {
    latMin: GEO_LAT_MIN + ((ilat * 1.0) / cells) * latScale,
    latMax: GEO_LAT_MIN + (((ilat + 1) * 1.0) / cells) * latScale,
    lonMin: GEO_LONG_MIN + ((ilon * 1.0) / cells) * lonScale,
    lonMax: GEO_LONG_MIN + (((ilon + 1) * 1.0) / cells) * lonScale,
  };
}

/** geohash_move_x / geohash_move_y: the neighbouring cell `dx` east and `dy` north (wrapping, as C's uint64). */
function moved(cell: Cell, dx: number, dy: number): Cell {
  const shift = BigInt(64 - cell.step * 2);
  let x = cell.bits & ODD;
  let y = cell.bits & EVEN;
  if (dx !== 0) {
    const zz = EVEN >> shift;
    x = dx > 0 ? x + (zz + 1n) : (x | zz) - (zz + 1n);
    x = BigInt.asUintN(64, x) & (ODD >> shift);
  }
  if (dy !== 0) {
    const zz = ODD >> shift;
    y = dy > 0 ? y + (zz + 1n) : (y | zz) - (zz + 1n);
    y = BigInt.asUintN(64, y) & (EVEN >> shift);
  }
  return { bits: x | y, step: cell.step };
}

/** geohashBoundingBox: [minLon, minLat, maxLon, maxLat] of the shape. */
function boundingBox(shape: SearchShape): [number, number, number, number] {
  const circle = shape.radius !== undefined;
  const height = shape.conversion * (circle ? (shape.radius as number) : (shape.height as number) / 2);
  const width = shape.conversion * (circle ? (shape.radius as number) : (shape.width as number) / 2);
  const latDelta = height / EARTH_RADIUS_IN_METERS / D_R;
  const lonDeltaTop = width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(shape.lat + latDelta)) / D_R;
  const lonDeltaBottom = width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(shape.lat - latDelta)) / D_R;
  const south = shape.lat < 0;
  return [
    south ? shape.lon - lonDeltaBottom : shape.lon - lonDeltaTop,
    shape.lat - latDelta,
    south ? shape.lon + lonDeltaBottom : shape.lon + lonDeltaTop,
    shape.lat + latDelta,
  ];
}

/** A half-open range of scores `[min, max)`: one cell's members (geohashAlign52Bits). */
export interface ScoreCell {
  readonly min: number;
  readonly max: number;
}

const align52 = (bits: bigint, step: number): number => Number(bits << BigInt(52 - step * 2));

/**
 * The score ranges a search scans, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW), without
 * the cells the shape cannot reach and without a cell equal to the one scanned before it (huge
 * radii make neighbours coincide): membersOfAllNeighbors over geohashCalculateAreasByShapeWGS84.
 */
export function searchCells(shape: SearchShape): ScoreCell[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const radiusMeters =
    (shape.radius !== undefined
      ? shape.radius
      : Math.sqrt(((shape.width as number) / 2) ** 2 + ((shape.height as number) / 2) ** 2)) * shape.conversion;
  let steps = estimateSteps(radiusMeters, shape.lat);
  let centre = encodeAt(shape.lon, shape.lat, steps);
  const near = (c: Cell) => ({
    n: moved(c, 0, 1),
    s: moved(c, 0, -1),
    e: moved(c, 1, 0),
    w: moved(c, -1, 0),
  });
  let nb = near(centre);
  const decrease =
    areaOf(nb.n).latMax < maxLat ||
    areaOf(nb.s).latMin > minLat ||
    areaOf(nb.e).lonMax < maxLon ||
    areaOf(nb.w).lonMin > minLon;
  if (steps > 1 && decrease) {
    steps--;
    centre = encodeAt(shape.lon, shape.lat, steps);
    nb = near(centre);
  }
  const area = areaOf(centre);
  // centre, north, south, east, west, north-east, north-west, south-east, south-west
  const cells: (Cell | undefined)[] = [
    centre,
    nb.n,
    nb.s,
    nb.e,
    nb.w,
    moved(centre, 1, 1),
    moved(centre, -1, 1),
    moved(centre, 1, -1),
    moved(centre, -1, -1),
  ];
  if (steps >= 2) {
    const drop = (...at: number[]) => {
      for (const i of at) cells[i] = undefined;
    };
    if (area.latMin < minLat) drop(2, 8, 7);
    if (area.latMax > maxLat) drop(1, 5, 6);
    if (area.lonMin < minLon) drop(4, 8, 6);
    if (area.lonMax > maxLon) drop(3, 7, 5);
  }
  const out: ScoreCell[] = [];
  let last: Cell | undefined;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === undefined) continue;
    // Redis compares with the last scanned cell only once one other than the centre was scanned.
    if (i > 0 && last !== undefined && last !== centre && cell.bits === last.bits && cell.step === last.step) continue;
    out.push({ min: align52(cell.bits, cell.step), max: align52(cell.bits + 1n, cell.step) });
    last = cell;
  }
  return out;
}
