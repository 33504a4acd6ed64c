/**
 * The persistence record format, runtime-neutral (Uint8Array and DataView only).
 *
 * A file is a magic header followed by frames: `u32 payload length | u32 CRC-32 of the payload |
 * payload`. A payload is a batch of operations applied together (one batch = the effect of the
 * commands of one turn, so a MULTI/EXEC or a RENAME is all-or-nothing across a crash):
 *
 * - `DEL key` / `FLUSH`
 * - `STRING|LIST|HASH|SET|ZSET key deadline elements…`: the key's whole resulting state, with its
 *   absolute deadline (ms since the epoch, or -1 for none).
 *
 * Bytes are the store's byte strings (code units 0–255), written one byte per code unit.
 */
import type { Bytes } from "../../shared/store/bytes.js";
import { HashValue } from "../../shared/store/hash-value.js";
import { ListValue } from "../../shared/store/list-deque.js";
import { SetValue } from "../../shared/store/set-value.js";
import type { Value } from "../../shared/store/value.js";
import { ZSetValue } from "../../shared/store/zset-value.js";
import { crc32 } from "./crc32.js";

/** Operation codes of a payload. */
export const Op = { DEL: 0, FLUSH: 1, STRING: 2, LIST: 3, HASH: 4, SET: 5, ZSET: 6, END: 7 } as const;

/** Bytes of a frame header (length, CRC). */
export const FRAME_HEADER_BYTES = 8;
/** Largest payload a reader accepts (a longer length field is corruption). */
export const MAX_PAYLOAD_BYTES = 1 << 30;

/** One decoded operation. */
export type Operation =
  | { readonly op: "del"; readonly key: Bytes }
  | { readonly op: "flush" }
  | { readonly op: "end"; readonly keys: number }
  | { readonly op: "put"; readonly key: Bytes; readonly value: Value; readonly expireAt: number | undefined };

/** A growable byte buffer that writes payloads and frames. */
export class RecordWriter {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  /** Bytes written. */
  length = 0;
  private frameStart = -1;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(n: number): void {
    this.ensure(1);
    this.buf[this.length++] = n;
  }

  u32(n: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, n);
    this.length += 4;
  }

  f64(n: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, n);
    this.length += 8;
  }

  bytes(s: Bytes): void {
    const n = s.length;
    this.u32(n);
    this.ensure(n);
    const b = this.buf;
    let at = this.length;
    for (let i = 0; i < n; i++) b[at++] = s.charCodeAt(i);
    this.length = at;
  }

  /** Raw bytes (a file header). */
  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  /** Opens a frame: operations written until {@link endFrame} form its payload. */
  beginFrame(): void {
    this.ensure(FRAME_HEADER_BYTES);
    this.frameStart = this.length;
    this.length += FRAME_HEADER_BYTES;
  }

  /** Closes the open frame: writes its length and CRC. An empty frame is dropped. */
  endFrame(): void {
    const start = this.frameStart;
    this.frameStart = -1;
    const payload = this.length - start - FRAME_HEADER_BYTES;
    if (payload === 0) {
      this.length = start;
      return;
    }
    this.view.setUint32(start, payload);
    this.view.setUint32(start + 4, crc32(this.buf, start + FRAME_HEADER_BYTES, this.length));
  }

  /** Writes the state of `key` (`undefined`: deleted). */
  keyState(key: Bytes, value: Value | undefined, expireAt: number | undefined): void {
    if (value === undefined) {
      this.u8(Op.DEL);
      this.bytes(key);
      return;
    }
    const deadline = expireAt ?? -1;
    if (typeof value === "string") {
      this.u8(Op.STRING);
      this.bytes(key);
      this.f64(deadline);
      this.bytes(value);
      return;
    }
    switch (value.type) {
      case "list": {
        this.u8(Op.LIST);
        this.bytes(key);
        this.f64(deadline);
        const list = value as ListValue;
        this.u32(list.size);
        for (const e of list.values()) this.bytes(e);
        return;
      }
      case "hash": {
        this.u8(Op.HASH);
        this.bytes(key);
        this.f64(deadline);
        const flat = (value as HashValue).flatEntries();
        this.u32(flat.length >> 1);
        for (const e of flat) this.bytes(e);
        return;
      }
      case "set": {
        this.u8(Op.SET);
        this.bytes(key);
        this.f64(deadline);
        const names = (value as SetValue).nameList();
        this.u32(names.length);
        for (const e of names) this.bytes(e);
        return;
      }
      case "zset": {
        this.u8(Op.ZSET);
        this.bytes(key);
        this.f64(deadline);
        const z = value as ZSetValue;
        this.u32(z.size);
        for (const [member, score] of z.entries()) {
          this.bytes(member);
          this.f64(score);
        }
        return;
      }
    }
  }

  /** Takes the bytes written (a copy) and empties the writer. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    if (this.buf.length > 1 << 20) {
      // Do not keep a large buffer alive after a big batch.
      this.buf = new Uint8Array(4096);
      this.view = new DataView(this.buf.buffer);
    }
    return out;
  }
}

/** Where reading frames stopped. */
export interface FrameScan {
  /** Offset just past the last valid frame. */
  readonly validEnd: number;
  /** Why reading stopped early, or undefined when the data ended cleanly. */
  readonly problem: string | undefined;
}

