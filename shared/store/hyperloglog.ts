import type { Bytes } from "./bytes.js";

/*
 * HyperLogLog with Redis's exact representation (hyperloglog.c), so a value written by Redis reads
 * the same here and the reverse, and counts are identical:
 *
 * - a 16-byte header: "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes, the cached
 *   cardinality (8 bytes little endian; the top bit of the last byte set = cache invalid);
 * - dense: 16384 registers of 6 bits, packed from the least significant bit of each byte
 *   (12288 bytes);
 * - sparse: run-length opcodes, ZERO `00xxxxxx` (1–64 zero registers), XZERO `01xxxxxx yyyyyyyy`
 *   (1–16384), VAL `1vvvvvxx` (1–4 registers of value 1–32); promoted to dense when a register
 *   passes 32 or the value would grow past hll-sparse-max-bytes (3000, header included);
 * - elements hashed with MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the register, the
 *   run of zeros above them (plus one) is the candidate value;
 * - the cardinality from the register histogram with Ertl's improved estimator (hllSigma/hllTau).
 */

/** Header bytes. */
export const HLL_HDR_SIZE = 16;
const P = 14;
const Q = 64 - P;
/** Number of registers. */
export const HLL_REGISTERS = 1 << P;
const P_MASK = HLL_REGISTERS - 1;
const BITS = 6;
const REGISTER_MAX = (1 << BITS) - 1;
/** A dense value's length in bytes. */
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + Math.floor((HLL_REGISTERS * BITS + 7) / 8);
const DENSE = 0;
const SPARSE = 1;
/** Redis's hll-sparse-max-bytes default. */
export const HLL_SPARSE_MAX_BYTES = 3000;
const XZERO_BIT = 0x40;
const VAL_BIT = 0x80;
const VAL_MAX_VALUE = 32;
const VAL_MAX_LEN = 4;
const ZERO_MAX_LEN = 64;
const XZERO_MAX_LEN = 16384;
const ALPHA_INF = 0.7213475204444817; // 0.5 / ln(2), the double Redis uses

// ---------------------------------------------------------------------------------------------
// MurmurHash64A (Redis's endian-neutral variant), on uint64 as bigint
// ---------------------------------------------------------------------------------------------

const M64 = 0xc6a4a7935bd1e995n;
const U64 = (n: bigint): bigint => BigInt.asUintN(64, n);

/** MurmurHash2, 64-bit version (MurmurHash64A), over the bytes of `data`. */
export function murmurHash64A(data: Bytes, seed: number): bigint {
  const len = data.length;
  let h = U64(BigInt(seed) ^ U64(BigInt(len) * M64));
  const blocks = len - (len & 7);
  for (let i = 0; i < blocks; i += 8) {
    // Little endian, as two 32-bit halves.
    const lo =
      (data.charCodeAt(i) | (data.charCodeAt(i + 1) << 8) | (data.charCodeAt(i + 2) << 16)) +
      data.charCodeAt(i + 3) * 0x1000000;
    const hi =
      (data.charCodeAt(i + 4) | (data.charCodeAt(i + 5) << 8) | (data.charCodeAt(i + 6) << 16)) +
      data.charCodeAt(i + 7) * 0x1000000;
    let k = (BigInt(hi) << 32n) | BigInt(lo);
    k = U64(k * M64);
    k ^= k >> 47n;
    k = U64(k * M64);
    h ^= k;
    h = U64(h * M64);
  }
  const rest = len & 7;
  if (rest > 0) {
    for (let j = rest - 1; j >= 0; j--) h ^= BigInt(data.charCodeAt(blocks + j)) << BigInt(8 * j);
    h = U64(h * M64);
  }
  h ^= h >> 47n;
  h = U64(h * M64);
  h ^= h >> 47n;
  return h;
}

/**
 * The register an element hashes to and the length of its `000…1` pattern (hllPatLen): 1 to
 * Q + 1 = 51.
 */
