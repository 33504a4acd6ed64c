import type { Bytes } from "./bytes.js";

/**
 * INCRBYFLOAT / HINCRBYFLOAT arithmetic exactly as Redis does it on x86-64: `long double` is the
 * x87 80-bit extended format (64-bit significand, round half to even), parsed with `strtold`,
 * added in extended precision and printed with `"%.17Lf"` before trailing zeros are trimmed
 * (`ld2string(…, LD_STR_HUMAN)`). A JS double would print `0.1 + 0.2` as `0.30000000000000004`
 * where Redis prints `0.3`, so the format is emulated with BigInt, exactly.
 */

/** A finite extended-precision value `(-1)^neg × mant × 2^exp`, or an infinity. */
export interface LongDouble {
  readonly neg: boolean;
  /** Significand, below 2^64 (0 for zero). */
  readonly mant: bigint;
  /** Binary exponent of the significand's last bit. */
  readonly exp: number;
  /** True for ±infinity (mant and exp are then meaningless). */
  readonly inf: boolean;
}

const MANT_BITS = 64;
const MANT_MIN = 1n << BigInt(MANT_BITS - 1);
const MANT_LIMIT = 1n << BigInt(MANT_BITS);
/** Exponent of the smallest subnormal (2^-16445). */
const EXP_MIN = -16445;
/** Exponent of the significand's last bit at the largest finite value (just below 2^16384). */
const EXP_MAX = 16384 - MANT_BITS;
/** `strtold` reads into a 5 KiB buffer (MAX_LONG_DOUBLE_CHARS): longer input is refused. */
const MAX_CHARS = 5 * 1024;
/** Decimal magnitudes beyond these certainly overflow / underflow the extended range. */
const DEC_OVERFLOW = 4935;
const DEC_UNDERFLOW = -4955;

const ZERO: LongDouble = { neg: false, mant: 0n, exp: 0, inf: false };

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function infinity(neg: boolean): LongDouble {
  return { neg, mant: 0n, exp: 0, inf: true };
}

