import type { Bytes } from "./bytes.js";
import { StoreError } from "./errors.js";

/**
 * Stream entry IDs (Redis's `streamID`: two unsigned 64-bit numbers, `ms-seq`).
 *
 * An ID is held as an {@link IdKey}: an 8-character string of 16-bit code units, big-endian
 * (4 units of `ms`, 4 of `seq`). Comparing two keys with `<`/`===` compares the IDs numerically
 * (as Redis compares its 128-bit big-endian rax keys), they serve directly as Map keys, and the
 * full uint64 range is exact (a JS number is not past 2^53).
 */
export type IdKey = string;

/** 2^64 − 1, the largest ms or seq. */
export const U64_MAX = (1n << 64n) - 1n;
/** 0-0, the smallest ID. */
export const ID_MIN: IdKey = "\0\0\0\0\0\0\0\0";
/** 18446744073709551615-18446744073709551615, the largest ID. */
export const ID_MAX: IdKey = "\uffff\uffff\uffff\uffff\uffff\uffff\uffff\uffff";

const TWO_32 = 4294967296;

/** The key of `ms-seq` given as four 32-bit words (most significant first). */
export function idFromWords(msHi: number, msLo: number, seqHi: number, seqLo: number): IdKey {
  return String.fromCharCode(
    msHi >>> 16,
    msHi & 0xffff,
    msLo >>> 16,
    msLo & 0xffff,
    seqHi >>> 16,
    seqHi & 0xffff,
    seqLo >>> 16,
    seqLo & 0xffff,
  );
}

/** The key of `ms-seq` for numbers that are safe integers (the common case: `ms` is a clock reading). */
export function idFromNumbers(ms: number, seq: number): IdKey {
  return idFromWords(Math.floor(ms / TWO_32), ms >>> 0, Math.floor(seq / TWO_32), seq >>> 0);
}

/** The key of `ms-seq` for any uint64 bigints. */
export function idFromBigints(ms: bigint, seq: bigint): IdKey {
  return idFromWords(Number(ms >> 32n), Number(ms & 0xffffffffn), Number(seq >> 32n), Number(seq & 0xffffffffn));
}

/** One 64-bit half (`at` 0: ms, 4: seq) as a number when exact, else a bigint. */
function half(id: IdKey, at: number): number | bigint {
  const a = id.charCodeAt(at);
  const b = id.charCodeAt(at + 1);
  const c = id.charCodeAt(at + 2);
  const d = id.charCodeAt(at + 3);
  if (a < 0x20) return ((a * 65536 + b) * 65536 + c) * 65536 + d;
  return (BigInt(a) << 48n) | (BigInt(b) << 32n) | (BigInt(c) << 16n) | BigInt(d);
}

/** The ms part (a number when below 2^53). */
export function idMs(id: IdKey): number | bigint {
  return half(id, 0);
}

/** The seq part (a number when below 2^53). */
export function idSeq(id: IdKey): number | bigint {
  return half(id, 4);
}

/** The ms part as a bigint. */
export function idMsBig(id: IdKey): bigint {
  return BigInt(half(id, 0));
}

/** The seq part as a bigint. */
export function idSeqBig(id: IdKey): bigint {
  return BigInt(half(id, 4));
}

/** `ms-seq` in decimal, as Redis replies an ID. */
export function formatId(id: IdKey): Bytes {
  return `${half(id, 0)}-${half(id, 4)}`;
}

/** True when the two IDs have the same ms part. */
export function sameMs(a: IdKey, b: IdKey): boolean {
  return a.charCodeAt(0) === b.charCodeAt(0) && a.slice(0, 4) === b.slice(0, 4);
}

/** The successor of `id`, or undefined for the largest ID (Redis's `streamIncrID` failing). */
export function idIncr(id: IdKey): IdKey | undefined {
  if (id === ID_MAX) return undefined;
  const units = new Array<number>(8);
  for (let i = 0; i < 8; i++) units[i] = id.charCodeAt(i);
  for (let i = 7; i >= 0; i--) {
    if (units[i] === 0xffff) {
      units[i] = 0;
    } else {
      units[i] = (units[i] as number) + 1;
      break;
    }
  }
  return String.fromCharCode(...units);
}

