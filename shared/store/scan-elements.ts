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
 * every element present for the whole scan is returned exactly once.
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
