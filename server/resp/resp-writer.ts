/**
 * The reply writer of one RESP connection: encodes replies straight into a byte slab, so a reply
 * costs no intermediate string, no Buffer of its own and no copy before the socket.
 *
 * The slab is written forward only. {@link take} hands the bytes written since the last take to
 * the socket as a view of the slab (no copy), and writing goes on after them; a full slab is left
 * to the socket's pending writes (and then to the garbage collector) and a new one started. Short
 * strings are copied byte by byte, long ones with `Buffer#write(…, "latin1")`: every {@link Bytes}
 * char is one byte.
 */
import type { Bytes } from "../../shared/store/bytes.js";
import { StoreError } from "../../shared/store/errors.js";
import { Status } from "../../shared/store/reply.js";
import { NULL_ARRAY, RespDouble, RespMap, RespPush, RespSet, type RespValue, RespVerbatim } from "./resp-encode.js";

const SLAB_BYTES = 64 * 1024;
/** Strings shorter than this are copied with a loop (cheaper than a call into the runtime). */
const SHORT = 48;
const CR = 13;
const LF = 10;

/** Encodes replies into slabs of bytes; see the module comment. */
export class RespWriter {
  private slab: Buffer = Buffer.allocUnsafe(SLAB_BYTES);
  private start = 0;
  private pos = 0;
  /** Full slabs' unsent tails, in order. */
  private segments: Buffer[] = [];
  private segmentBytes = 0;
  /** Encode as RESP3 (HELLO 3) rather than RESP2. */
  resp3 = false;

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.segmentBytes + this.pos - this.start;
  }

  /** The bytes written since the last take (views of the slabs, never copied), or an empty list. */
  take(): Buffer[] {
    const out = this.segments;
    if (this.pos > this.start) out.push(this.slab.subarray(this.start, this.pos));
    this.start = this.pos;
    if (out.length !== 0) {
      this.segments = [];
      this.segmentBytes = 0;
    }
    return out;
  }

  /**
   * Starts writing at the slab's beginning again: the caller guarantees that nothing holds the
   * bytes taken so far any more (the socket wrote them out synchronously). Without it every reply
   * byte would eventually cost slab allocation: at 64 KiB per slab of external memory, a stream of
   * LRANGE replies made V8 run a full mark-compact of the whole keyspace every second or so.
   * No-op while bytes are written and not yet taken.
   */
  recycle(): void {
    if (this.pos === this.start && this.segments.length === 0) this.start = this.pos = 0;
  }

  /** Room for `n` more bytes in the slab. */
  private ensure(n: number): void {
    if (this.pos + n <= this.slab.length) return;
    if (this.pos > this.start) {
      this.segments.push(this.slab.subarray(this.start, this.pos));
      this.segmentBytes += this.pos - this.start;
    }
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, n));
    this.start = this.pos = 0;
  }

  /** Copies a byte string (the caller ensured the room). */
  private bytes(s: string): void {
    const n = s.length;
    if (n < SHORT) {
      const slab = this.slab;
      let pos = this.pos;
      for (let i = 0; i < n; i++) slab[pos++] = s.charCodeAt(i);
      this.pos = pos;
    } else this.pos += this.slab.write(s, this.pos, n, "latin1");
  }

  /** A non-negative integer's digits (the caller ensured 16 bytes of room). */
  private digits(n: number): void {
    const slab = this.slab;
    if (n < 10) {
      slab[this.pos++] = 48 + n;
      return;
    }
    if (n <= 0x7fffffff) {
      // Int32 arithmetic (V8 turns `/ 10 | 0` into a multiply), the width by comparisons: LPUSH's
      // list lengths and large counters are 6-7 digits, 12-14 float divisions the other way.
      let width = 2;
      for (let limit = 100; n >= limit; limit *= 10) width++;
      let pos = this.pos + width;
      this.pos = pos;
      for (let m = n | 0; m > 0; ) {
        const q = (m / 10) | 0;
        slab[--pos] = 48 + (m - q * 10);
        m = q;
      }
      return;
    }
    let width = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) width++;
    let pos = this.pos + width;
    this.pos = pos;
    for (let m = n; m > 0; m = Math.floor(m / 10)) slab[--pos] = 48 + (m % 10);
  }

  /** `<type><n>\r\n` (array, map, set, push headers; bulk lengths). */
  private header(type: number, n: number): void {
    this.ensure(20);
    this.slab[this.pos++] = type;
    this.digits(n);
    this.slab[this.pos++] = CR;
    this.slab[this.pos++] = LF;
  }

  /** A line `<type><text>\r\n`, CR and LF in the text turned into spaces (status, error, double). */
  private line(type: number, text: string): void {
    const n = text.length;
    this.ensure(n + 3);
    const slab = this.slab;
    slab[this.pos++] = type;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      slab[this.pos++] = c === CR || c === LF ? 32 : c;
    }
    slab[this.pos++] = CR;
    slab[this.pos++] = LF;
  }

  /** A bulk string. */
  bulk(s: Bytes): void {
    const n = s.length;
    this.ensure(n + 16);
    const slab = this.slab;
    slab[this.pos++] = 36; // '$'
    this.digits(n);
    slab[this.pos++] = CR;
    slab[this.pos++] = LF;
    this.bytes(s);
    slab[this.pos++] = CR;
    slab[this.pos++] = LF;
  }

  /**
   * An array whose items are all byte strings (LRANGE, HGETALL, KEYS, MGET without nils…) in one
   * tight loop: the room for the whole reply is reserved once and no item goes through the generic
   * dispatch of {@link value}. False, having written nothing, when an item is not a string.
   */
  bulkArray(items: readonly unknown[]): boolean {
    const n = items.length;
    // `*<n>\r\n`, then per item `$<len>\r\n<bytes>\r\n`: at most 16 + len bytes each.
    let room = 16;
    for (let i = 0; i < n; i++) {
      const item = items[i];
      if (typeof item !== "string") return false;
      room += item.length + 16;
    }
    if (room > SLAB_BYTES) return false; // big replies: slab by slab through the generic path
    this.ensure(room);
    const slab = this.slab;
    let pos = this.pos;
    slab[pos++] = 42; // '*'
    this.pos = pos;
    this.digits(n);
    pos = this.pos;
    slab[pos++] = CR;
    slab[pos++] = LF;
    for (let i = 0; i < n; i++) {
      const s = items[i] as string;
      const len = s.length;
      slab[pos++] = 36; // '$'
      if (len < 10) slab[pos++] = 48 + len;
      else {
        this.pos = pos;
        this.digits(len);
        pos = this.pos;
      }
      slab[pos++] = CR;
      slab[pos++] = LF;
      if (len < SHORT) for (let j = 0; j < len; j++) slab[pos++] = s.charCodeAt(j);
      else pos += slab.write(s, pos, len, "latin1");
      slab[pos++] = CR;
      slab[pos++] = LF;
    }
    this.pos = pos;
    return true;
  }

  /** An integer. */
  integer(n: number | bigint): void {
    if (typeof n === "number" && n >= 0 && n <= Number.MAX_SAFE_INTEGER) {
      this.header(58, n); // ':'
      return;
    }
    this.line(58, String(n));
  }

  /** An error reply; `message` starts with its code (`ERR …`, `WRONGTYPE …`). */
  error(message: string): void {
    this.line(45, message); // '-'
  }

  /** A status reply such as `OK` or `QUEUED`. */
  status(text: string): void {
    this.line(43, text); // '+'
  }

  /** A null (`$-1` in RESP2, `_` in RESP3). */
  nil(): void {
    this.ensure(5);
    if (this.resp3) this.bytes("_\r\n");
    else this.bytes("$-1\r\n");
  }

  /** Any reply. */
  value(v: RespValue): void {
    if (typeof v === "string") this.bulk(v);
    else if (typeof v === "number") {
      if (Number.isInteger(v)) this.integer(v);
      else if (this.resp3) this.line(44, String(v));
      else this.bulk(String(v));
    } else if (v === null) this.nil();
    else if (Array.isArray(v)) {
      if (!this.bulkArray(v)) {
        this.header(42, v.length); // '*'
        for (let i = 0; i < v.length; i++) this.value(v[i] as RespValue);
      }
    } else if (v instanceof Status) this.status(v.text);
    else if (typeof v === "bigint") this.integer(v);
    else if (v instanceof StoreError) this.error(v.message);
    else if (v === NULL_ARRAY) {
      this.ensure(5);
      this.bytes(this.resp3 ? "_\r\n" : "*-1\r\n");
    } else if (v instanceof RespMap) {
      if (this.resp3)
        this.header(37, v.entries.length); // '%'
      else this.header(42, v.entries.length * 2);
      for (const [k, x] of v.entries) {
        this.value(k);
        this.value(x);
      }
    } else if (v instanceof RespSet) {
      this.header(this.resp3 ? 126 : 42, v.items.length); // '~'
      for (const item of v.items) this.value(item);
    } else if (v instanceof RespDouble) {
      if (this.resp3)
        this.line(44, v.text); // ','
      else this.bulk(v.text);
    } else if (v instanceof RespVerbatim) {
      if (this.resp3) {
        // `=<length>\r\ntxt:<text>\r\n`, the length counting the format prefix (Redis's addReplyVerbatim).
        this.header(61, v.text.length + 4); // '='
        this.ensure(v.text.length + 6);
        this.bytes("txt:");
        this.bytes(v.text);
        this.slab[this.pos++] = CR;
        this.slab[this.pos++] = LF;
      } else this.bulk(v.text);
    } else if (v instanceof RespPush) {
      this.header(this.resp3 ? 62 : 42, v.items.length); // '>'
      for (const item of v.items) this.value(item);
    } else throw new TypeError(`cannot encode reply ${String(v)}`);
  }
}