export function hllPatLen(element: Bytes): { index: number; count: number } {
  const hash = murmurHash64A(element, 0xadc83b19);
  const index = Number(hash & BigInt(P_MASK));
  let rest = (hash >> BigInt(P)) | (1n << BigInt(Q));
  let count = 1;
  // The low 32 bits first, without bigint work in the common case.
  let low = Number(rest & 0xffffffffn);
  if (low !== 0) {
    while ((low & 1) === 0) {
      count++;
      low >>>= 1;
    }
    return { index, count };
  }
  count += 32;
  rest >>= 32n;
  while ((rest & 1n) === 0n) {
    count++;
    rest >>= 1n;
  }
  return { index, count };
}

// ---------------------------------------------------------------------------------------------
// Estimator
// ---------------------------------------------------------------------------------------------

function hllSigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function hllTau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** The cardinality estimate from a histogram of register values (64 counters). */
export function hllCountHistogram(reghisto: ArrayLike<number>): number {
  const m = HLL_REGISTERS;
  let z = m * hllTau((m - (reghisto[Q + 1] as number)) / m);
  for (let j = Q; j >= 1; --j) {
    z += reghisto[j] as number;
    z *= 0.5;
  }
  z += m * hllSigma((reghisto[0] as number) / m);
  // llroundl: half away from zero; the value is never negative.
  return Math.round((ALPHA_INF * m * m) / z);
}

// ---------------------------------------------------------------------------------------------
// The value
// ---------------------------------------------------------------------------------------------

const isZero = (b: number): boolean => (b & 0xc0) === 0;
const isXzero = (b: number): boolean => (b & 0xc0) === XZERO_BIT;
const isVal = (b: number): boolean => (b & VAL_BIT) !== 0;
const zeroLen = (b: number): number => (b & 0x3f) + 1;
const xzeroLen = (b: number, b2: number): number => (((b & 0x3f) << 8) | b2) + 1;
const valValue = (b: number): number => ((b >> 2) & 0x1f) + 1;
const valLen = (b: number): number => (b & 0x3) + 1;
const valOp = (value: number, len: number): number => ((value - 1) << 2) | (len - 1) | VAL_BIT;
const zeroOp = (len: number): number => len - 1;
const xzeroOps = (len: number): [number, number] => [((len - 1) >> 8) | XZERO_BIT, (len - 1) & 0xff];

/**
 * True when Redis would take `s` for a HyperLogLog (isHLLObjectOrReply): at least a header, the
 * "HYLL" magic, a known encoding, and a dense value of the exact size.
 */
export function isHllValue(s: Bytes): boolean {
  if (s.length < HLL_HDR_SIZE) return false;
  if (s.charCodeAt(0) !== 0x48 || s.charCodeAt(1) !== 0x59 || s.charCodeAt(2) !== 0x4c || s.charCodeAt(3) !== 0x4c) {
    return false;
  }
  const encoding = s.charCodeAt(4);
  if (encoding > SPARSE) return false;
  return !(encoding === DENSE && s.length !== HLL_DENSE_SIZE);
}

/**
 * A HyperLogLog being read or changed: the value's bytes in an array with one spare zero byte
 * at the end (Redis's register macros read and write one byte past the last register: the SDS
 * terminator). Construct from a value that {@link isHllValue} accepted.
 */
export class Hll {
  /** The bytes (header included); `length` of them are the value. */
  private bytes: Uint8Array;
  private length: number;

  private constructor(bytes: Uint8Array, length: number) {
    this.bytes = bytes;
    this.length = length;
  }

  /** An empty HyperLogLog as PFADD creates it (createHLLObject): sparse, XZERO runs, card 0 (valid). */
  static create(): Hll {
    const runs = Math.ceil(HLL_REGISTERS / XZERO_MAX_LEN);
    const length = HLL_HDR_SIZE + runs * 2;
    const bytes = new Uint8Array(length + 1);
    bytes.set([0x48, 0x59, 0x4c, 0x4c, SPARSE]);
    let p = HLL_HDR_SIZE;
    for (let left = HLL_REGISTERS; left > 0; left -= XZERO_MAX_LEN) {
      const [a, b] = xzeroOps(Math.min(XZERO_MAX_LEN, left));
      bytes[p++] = a;
      bytes[p++] = b;
    }
    return new Hll(bytes, length);
  }