/**
 * Walks the frames of `data` from `start`, calling `onPayload` for each valid one. Stops at the
 * first incomplete frame, bad length or CRC mismatch, and reports where.
 */
export function scanFrames(
  data: Uint8Array,
  start: number,
  onPayload: (payload: Uint8Array, offset: number) => void,
): FrameScan {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = start;
  while (at < data.length) {
    if (data.length - at < FRAME_HEADER_BYTES)
      return { validEnd: at, problem: `incomplete frame header (${data.length - at} bytes)` };
    const len = view.getUint32(at);
    const crc = view.getUint32(at + 4);
    if (len === 0 || len > MAX_PAYLOAD_BYTES) return { validEnd: at, problem: `invalid frame length ${len}` };
    const end = at + FRAME_HEADER_BYTES + len;
    if (end > data.length)
      return { validEnd: at, problem: `incomplete frame (${len} bytes announced, ${data.length - at - 8} present)` };
    if (crc32(data, at + FRAME_HEADER_BYTES, end) !== crc) return { validEnd: at, problem: "CRC mismatch" };
    onPayload(data.subarray(at + FRAME_HEADER_BYTES, end), at);
    at = end;
  }
  return { validEnd: at, problem: undefined };
}

/** Reads the operations of one payload (a CRC-checked payload that does not parse throws). */
export function decodePayload(payload: Uint8Array, onOp: (op: Operation) => void): void {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let at = 0;
  const need = (n: number): void => {
    if (at + n > payload.length) throw new RangeError("payload ends inside an operation");
  };
  const u32 = (): number => {
    need(4);
    const n = view.getUint32(at);
    at += 4;
    return n;
  };
  const f64 = (): number => {
    need(8);
    const n = view.getFloat64(at);
    at += 8;
    return n;
  };
  const bytes = (): Bytes => {
    const n = u32();
    need(n);
    let s = "";
    for (let i = 0; i < n; i += 8192) {
      s += String.fromCharCode.apply(null, payload.subarray(at + i, at + Math.min(n, i + 8192)) as unknown as number[]);
    }
    at += n;
    return s;
  };
  while (at < payload.length) {
    const op = payload[at++] as number;
    if (op === Op.FLUSH) {
      onOp({ op: "flush" });
      continue;
    }
    if (op === Op.END) {
      onOp({ op: "end", keys: u32() });
      continue;
    }
    const key = bytes();
    if (op === Op.DEL) {
      onOp({ op: "del", key });
      continue;
    }
    const deadline = f64();
    const expireAt = deadline < 0 ? undefined : deadline;
    let value: Value;
    switch (op) {
      case Op.STRING:
        value = bytes();
        break;
      case Op.LIST: {
        const n = u32();
        const elements: Bytes[] = [];
        for (let i = 0; i < n; i++) elements.push(bytes());
        value = new ListValue(elements);
        break;
      }
      case Op.HASH: {
        const n = u32();
        const h = new HashValue();
        for (let i = 0; i < n; i++) h.set(bytes(), bytes());
        value = h;
        break;
      }
      case Op.SET: {
        const n = u32();
        const s = new SetValue();
        for (let i = 0; i < n; i++) s.add(bytes());
        value = s;
        break;
      }
      case Op.ZSET: {
        const n = u32();
        const z = new ZSetValue();
        for (let i = 0; i < n; i++) {
          const member = bytes();
          z.set(member, f64());
        }
        value = z;
        break;
      }
      default:
        throw new RangeError(`unknown operation ${op}`);
    }
    onOp({ op: "put", key, value, expireAt });
  }
}
