import type { Bytes } from "./bytes.js";
import { genericError, notFloat } from "./errors.js";
import { parseInt64 } from "./parse.js";
import { LEX_MAX, LEX_MIN, type LexBound, type LexRange, type ScoreRange } from "./zset-value.js";

/**
 * Argument parsing of the sorted-set commands, with the C library's `strtod` rules Redis relies
 * on: range bounds accept what `strtod` accepts (leading spaces, hex, `inf`, even the empty
 * string as 0), scores follow `getDoubleFromObject` (no spaces, no overflow, no NaN).
 */

const HEX = /^[+-]?0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?/;
const DEC = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/;
const INF = /^[+-]?inf(?:inity)?/i;
const NAN = /^[+-]?nan(?:\([0-9A-Za-z_]*\))?/i;
const SPACE = /^[ \t\n\v\f\r]*/;

/**
 * The result of {@link strtod}: the value, how many characters were consumed (0: none), and
 * whether it is out of range (a finite literal that overflowed to ±inf or a nonzero one that
 * underflowed to 0: C's `ERANGE`).
 */
interface Strtod {
  readonly value: number;
  readonly end: number;
  readonly erange: boolean;
}

/** C's `strtod`: the longest prefix that is a number; `end` 0 when there is none. */
function strtod(text: string): Strtod {
  const lead = (SPACE.exec(text) as RegExpExecArray)[0].length;
  const rest = text.slice(lead);
  const negative = rest.startsWith("-");
  let m = HEX.exec(rest);
  if (m) {
    const int = m[1] ?? "";
    const frac = m[3] ?? m[2] ?? "";
    const mantissa = Number.parseInt(`${int}${frac}` || "0", 16);
    const exp = Number(m[4] ?? "0") - 4 * frac.length;
    const magnitude = mantissa * 2 ** exp;
    const erange = !Number.isFinite(magnitude) || (magnitude === 0 && mantissa !== 0);
    return { value: negative ? -magnitude : magnitude, end: lead + m[0].length, erange };
  }
  m = INF.exec(rest);
  if (m) return { value: negative ? -Infinity : Infinity, end: lead + m[0].length, erange: false };
  m = NAN.exec(rest);
  if (m) return { value: Number.NaN, end: lead + m[0].length, erange: false };
  m = DEC.exec(rest);
  if (m) {
    const value = Number(m[0]);
    const nonzero = /[1-9]/.test(m[0].split(/[eE]/)[0] as string);
    return { value, end: lead + m[0].length, erange: !Number.isFinite(value) || (value === 0 && nonzero) };
  }
  return { value: 0, end: 0, erange: false };
}

/** A whole-string `strtod` (trailing characters or NaN give undefined). The empty string is 0. */
function rangeDouble(text: string): number | undefined {
  const { value, end } = strtod(text);
  if (end !== text.length || Number.isNaN(value)) return undefined;
  return value;
}

/**
 * Parses a score or increment as Redis's `getDoubleFromObject`: `ERR value is not a valid float`
 * (or `ERR <message>`) on empty input, leading space, trailing garbage, NaN, overflow or underflow.
 */
export function parseScore(arg: Bytes, message?: string): number {
  const fail = () => (message === undefined ? notFloat() : genericError(message));
  if (arg.length === 0 || SPACE.exec(arg)?.[0] !== "") throw fail();
  const { value, end, erange } = strtod(arg);
  if (end !== arg.length || Number.isNaN(value) || erange) throw fail();
  return value;
}

/** Parses ZRANGEBYSCORE-style bounds (`(` exclusive). `ERR min or max is not a float` otherwise. */
export function parseScoreRange(minArg: Bytes, maxArg: Bytes): ScoreRange {
  const bound = (arg: Bytes): [number, boolean] => {
    const exclusive = arg.startsWith("(");
    const value = rangeDouble(exclusive ? arg.slice(1) : arg);
    if (value === undefined) throw genericError("min or max is not a float");
    return [value, exclusive];
  };
  const [min, minex] = bound(minArg);
  const [max, maxex] = bound(maxArg);
  return { min, max, minex, maxex };
}

/** Parses ZRANGEBYLEX-style bounds (`[m`, `(m`, `-`, `+`). `ERR min or max not valid string range item` otherwise. */
export function parseLexRange(minArg: Bytes, maxArg: Bytes): LexRange {
  const bound = (arg: Bytes): [LexBound, boolean] => {
    const c = arg[0];
    if (c === "+" && arg.length === 1) return [LEX_MAX, true];
    if (c === "-" && arg.length === 1) return [LEX_MIN, true];
    if (c === "(") return [arg.slice(1), true];
    if (c === "[") return [arg.slice(1), false];
    throw genericError("min or max not valid string range item");
  };
  const [min, minex] = bound(minArg);
  const [max, maxex] = bound(maxArg);
  return { min, max, minex, maxex };
}

/**
 * Parses a C `long` argument (ranks, LIMIT, counts) as a number. Values past 2^53 keep their
 * sign and magnitude approximately, which is enough for clamping. Throws NOT_INTEGER.
 */
export function parseLong(arg: Bytes): number {
  return Number(parseInt64(arg));
}