  /** The HyperLogLog in a stored value. */
  static from(s: Bytes): Hll {
    const bytes = new Uint8Array(s.length + 1);
    for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
    return new Hll(bytes, s.length);
  }

  /** The value's bytes. */
  toBytes(): Bytes {
    let out = "";
    for (let i = 0; i < this.length; i += 8192) {
      out += String.fromCharCode.apply(
        null,
        this.bytes.subarray(i, Math.min(i + 8192, this.length)) as unknown as number[],
      );
    }
    return out;
  }

  /** True when the value uses the dense encoding. */
  get dense(): boolean {
    return this.bytes[4] === DENSE;
  }

  /** The cached cardinality, or undefined when the cache is invalid. */
  cachedCardinality(): number | bigint | undefined {
    if (((this.bytes[15] as number) & 0x80) !== 0) return undefined;
    let card = 0n;
    for (let i = 15; i >= 8; i--) card = (card << 8n) | BigInt(this.bytes[i] as number);
    // A value written elsewhere may cache any 63-bit number.
    return card <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(card) : card;
  }

  /** Stores `card` as the cached cardinality (valid). */
  setCachedCardinality(card: number): void {
    let c = card;
    for (let i = 8; i < 16; i++) {
      this.bytes[i] = c % 256;
      c = Math.floor(c / 256);
    }
  }

  /** Marks the cached cardinality invalid. */
  invalidateCache(): void {
    this.bytes[15] = (this.bytes[15] as number) | 0x80;
  }

  private denseGet(index: number): number {
    const at = HLL_HDR_SIZE + ((index * BITS) >> 3);
    const fb = (index * BITS) & 7;
    return (((this.bytes[at] as number) >> fb) | ((this.bytes[at + 1] as number) << (8 - fb))) & REGISTER_MAX;
  }

  private denseSetRegister(index: number, value: number): void {
    const at = HLL_HDR_SIZE + ((index * BITS) >> 3);
    const fb = (index * BITS) & 7;
    const b = this.bytes;
    b[at] = ((b[at] as number) & ~(REGISTER_MAX << fb)) | ((value << fb) & 0xff);
    b[at + 1] = ((b[at + 1] as number) & ~(REGISTER_MAX >> (8 - fb))) | (value >> (8 - fb));
  }

  /** hllDenseSet: raises register `index` to `count`; 1 when it changed. */
  private denseSet(index: number, count: number): 0 | 1 {
    if (count > this.denseGet(index)) {
      this.denseSetRegister(index, count);
      return 1;
    }
    return 0;
  }

  /** hllSparseToDense: false when the sparse runs do not cover exactly 16384 registers. */
  toDense(): boolean {
    if (this.dense) return true;
    const src = this.bytes;
    const end = this.length;
    const dense = new Hll(new Uint8Array(HLL_DENSE_SIZE + 1), HLL_DENSE_SIZE);
    // The header (magic, unused bytes, cached cardinality) is copied; the encoding changes.
    dense.bytes.set(src.subarray(0, HLL_HDR_SIZE));
    dense.bytes[4] = DENSE;
    let idx = 0;
    let p = HLL_HDR_SIZE;
    while (p < end) {
      const b = src[p] as number;
      const runlen = isZero(b) ? zeroLen(b) : isXzero(b) ? xzeroLen(b, src[p + 1] as number) : valLen(b);
      // A run past the last register is corruption (as Redis since the CVE-2025-32023 fix).
      if (runlen + idx > HLL_REGISTERS) return false;
      if (isVal(b)) {
        const regval = valValue(b);
        for (let n = 0; n < runlen; n++) dense.denseSetRegister(idx++, regval);
      } else idx += runlen;
      p += isXzero(b) ? 2 : 1;
    }
    if (idx !== HLL_REGISTERS) return false;
    this.bytes = dense.bytes;
    this.length = dense.length;
    return true;
  }

