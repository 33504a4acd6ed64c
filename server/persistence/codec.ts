/**
 * The persistence record format: key records inside frames (frames.ts).
 *
 * A payload is a sequence of operations applied together:
 *
 * - `DEL key` / `FLUSH`
 * - `STRING|LIST|HASH|SET|ZSET key deadline body`: the key's whole resulting state, with its
 *   absolute deadline (f64 ms since the epoch, or -1 for none); the type codes and bodies are the
 *   value codec's (shared/store/value-codec.ts).
 * - `END keys` (the last frame of a snapshot: how many keys it holds).
 *
 * Bytes are the store's byte strings (code units 0–255), written one byte per code unit.
 */
import { ByteReader, ByteWriter, type Latin1Decoder } from "../../shared/store/byte-io.js";
import type { Bytes } from "../../shared/store/bytes.js";
import type { Value } from "../../shared/store/value.js";
import { isValueType, readValueBody, ValueType, writeValueBody } from "../../shared/store/value-codec.js";
import { frameCrc } from "./frame-crc.js";
import { FRAME_HEADER_BYTES, SYNC } from "./frames.js";

/** Operation codes of a payload. */
export const Op = { DEL: 0, FLUSH: 1, ...ValueType, END: 7 } as const;

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

  /** Closes the open frame: writes its header. An empty frame is dropped. */
  endFrame(): void {
    const start = this.frameStart;
    this.frameStart = -1;
    const payload = this.length - start - FRAME_HEADER_BYTES;
    if (payload === 0) {
      this.length = start;
      return;
    }
    const v = this.view;
    v.setUint32(start, SYNC);
    v.setUint32(start + 4, payload);
    v.setUint32(start + 8, frameCrc(this.buf, start + FRAME_HEADER_BYTES, this.length));
    v.setUint32(start + 12, frameCrc(this.buf, start, start + 12));
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
    const type = writeValueBody(this, value); // may reallocate buf: read this.buf after it
    this.buf[at] = type;
  }
}

/**
 * Reads the operations of `data[from, to)` (a CRC-checked payload that does not parse throws
 * `MalformedDataError`).
 */
export function decodePayload(
  data: Uint8Array,
  onOp: (op: Operation) => void,
  from = 0,
  to = data.length,
  latin1?: Latin1Decoder,
): void {
  const r = new ByteReader(data, from, to, latin1);
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