/** Divides with round half to even. */
function divRound(num: bigint, den: bigint): bigint {
  const q = num / den;
  const twice = (num - q * den) * 2n;
  if (twice > den || (twice === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/**
 * Rounds the exact non-negative rational `num / den` to extended precision (half to even),
 * with gradual underflow. Overflow gives an infinity; a non-zero value too small gives zero.
 */
function roundRational(neg: boolean, num: bigint, den: bigint): LongDouble {
  if (num === 0n) return { ...ZERO, neg };
  // Choose exp so that num / (den × 2^exp) lies in [2^63, 2^64).
  let exp = bitLength(num) - bitLength(den) - MANT_BITS;
  const scaled = (e: number): bigint => (e >= 0 ? num / (den << BigInt(e)) : (num << BigInt(-e)) / den);
  let q = scaled(exp);
  while (q >= MANT_LIMIT) q = scaled(++exp);
  while (q < MANT_MIN) q = scaled(--exp);
  if (exp < EXP_MIN) exp = EXP_MIN;
  let mant = exp >= 0 ? divRound(num, den << BigInt(exp)) : divRound(num << BigInt(-exp), den);
  if (mant === MANT_LIMIT) {
    mant = MANT_MIN;
    exp++;
  }
  if (exp > EXP_MAX) return infinity(neg);
  return { neg, mant, exp, inf: false };
}

/** The exact value as a rational `num / den` (den a power of two). */
function toRational(x: LongDouble): [bigint, bigint] {
  return x.exp >= 0 ? [x.mant << BigInt(x.exp), 1n] : [x.mant, 1n << BigInt(-x.exp)];
}

const DEC_RE = /^([+-]?)(?:([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?)$/;
const HEX_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?[0-9]+))?$/;
const INF_RE = /^([+-]?)(?:inf|infinity)$/i;

/** Parses an exponent that may have any number of digits, saturating far beyond any range. */
function parseExponent(digits: string | undefined): number {
  if (digits === undefined) return 0;
  const n = Number.parseInt(digits, 10);
  return Math.max(-1e9, Math.min(1e9, n));
}

/**
 * Parses bytes as Redis's `string2ld` does (`strtold`, whole input, no leading space, no NaN):
 * decimal, hexadecimal (`0x1.8p3`) or `inf`/`infinity`. A value that overflows or underflows to
 * zero is refused, as `strtold` reports ERANGE for it. Returns undefined when not a valid float.
 */
export function parseLongDouble(input: Bytes): LongDouble | undefined {
  if (input.length === 0 || input.length >= MAX_CHARS) return undefined;
  // The whole input must be consumed (an embedded NUL too: Redis 7 checks the parsed length).
  const inf = INF_RE.exec(input);
  if (inf) return infinity(inf[1] === "-");
  const hex = HEX_RE.exec(input);
  if (hex) {
    const [, sign = "", int = "", frac = "", e] = hex;
    if (int.length + frac.length === 0) return undefined;
    const digits = BigInt(`0x${int}${frac}`);
    const exp2 = parseExponent(e) - 4 * frac.length;
    return finish(sign === "-", digits, exp2, 2);
  }
  const dec = DEC_RE.exec(input);
  if (!dec) return undefined;
  const [, sign = "", int = "", frac = "", e] = dec;
  if (int.length + frac.length === 0) return undefined;
  const digits = BigInt(`${int}${frac}` || "0");
  const exp10 = parseExponent(e) - frac.length;
  return finish(sign === "-", digits, exp10, 10);
}

/** Rounds `digits × base^exp`, refusing overflow and underflow as strtold's ERANGE does. */
function finish(neg: boolean, digits: bigint, exp: number, base: 2 | 10): LongDouble | undefined {
  if (digits === 0n) return { ...ZERO, neg };
  const magnitude = base === 10 ? exp + digits.toString().length : (exp + bitLength(digits)) * Math.LOG10E * Math.LN2;
  if (magnitude > DEC_OVERFLOW) return undefined;
  if (magnitude < DEC_UNDERFLOW) return undefined;
  const b = BigInt(base);
  const x =
    exp >= 0 ? roundRational(neg, digits * b ** BigInt(exp), 1n) : roundRational(neg, digits, b ** BigInt(-exp));
  if (x.inf || x.mant === 0n) return undefined;
  return x;
}

/** Adds in extended precision (one rounding of the exact sum). Infinities propagate; inf - inf is NaN (undefined). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | undefined {
  if (a.inf || b.inf) {
    if (a.inf && b.inf && a.neg !== b.neg) return undefined;
    return a.inf ? a : b;
  }
  const exp = Math.min(a.exp, b.exp);
  const av = a.mant << BigInt(a.exp - exp);
  const bv = b.mant << BigInt(b.exp - exp);
  const sum = (a.neg ? -av : av) + (b.neg ? -bv : bv);
  // Round to nearest: x + (-x) is +0; -0 + -0 stays -0.
  const neg = sum < 0n || (sum === 0n && a.neg && b.neg);
  const abs = sum < 0n ? -sum : sum;
  return exp >= 0 ? roundRational(neg, abs << BigInt(exp), 1n) : roundRational(neg, abs, 1n << BigInt(-exp));
}

/**
 * Formats as Redis's human-friendly `ld2string` does: `"%.17Lf"` (exactly rounded, half to
 * even), trailing zeros and a trailing dot removed, and `-0` shown as `0`. Infinities are
 * `inf` / `-inf`.
 */
export function formatLongDouble(x: LongDouble): Bytes {
  if (x.inf) return x.neg ? "-inf" : "inf";
  const [num, den] = toRational(x);
  const scaled = divRound(num * 10n ** 17n, den);
  const digits = scaled.toString().padStart(18, "0");
  let text = `${digits.slice(0, -17)}.${digits.slice(-17)}`.replace(/0+$/, "");
  if (text.endsWith(".")) text = text.slice(0, -1);
  if (x.neg) text = `-${text}`;
  return text === "-0" ? "0" : text;
}

/**
 * `(long long) ceill(x * factor)` as Redis computes it on x86-64: the product rounded once to
 * extended precision, then rounded up to an integer; an infinity or a magnitude of 2^63 or more
 * converts to `LLONG_MIN` (the x87 "integer indefinite" value), as the hardware does.
 */
export function ceilTimesToInt64(x: LongDouble, factor: bigint): bigint {
  const LLONG_MIN = -(1n << 63n);
  if (x.inf) return LLONG_MIN;
  const [num, den] = toRational(x);
  const p = roundRational(x.neg, num * factor, den);
  if (p.mant === 0n) return 0n;
  const [pn, pd] = toRational(p);
  const q = pn / pd; // the magnitude truncated
  const exact = q * pd === pn;
  const value = p.neg ? -q : exact ? q : q + 1n; // ceil: toward +infinity
  if (value >= 1n << 63n || value < LLONG_MIN) return LLONG_MIN;
  return value;
}