  /**
   * Raises register `index` to `count` (hllSparseSet / hllDenseSet): 1 when it changed, 0 when
   * not, -1 when the sparse value is corrupt. A sparse value may be promoted to dense.
   */
  set(index: number, count: number, sparseMaxBytes = HLL_SPARSE_MAX_BYTES): -1 | 0 | 1 {
    if (this.dense) return this.denseSet(index, count);
    if (count > VAL_MAX_VALUE) return this.promote(index, count);
    const b = this.bytes;
    let end = this.length;
    let p = HLL_HDR_SIZE;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      const op = b[p] as number;
      let oplen = 1;
      if (isZero(op)) span = zeroLen(op);
      else if (isVal(op)) span = valLen(op);
      else {
        span = xzeroLen(op, b[p + 1] as number);
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;
    const op = b[p] as number;
    const zero = isZero(op);
    const xzero = isXzero(op);
    const runlen = zero ? zeroLen(op) : xzero ? xzeroLen(op, b[p + 1] as number) : valLen(op);
    let done = false;
    if (!zero && !xzero) {
      if (valValue(op) >= count) return 0;
      if (runlen === 1) {
        b[p] = valOp(count, 1);
        done = true;
      }
    }
    if (!done && zero && runlen === 1) {
      b[p] = valOp(count, 1);
      done = true;
    }
    if (!done) {
      // Split the run into up to three opcodes: before, the new value, after.
      const seq: number[] = [];
      const last = first + span - 1;
      if (zero || xzero) {
        if (index !== first) {
          const len = index - first;
          if (len > ZERO_MAX_LEN) seq.push(...xzeroOps(len));
          else seq.push(zeroOp(len));
        }
        seq.push(valOp(count, 1));
        if (index !== last) {
          const len = last - index;
          if (len > ZERO_MAX_LEN) seq.push(...xzeroOps(len));
          else seq.push(zeroOp(len));
        }
      } else {
        const curval = valValue(op);
        if (index !== first) seq.push(valOp(curval, index - first));
        seq.push(valOp(count, 1));
        if (index !== last) seq.push(valOp(curval, last - index));
      }
      const oldlen = xzero ? 2 : 1;
      const delta = seq.length - oldlen;
      if (delta > 0 && this.length + delta > sparseMaxBytes) return this.promote(index, count);
      this.splice(p, oldlen, seq);
      end += delta;
    }
    // Merge adjacent VAL opcodes of the same value, scanning up to 5 opcodes from the previous one.
    p = prev >= 0 ? prev : HLL_HDR_SIZE;
    let scanlen = 5;
    while (p < end && scanlen-- > 0) {
      // (A merge splices: re-read the bytes on every step.)
      const c = this.bytes;
      const op1 = c[p] as number;
      if (isXzero(op1)) {
        p += 2;
        continue;
      }
      if (isZero(op1)) {
        p++;
        continue;
      }
      if (p + 1 < end && isVal(c[p + 1] as number)) {
        const op2 = c[p + 1] as number;
        if (valValue(op1) === valValue(op2)) {
          const len = valLen(op1) + valLen(op2);
          if (len <= VAL_MAX_LEN) {
            c[p + 1] = valOp(valValue(op1), len);
            this.splice(p, 1, []);
            end--;
            continue;
          }
        }
      }
      p++;
    }
    this.invalidateCache();
    return 1;
  }

  /** Replaces `remove` bytes at `at` with `insert` (the value keeps its spare zero byte). */
  private splice(at: number, remove: number, insert: readonly number[]): void {
    const length = this.length - remove + insert.length;
    const next = new Uint8Array(length + 1);
    next.set(this.bytes.subarray(0, at));
    next.set(insert, at);
    next.set(this.bytes.subarray(at + remove, this.length), at + insert.length);
    this.bytes = next;
    this.length = length;
  }

  private promote(index: number, count: number): -1 | 1 {
    if (!this.toDense()) return -1;
    this.denseSet(index, count);
    return 1;
  }

  /** hllAdd: adds one element; 1 when a register changed, -1 when the value is corrupt. */
  add(element: Bytes, sparseMaxBytes = HLL_SPARSE_MAX_BYTES): -1 | 0 | 1 {
    const { index, count } = hllPatLen(element);
    return this.set(index, count, sparseMaxBytes);
  }

  /**
   * hllMerge: raises each of `max`'s 16384 registers to this value's; false when a sparse value
   * is corrupt.
   */
  mergeInto(max: Uint8Array): boolean {
    if (this.dense) {
      for (let i = 0; i < HLL_REGISTERS; i++) {
        const v = this.denseGet(i);
        if (v > (max[i] as number)) max[i] = v;
      }
      return true;
    }
    const b = this.bytes;
    let i = 0;
    let p = HLL_HDR_SIZE;
    while (p < this.length) {
      const op = b[p] as number;
      const runlen = isZero(op) ? zeroLen(op) : isXzero(op) ? xzeroLen(op, b[p + 1] as number) : valLen(op);
      if (runlen + i > HLL_REGISTERS) return false;
      if (isVal(op)) {
        const regval = valValue(op);
        for (let n = 0; n < runlen; n++, i++) if (regval > (max[i] as number)) max[i] = regval;
      } else i += runlen;
      p += isXzero(op) ? 2 : 1;
    }
    return i === HLL_REGISTERS;
  }

  /** The register histogram (hllDenseRegHisto / hllSparseRegHisto); undefined when corrupt. */
  histogram(): number[] | undefined {
    const h = new Array<number>(64).fill(0);
    if (this.dense) {
      for (let i = 0; i < HLL_REGISTERS; i++) {
        const v = this.denseGet(i);
        h[v] = (h[v] as number) + 1;
      }
      return h;
    }
    const b = this.bytes;
    let idx = 0;
    let p = HLL_HDR_SIZE;
    while (p < this.length) {
      const op = b[p] as number;
      if (isZero(op)) {
        const n = zeroLen(op);
        idx += n;
        h[0] = (h[0] as number) + n;
        p++;
      } else if (isXzero(op)) {
        const n = xzeroLen(op, b[p + 1] as number);
        idx += n;
        h[0] = (h[0] as number) + n;
        p += 2;
      } else {
        const n = valLen(op);
        const v = valValue(op);
        idx += n;
        h[v] = (h[v] as number) + n;
        p++;
      }
    }
    return idx === HLL_REGISTERS ? h : undefined;
  }

  /** Every register's value (PFDEBUG GETREG; the value must be dense). */
  registers(): number[] {
    const out: number[] = new Array(HLL_REGISTERS);
    for (let i = 0; i < HLL_REGISTERS; i++) out[i] = this.denseGet(i);
    return out;
  }

  /** The sparse opcodes as PFDEBUG DECODE prints them (`z:N`, `Z:N`, `v:value,len`). */
  decode(): string {
    const b = this.bytes;
    const parts: string[] = [];
    let p = HLL_HDR_SIZE;
    while (p < this.length) {
      const op = b[p] as number;
      if (isZero(op)) {
        parts.push(`z:${zeroLen(op)}`);
        p++;
      } else if (isXzero(op)) {
        parts.push(`Z:${xzeroLen(op, b[p + 1] as number)}`);
        p += 2;
      } else {
        parts.push(`v:${valValue(op)},${valLen(op)}`);
        p++;
      }
    }
    return parts.join(" ");
  }
}

/** The histogram of raw 8-bit registers (hllRawRegHisto: PFCOUNT of several keys). */
export function rawHistogram(max: Uint8Array): number[] {
  const h = new Array<number>(64).fill(0);
  for (let i = 0; i < HLL_REGISTERS; i++) {
    const v = max[i] as number;
    // Raw registers hold merged values (at most 63 from a dense register).
    h[v] = (h[v] as number) + 1;
  }
  return h;
}
