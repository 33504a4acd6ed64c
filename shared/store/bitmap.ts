import type { Bytes } from "./bytes.js";
import { StoreError } from "./errors.js";

/*
 * Bitmaps over byte strings (Redis's bitops.c): bit 0 is the most significant bit of byte 0.
 * Strings are immutable JS strings here, so a write is a splice (`slice + patch + slice`): O(1)
 * to build, but V8 flattens the rope on the next read, so one SETBIT on an N-byte string costs
 * O(N) copying where Redis's costs O(1). docs/DATA-MODEL.md gives the figures.
 */

/** Population count of each byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (POPCOUNT[i >> 1] as number) + (i & 1);

/** Number of set bits in bytes [start, end] of `s` (inclusive; nothing when start > end). */
export function popcount(s: Bytes, start: number, end: number): number {
  let n = 0;
  for (let i = start; i <= end; i++) n += POPCOUNT[s.charCodeAt(i)] as number;
  return n;
}

/** Population count of one byte. */
export function popcountByte(b: number): number {
  return POPCOUNT[b & 0xff] as number;
}

/**
 * `s` padded with zero bytes to at least `length` bytes. A length past the JS engine's longest
 * string (V8: 2^29 − 24 bytes, just under Redis's 512 MB) is LIMIT, not a crash.
 */
export function zeroPadded(s: Bytes, length: number): Bytes {
  if (s.length >= length) return s;
  try {
    return s + "\0".repeat(length - s.length);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new StoreError(
        "LIMIT",
        `ERR string exceeds maximum allowed size (the JavaScript engine's longest string is under ${length} bytes)`,
      );
    }
    throw error;
  }
}

/** `s` with the bytes from `at` replaced by `bytes` (which must lie inside `s`). */
export function patchBytes(s: Bytes, at: number, bytes: readonly number[]): Bytes {
  return s.slice(0, at) + String.fromCharCode(...bytes) + s.slice(at + bytes.length);
}

/** Bit `offset` of `s` (0 past the end). */
export function getBit(s: Bytes, offset: number): number {
  const byte = Math.floor(offset / 8);
  if (byte >= s.length) return 0;
  return (s.charCodeAt(byte) >> (7 - (offset % 8))) & 1;
}

/**
 * The position of the first bit equal to `bit` in bits [startBit, endBit] of `s` (inclusive),
 * or -1 when there is none.
 */
export function findBit(s: Bytes, bit: 0 | 1, startBit: number, endBit: number): number {
  let i = startBit;
  // Leading bits up to a byte boundary, then whole bytes, then the trailing bits.
  while (i <= endBit && i % 8 !== 0) {
    if (getBit(s, i) === bit) return i;
    i++;
  }
  const skip = bit === 1 ? 0x00 : 0xff;
  while (i + 7 <= endBit) {
    const b = s.charCodeAt(i / 8);
    if (b !== skip) {
      for (let j = 0; j < 8; j++) if (((b >> (7 - j)) & 1) === bit) return i + j;
    }
    i += 8;
  }
  for (; i <= endBit; i++) if (getBit(s, i) === bit) return i;
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Bit fields (BITFIELD): up to 64 bits at any bit offset, read and written most significant first
// ---------------------------------------------------------------------------------------------

/**
 * A string under a command's byte writes: reads see the writes, the new string is built once at
 * the end (`toBytes`), so a BITFIELD of k writes copies an N-byte string once, not k times.
 */
export class PatchedBytes {
  private readonly patches = new Map<number, number>();

  constructor(private readonly base: Bytes) {}

  /** Byte `i` (0 past the end, as zero padding). */
  byteAt(i: number): number {
    if (i >= this.base.length) return 0;
    return this.patches.get(i) ?? this.base.charCodeAt(i);
  }

  /** Sets byte `i` (inside the string). */
  setByte(i: number, b: number): void {
    this.patches.set(i, b & 0xff);
  }

  /** The string with every write applied. */
  toBytes(): Bytes {
    if (this.patches.size === 0) return this.base;
    const at = [...this.patches.keys()].sort((a, b) => a - b);
    const parts: string[] = [];
    let from = 0;
    for (const i of at) {
      parts.push(this.base.slice(from, i), String.fromCharCode(this.patches.get(i) as number));
      from = i + 1;
    }
    parts.push(this.base.slice(from));
    return parts.join("");
  }
}

/** The value of the `bits`-bit field at bit `offset` (two's complement when `signed`). */
export function getField(p: PatchedBytes, offset: number, bits: number, signed: boolean): bigint {
  let value = 0n;
  for (let j = 0; j < bits; j++) {
    const bit = offset + j;
    value = (value << 1n) | BigInt((p.byteAt(Math.floor(bit / 8)) >> (7 - (bit % 8))) & 1);
  }
  return signed ? BigInt.asIntN(bits, value) : value;
}

/** Sets the `bits`-bit field at bit `offset` to the low `bits` bits of `value` (inside the string). */
export function setField(p: PatchedBytes, offset: number, bits: number, value: bigint): void {
  const v = BigInt.asUintN(bits, value);
  for (let j = 0; j < bits; j++) {
    const bit = offset + j;
    const byte = Math.floor(bit / 8);
    const mask = 1 << (7 - (bit % 8));
    const b = p.byteAt(byte);
    p.setByte(byte, ((v >> BigInt(bits - 1 - j)) & 1n) === 1n ? b | mask : b & ~mask);
  }
}

/** How BITFIELD handles an overflow: wrap around, saturate, or fail (nil, nothing written). */
export type Overflow = "WRAP" | "SAT" | "FAIL";

/** The outcome of an overflow check: whether it overflowed, and the value to store instead. */
export interface FieldResult {
  readonly overflow: boolean;
  /** The wrapped or saturated value when `overflow` (unused with FAIL). */
  readonly limit: bigint;
}

const I64 = (n: bigint): bigint => BigInt.asIntN(64, n);

/**
 * Redis's checkUnsignedBitfieldOverflow: `value` is a uint64 (a SET value is its int64 argument
 * reinterpreted), `incr` an int64. The int64 wrap-arounds of the C code are reproduced.
 */
export function unsignedOverflow(value: bigint, incr: bigint, bits: number, how: Overflow): FieldResult {
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = I64(max - value);
  const minincr = I64(-value);
  if (value > max || incr > maxincr) {
    return { overflow: true, limit: how === "SAT" ? max : BigInt.asUintN(bits, value + incr) };
  }
  if (incr < 0n && incr < minincr) {
    return { overflow: true, limit: how === "SAT" ? 0n : BigInt.asUintN(bits, value + incr) };
  }
  return { overflow: false, limit: 0n };
}

/** Redis's checkSignedBitfieldOverflow, int64 wrap-arounds included. */
export function signedOverflow(value: bigint, incr: bigint, bits: number, how: Overflow): FieldResult {
  const max = bits === 64 ? 2n ** 63n - 1n : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = I64(max - value);
  const minincr = I64(min - value);
  const wrap = (): bigint => BigInt.asIntN(bits, value + incr);
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) {
    return { overflow: true, limit: how === "SAT" ? max : wrap() };
  }
  if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) {
    return { overflow: true, limit: how === "SAT" ? min : wrap() };
  }
  return { overflow: false, limit: 0n };
}
