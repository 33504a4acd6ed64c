import type { Bytes } from "./bytes.js";
import type { CommandContext, CommandSpec } from "./command.js";
import { StoreError, syntaxError, wrongType } from "./errors.js";
import { HashValue } from "./hash-value.js";
import { ListValue } from "./list-deque.js";
import { parseInt64 } from "./parse.js";
import type { Reply } from "./reply.js";
import { checkReply, checkReplyLength } from "./reply-limit.js";
import { SetValue } from "./set-value.js";
import { ZSetValue } from "./zset-value.js";

/*
 * SORT and SORT_RO (Redis 7.0's sort.c): sort a list, set or sorted set numerically or by bytes,
 * by its elements or by other keys (`BY weight_*`, `BY h_*->field`), page with LIMIT, return the
 * elements or other keys (`GET #`, `GET data_*`), or STORE the result as a list.
 *
 * BY and GET patterns read keys that no key spec names: hosts refuse them to a token limited to
 * some key patterns (shared/auth), as Redis refuses them to an ACL user without access to every
 * key, and as Redis Cluster does altogether.
 */

/** A C string's view of `s`: the bytes before the first NUL (Redis reads patterns with strchr/strcoll). */
const cString = (s: Bytes): Bytes => {
  const nul = s.indexOf("\0");
  return nul === -1 ? s : s.slice(0, nul);
};

/**
 * lookupKeyByPattern: the value a BY/GET pattern names for `element` (`#` is the element
 * itself; the first `*` is replaced by it; `->field` reads a hash field), or undefined.
 */
function lookupByPattern(ctx: CommandContext, pattern: Bytes, element: Bytes): Bytes | undefined {
  const c = cString(pattern);
  if (c === "#") return element;
  const star = c.indexOf("*");
  if (star === -1) return undefined;
  const arrow = c.indexOf("->", star + 1);
  const hasField = arrow !== -1 && arrow + 2 < c.length;
  const field = hasField ? pattern.slice(arrow + 2) : "";
  const postfixLen = pattern.length - (star + 1) - (hasField ? field.length + 2 : 0);
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, star + 1 + postfixLen);
  const v = ctx.db.lookup(key);
  if (v === undefined) return undefined;
  if (hasField) return v instanceof HashValue ? v.get(field) : undefined;
  return typeof v === "string" ? v : undefined;
}

const SPACE = /^[ \t\n\v\f\r]*/;
const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/;
const HEX = /^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?/;
const SPECIAL = /^[+-]?(?:inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)/i;

/**
 * C's strtod in the C locale, as SORT uses it: the value and whether the conversion is accepted
 * (the whole string parsed, no range error, not NaN). An empty string is 0 (strtod consumes
 * nothing and stops at the terminator); parsing stops at a NUL byte.
 */
export function sortScore(s: Bytes): { score: number; ok: boolean } {
  const str = cString(s);
  const lead = (SPACE.exec(str) as RegExpExecArray)[0].length;
  const rest = str.slice(lead);
  let m = HEX.exec(rest);
  let score: number;
  if (m !== null && /[0-9a-fA-F]/.test(m[0].replace(/^[+-]?0[xX]/, ""))) {
    score = parseHexFloat(m[0]);
  } else if ((m = DECIMAL.exec(rest)) !== null) {
    score = Number(m[0]);
    const digits = m[0].replace(/[eE].*$/, "").replace(/[^0-9]/g, "");
    const nonzero = /[1-9]/.test(digits);
    // glibc sets ERANGE on overflow, and on underflow to zero or to a subnormal.
    if (!Number.isFinite(score) || (nonzero && Math.abs(score) < 2.2250738585072014e-308)) {
      return { score, ok: false };
    }
  } else if ((m = SPECIAL.exec(rest)) !== null) {
    const neg = m[0].startsWith("-");
    score = /nan/i.test(m[0]) ? Number.NaN : neg ? -Infinity : Infinity;
  } else {
    // No conversion: strtod points back at the start, accepted only when that is the end (empty).
    return { score: 0, ok: str.length === 0 };
  }
  const ok = lead + m[0].length === str.length && !Number.isNaN(score);
  return { score, ok };
}

