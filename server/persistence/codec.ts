/**
 * The persistence record format, runtime-neutral (Uint8Array and DataView only).
 *
 * A file is a magic header followed by frames: `u32 payload length | u32 CRC-32 of the payload |
 * payload`. A payload is a batch of operations applied together (one batch = the effect of the
 * commands of one turn, so a MULTI/EXEC or a RENAME is all-or-nothing across a crash):
 *
 * - `DEL key` / `FLUSH`
 * - `STRING|LIST|HASH|SET|ZSET key deadline body`: the key's whole resulting state, with its
 *   absolute deadline (ms since the epoch, or -1 for none); the type codes and bodies are the
 *   value codec's (shared/store/value-codec.ts).
 *
 * Bytes are the store's byte strings (code units 0–255), written one byte per code unit.
 */

import { ByteReader, ByteWriter } from "../../shared/store/byte-io.js";
import type { Bytes } from "../../shared/store/bytes.js";
import type { Value } from "../../shared/store/value.js";
import { isValueType, readValueBody, ValueType, writeValueBody } from "../../shared/store/value-codec.js";
import { crc32 } from "./crc32.js";

/** Operation codes of a payload. */
export const Op = { DEL: 0, FLUSH: 1, ...ValueType, END: 7 } as const;

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

/** A {@link ByteWriter} that writes key records and frames. */
export class RecordWriter extends ByteWriter {
  private frameStart = -1;

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

  /** Writes the state of `key` (`undefined`: deleted): `type | key | f64 deadline | value body`. */
  keyState(key: Bytes, value: Value | undefined, expireAt: number | undefined): void {
    if (value === undefined) {
      this.u8(Op.DEL);
      this.bytes(key);
      return;
    }
    const at = this.length;
    this.u8(0); // the type code, known once the body is written
    this.bytes(key);
    this.f64(expireAt ?? -1);
    this.buf[at] = writeValueBody(this, value);
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
  const r = new ByteReader(payload);
  while (!r.done) {
    const op = r.u8();
    if (op === Op.FLUSH) {
      onOp({ op: "flush" });
      continue;
    }
    if (op === Op.END) {
      onOp({ op: "end", keys: r.u32() });
      continue;
    }
    const key = r.bytes();
    if (op === Op.DEL) {
      onOp({ op: "del", key });
      continue;
    }
    if (!isValueType(op)) throw new RangeError(`unknown operation ${op}`);
    const deadline = r.f64();
    const expireAt = deadline < 0 ? undefined : deadline;
    onOp({ op: "put", key, value: readValueBody(r, op), expireAt });
  }
}