/** The predecessor of `id`, or undefined for 0-0 (Redis's `streamDecrID` failing). */
export function idDecr(id: IdKey): IdKey | undefined {
  if (id === ID_MIN) return undefined;
  const units = new Array<number>(8);
  for (let i = 0; i < 8; i++) units[i] = id.charCodeAt(i);
  for (let i = 7; i >= 0; i--) {
    if (units[i] === 0) {
      units[i] = 0xffff;
    } else {
      units[i] = (units[i] as number) - 1;
      break;
    }
  }
  return String.fromCharCode(...units);
}

/** True when the seq part is 2^64 − 1. */
export function seqIsMax(id: IdKey): boolean {
  return id.slice(4) === "\uffff\uffff\uffff\uffff";
}

/** `id` with its seq part replaced. */
export function withSeq(id: IdKey, seq: bigint): IdKey {
  return id.slice(0, 4) + idFromBigints(0n, seq).slice(4);
}

/** `ERR Invalid stream ID specified as stream command argument` */
export const invalidId = (): StoreError =>
  new StoreError("ERR", "ERR Invalid stream ID specified as stream command argument");

const LL_RE = /^(0|-?[1-9][0-9]*)$/;
const LL_MIN = -(1n << 63n);
const LL_MAX = (1n << 63n) - 1n;
const SPACE = " \t\n\v\f\r";

/**
 * Redis's `string2ull`: a canonical int64 that is negative is refused; anything else is read as
 * C's `strtoull` base 10 reads it (leading white space, an optional sign — `-` wraps modulo
 * 2^64 — digits to the end; out of range refused). Undefined when invalid.
 */
export function parseU64(text: string): bigint | undefined {
  if (text.length > 0 && text.length < 21 && LL_RE.test(text)) {
    const v = BigInt(text);
    if (v >= LL_MIN && v <= LL_MAX) return v < 0n ? undefined : v;
  }
  let i = 0;
  while (i < text.length && SPACE.includes(text[i] as string)) i++;
  let negative = false;
  if (text[i] === "+" || text[i] === "-") {
    negative = text[i] === "-";
    i++;
  }
  const digits = text.slice(i);
  if (digits.length === 0 || !/^[0-9]+$/.test(digits)) return undefined;
  const v = BigInt(digits);
  if (v > U64_MAX) return undefined;
  return negative ? (U64_MAX + 1n - v) & U64_MAX : v;
}

/** A parsed ID argument; `seqGiven` is false for the `ms-*` form (XADD only). */
export interface ParsedId {
  readonly id: IdKey;
  readonly seqGiven: boolean;
}

/**
 * Redis's `streamGenericParseIDOrReply`. `-` and `+` are 0-0 and the largest ID unless `strict`;
 * `ms` alone takes `missingSeq` as its sequence; `ms-*` is accepted when `allowAutoSeq`.
 * Throws `ERR Invalid stream ID …` otherwise.
 */
export function parseId(arg: Bytes, missingSeq: bigint, strict: boolean, allowAutoSeq = false): ParsedId {
  if (arg.length > 127) throw invalidId();
  // Redis copies the argument into a C string: everything from the first NUL on is not seen.
  const nul = arg.indexOf("\0");
  const text = nul < 0 ? arg : arg.slice(0, nul);
  if (strict && (text === "-" || text === "+")) throw invalidId();
  if (text === "-") return { id: ID_MIN, seqGiven: true };
  if (text === "+") return { id: ID_MAX, seqGiven: true };
  const dash = text.indexOf("-");
  const msText = dash < 0 ? text : text.slice(0, dash);
  const ms = parseU64(msText);
  if (ms === undefined) throw invalidId();
  if (dash < 0) return { id: idFromBigints(ms, missingSeq), seqGiven: true };
  const seqText = text.slice(dash + 1);
  if (allowAutoSeq && seqText === "*") return { id: idFromBigints(ms, 0n), seqGiven: false };
  const seq = parseU64(seqText);
  if (seq === undefined) throw invalidId();
  return { id: idFromBigints(ms, seq), seqGiven: true };
}

/** A range bound: `(id` excludes it (then `-`/`+` are invalid), else inclusive. */
export function parseRangeId(arg: Bytes, missingSeq: bigint): { id: IdKey; exclusive: boolean } {
  const exclusive = arg.length > 1 && arg[0] === "(";
  if (exclusive) return { id: parseId(arg.slice(1), missingSeq, true).id, exclusive };
  return { id: parseId(arg, missingSeq, false).id, exclusive };
}