/** A C99 hexadecimal floating constant (`0x1.8p3`). */
function parseHexFloat(text: string): number {
  const neg = text.startsWith("-");
  const body = text.replace(/^[+-]?0[xX]/, "");
  const [mant = "", exp = "0"] = body.split(/[pP]/);
  const [int = "", frac = ""] = mant.split(".");
  let v = 0;
  for (const ch of int) v = v * 16 + Number.parseInt(ch, 16);
  let scale = 1 / 16;
  for (const ch of frac) {
    v += Number.parseInt(ch, 16) * scale;
    scale /= 16;
  }
  v *= 2 ** Number(exp);
  return neg ? -v : v;
}

/** Byte order, shorter first on a common prefix (compareStringObjects / memcmp). */
const compareBytes = (a: Bytes, b: Bytes): number => (a < b ? -1 : a > b ? 1 : 0);

/** strcoll in the C locale: byte order of the C strings (up to the first NUL). */
const compareCStrings = (a: Bytes, b: Bytes): number => compareBytes(cString(a), cString(b));

interface SortItem {
  readonly element: Bytes;
  score: number;
  /** The BY value for ALPHA with a pattern (undefined: the key is missing). */
  by: Bytes | undefined;
}

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  store: Bytes | undefined;
  by: Bytes | undefined;
  dontsort: boolean;
  gets: Bytes[];
}

/** Parses SORT's options (argv[2] on), Redis's loop: later options win, errors stop at once. */
function parseSortOptions(argv: readonly Bytes[], readonly: boolean): SortOptions {
  const o: SortOptions = {
    desc: false,
    alpha: false,
    limitStart: 0,
    limitCount: -1,
    store: undefined,
    by: undefined,
    dontsort: false,
    gets: [],
  };
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const opt = (argv[j] as Bytes).toLowerCase();
    if (opt === "asc") o.desc = false;
    else if (opt === "desc") o.desc = true;
    else if (opt === "alpha") o.alpha = true;
    else if (opt === "limit" && left >= 2) {
      o.limitStart = longArg(argv[j + 1] as Bytes);
      o.limitCount = longArg(argv[j + 2] as Bytes);
      j += 2;
    } else if (!readonly && opt === "store" && left >= 1) {
      o.store = argv[++j] as Bytes;
    } else if (opt === "by" && left >= 1) {
      o.by = argv[++j] as Bytes;
      // A pattern without `*` (BY nosort) skips sorting; as in Redis, a later BY does not undo it.
      if (!cString(o.by).includes("*")) o.dontsort = true;
    } else if (opt === "get" && left >= 1) {
      o.gets.push(argv[++j] as Bytes);
    } else throw syntaxError();
  }
  return o;
}

/** A `long` argument (LIMIT), as a number (int64 extremes clamp the same way later). */
function longArg(arg: Bytes): number {
  return Number(parseInt64(arg));
}

/** True when SORT's arguments read keys through BY or GET patterns (for the authorization policy). */
export function sortReadsPatternKeys(argv: readonly Bytes[]): "BY" | "GET" | undefined {
  for (let j = 2; j < argv.length; j++) {
    const opt = (argv[j] as Bytes).toLowerCase();
    if (opt === "limit") j += 2;
    else if (opt === "store") j++;
    else if (opt === "by" && j + 1 < argv.length) {
      if (cString(argv[j + 1] as Bytes).includes("*")) return "BY";
      j++;
    } else if (opt === "get" && j + 1 < argv.length) return "GET";
  }
  return undefined;
}

/* SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination] */
function sort(ctx: CommandContext, argv: readonly Bytes[], readonly: boolean): Reply {
  const o = parseSortOptions(argv, readonly);
  const value = ctx.db.lookup(argv[1] as Bytes);
  if (value !== undefined && !(value instanceof ListValue || value instanceof SetValue || value instanceof ZSetValue)) {
    throw wrongType();
  }
  let { dontsort, alpha, by } = o;
  // A set has no order of its own: stored unsorted it would depend on the hash order.
  if (dontsort && value instanceof SetValue && o.store !== undefined) {
    dontsort = false;
    alpha = true;
    by = undefined;
  }
  let vectorlen = value === undefined ? 0 : value.size;
  let start = Math.min(Math.max(o.limitStart, 0), vectorlen);
  const count = Math.min(Math.max(o.limitCount, -1), vectorlen);
  let end = count < 0 ? vectorlen - 1 : start + count - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;
  const ordered = value instanceof ListValue || value instanceof ZSetValue;
  if (ordered && dontsort && (start !== 0 || end !== vectorlen - 1)) vectorlen = end - start + 1;
  const outputlen = (o.gets.length > 0 ? o.gets.length : 1) * Math.max(end - start + 1, 0);
  checkReplyLength(ctx.limits, outputlen);

  let elements: Bytes[];
  if (value === undefined) elements = [];
  else if (value instanceof ListValue && dontsort) {
    elements = [];
    if (end >= start) {
      elements = o.desc
        ? value.slice(value.size - 1 - end, value.size - 1 - start, true)
        : value.slice(start, start + vectorlen - 1);
      end -= start;
      start = 0;
    }
  } else if (value instanceof ListValue) elements = value.toArray();
  else if (value instanceof SetValue) elements = value.nameList();
  else if (value instanceof ZSetValue && dontsort) {
    elements = [];
    const size = value.size;
    for (let i = 0; i < vectorlen; i++) {
      const rank = o.desc ? size - 1 - start - i : start + i;
      elements.push((value.at(rank) as { member: Bytes }).member);
    }
    end -= start;
    start = 0;
  } else elements = [...(value as ZSetValue).entries()].map(([m]) => m);

  let conversionError = false;
  let items: SortItem[] = elements.map((element) => ({ element, score: 0, by: undefined }));
  if (!dontsort) {
    for (const item of items) {
      const byval = by !== undefined ? lookupByPattern(ctx, by, item.element) : item.element;
      if (byval === undefined) continue;
      if (alpha) {
        if (by !== undefined) item.by = byval;
      } else {
        const { score, ok } = sortScore(byval);
        item.score = score;
        if (!ok) conversionError = true;
      }
    }
    const store = o.store !== undefined;
    const cmp = (a: SortItem, b: SortItem): number => {
      let c: number;
      if (!alpha) {
        c = a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.element, b.element);
      } else if (by !== undefined) {
        if (a.by === undefined || b.by === undefined) c = a.by === b.by ? 0 : a.by === undefined ? -1 : 1;
        else c = store ? compareBytes(a.by, b.by) : compareCStrings(a.by, b.by);
      } else c = store ? compareBytes(a.element, b.element) : compareCStrings(a.element, b.element);
      return o.desc ? -c : c;
    };
    items = items.sort(cmp);
  }
  if (conversionError) throw new StoreError("NOT_FLOAT", "ERR One or more scores can't be converted into double");

  const out: Bytes[] = [];
  const reply: Reply[] = [];
  for (let j = start; j <= end; j++) {
    const element = (items[j] as SortItem).element;
    if (o.gets.length === 0) {
      out.push(element);
      reply.push(element);
      continue;
    }
    for (const pattern of o.gets) {
      const v = lookupByPattern(ctx, pattern, element);
      out.push(v ?? "");
      reply.push(v ?? null);
    }
  }
  if (o.store === undefined) return checkReply(reply, ctx.limits);
  if (out.length > 0) {
    ctx.db.put(o.store, new ListValue(out));
    ctx.notify("list", "sortstore", o.store);
  } else if (ctx.db.remove(o.store)) ctx.notify("generic", "del", o.store);
  return out.length;
}

/** SORT's keys: the sorted key and the STORE destination (BY/GET pattern keys are unknown ahead). */
function sortKeys(argv: readonly Bytes[]): Bytes[] {
  const keys = [argv[1] as Bytes];
  for (let j = 2; j < argv.length; j++) {
    const opt = (argv[j] as Bytes).toLowerCase();
    if (opt === "limit") j += 2;
    else if ((opt === "by" || opt === "get") && j + 1 < argv.length) j++;
    else if (opt === "store" && j + 1 < argv.length) keys.push(argv[++j] as Bytes);
  }
  return keys;
}

const SORT_COMPLEXITY =
  "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).";

/** SORT and SORT_RO. */
export const sortCommands: CommandSpec[] = [
  {
    name: "SORT",
    arity: -2,
    flags: ["write", "denyoom"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "generic",
    complexity: SORT_COMPLEXITY,
    summary: "Sort the elements in a list, set or sorted set",
    syntax:
      "SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]",
    keys: sortKeys,
    readsPatternKeys: sortReadsPatternKeys,
    handler: (ctx, argv) => sort(ctx, argv, false),
  },
  {
    name: "SORT_RO",
    arity: -2,
    flags: ["readonly"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "generic",
    complexity: SORT_COMPLEXITY,
    summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
    syntax: "SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]",
    readsPatternKeys: sortReadsPatternKeys,
    handler: (ctx, argv) => sort(ctx, argv, true),
  },
];
