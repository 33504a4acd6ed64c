import type { Bytes } from "./bytes.js";
import type { CommandContext } from "./command.js";
import { StoreError, syntaxError } from "./errors.js";
import { compileGlob } from "./glob.js";
import { parseCount, parseSafeInt } from "./parse.js";
import type { Reply } from "./reply.js";

/** Parsed `[MATCH pattern] [COUNT count] [NOVALUES]` options of HSCAN/SSCAN/ZSCAN. */
export interface ElementScanOptions {
  readonly match: ((subject: Bytes) => boolean) | null;
  readonly count: number;
  readonly noValues: boolean;
}

/**
 * Parses the options after `<key> <cursor>` (argv from index `from`). `allowNoValues` for HSCAN.
 */
export function parseElementScanOptions(
  ctx: CommandContext,
  argv: readonly Bytes[],
  from: number,
  allowNoValues = false,
): ElementScanOptions {
  let match: ((s: Bytes) => boolean) | null = null;
  let count = 10;
  let noValues = false;
  for (let i = from; i < argv.length; i++) {
    const opt = (argv[i] as Bytes).toUpperCase();
    if (opt === "MATCH" && i + 1 < argv.length) {
      const p = argv[++i] as Bytes;
      match = p === "*" ? null : compileGlob(p);
    } else if (opt === "COUNT" && i + 1 < argv.length) {
      const arg = argv[++i] as Bytes;
      // Redis (scanGenericCommand): a COUNT below 1 is a syntax error, not a range error.
      if (parseSafeInt(arg) < 1) throw syntaxError();
      count = parseCount(arg, ctx.limits.maxScanCount);
    } else if (opt === "NOVALUES" && allowNoValues) {
      noValues = true;
    } else {
      throw syntaxError();
    }
  }
  return { match, count, noValues };
}

/**
 * One page of an element scan over a collection (HSCAN, SSCAN, ZSCAN).
 *
 * Like Redis with small encodings, a collection of at most `count` elements is returned whole
 * with cursor 0. Larger ones park a live iterator in `ctx.elementCursors` (bound to the key), so
 * every element present for the whole scan is returned exactly once. With
 * `ctx.statelessElementCursors` (a remote engine) nothing is parked: see {@link scanByHash}.
 *
 * @param cursor the canonical cursor from `parseScanCursor` ("0" starts a new scan)
 * @param entries creates a fresh iterator over the collection's elements
 * @param nameOf the element's name, matched against MATCH
 * @param emit appends the element's reply items (member; or field and value) to `out`
 */
export function scanElements<T>(
  ctx: CommandContext,
  key: Bytes,
  cursor: Bytes,
  size: number,
  entries: () => Iterator<T>,
  nameOf: (item: T) => Bytes,
  emit: (item: T, out: Reply[]) => void,
  options: ElementScanOptions,
): [Bytes, Reply[]] {
  if (ctx.statelessElementCursors) return scanByHash(cursor, size, entries, nameOf, emit, options);
  let iter: Iterator<T>;
  if (cursor === "0") {
    iter = entries();
  } else {
    // `cursor` comes from parseScanCursor; an id that is not parked (never issued, expired,
    // evicted, or issued for another key) cannot resume anything.
    const parked = ctx.elementCursors.take(cursor, ctx.now);
    if (!parked || parked.key !== key) throw new StoreError("INVALID_CURSOR");
    iter = parked.iter as Iterator<T>;
  }
  const out: Reply[] = [];
  const whole = cursor === "0" && size <= options.count;
  const limit = whole ? Number.POSITIVE_INFINITY : options.count;
  for (let examined = 0; examined < limit; examined++) {
    const next = iter.next();
    if (next.done) return ["0", out];
    if (options.match !== null && !options.match(nameOf(next.value))) continue;
    emit(next.value, out);
  }
  return [ctx.elementCursors.park({ key, iter }, ctx.now), out];
}

/** FNV-1a over an element's bytes: the order of stateless element cursors. */
function elementHash(name: Bytes): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A page of an element scan whose cursor is a position, not a parked iterator: elements ordered
 * by (32-bit hash, name), the cursor is the next page's first hash + 1 (so never "0"), and a page
 * never splits a hash. Valid on any server and after any change; every element present for the
 * whole scan is returned exactly once. Each page orders the whole collection (O(n log n)): for
 * engines whose values are bounded (a remote engine's request size).
 */
function scanByHash<T>(
  cursor: Bytes,
  size: number,
  entries: () => Iterator<T>,
  nameOf: (item: T) => Bytes,
  emit: (item: T, out: Reply[]) => void,
  options: ElementScanOptions,
): [Bytes, Reply[]] {
  const out: Reply[] = [];
  const from = cursor === "0" ? 0 : Number(cursor) - 1;
  // A cursor past every hash (never issued) ends the scan, as an unknown position in Redis does.
  if (from > 0xffffffff) return ["0", out];
  const iter = entries();
  if (cursor === "0" && size <= options.count) {
    // Small: whole, in the collection's order, like the parked path.
    for (let next = iter.next(); !next.done; next = iter.next()) {
      if (options.match === null || options.match(nameOf(next.value))) emit(next.value, out);
    }
    return ["0", out];
  }
  const ordered: { h: number; name: Bytes; item: T }[] = [];
  for (let next = iter.next(); !next.done; next = iter.next()) {
    const name = nameOf(next.value);
    const h = elementHash(name);
    if (h >= from) ordered.push({ h, name, item: next.value });
  }
  ordered.sort((a, b) => a.h - b.h || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let end = Math.min(ordered.length, options.count);
  while (end < ordered.length && (ordered[end] as { h: number }).h === (ordered[end - 1] as { h: number }).h) end++;
  for (let i = 0; i < end; i++) {
    const e = ordered[i] as { name: Bytes; item: T };
    if (options.match === null || options.match(e.name)) emit(e.item, out);
  }
  return [end < ordered.length ? String((ordered[end] as { h: number }).h + 1) : "0", out];
}
