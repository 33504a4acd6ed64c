/**
 * The binary encoding of one stored value, by type — runtime-neutral. It is the value format of
 * the Node host's persistence files (server/persistence) and of any remote engine (an etcd
 * envelope carries the type code and this body), so the two stay one format.
 *
 * The type code ({@link ValueType}) travels beside the body, not inside it. Bodies (big-endian,
 * byte strings as `u32 length | bytes`):
 *
 * | type   | body                                         |
 * |--------|----------------------------------------------|
 * | STRING | bytes                                        |
 * | LIST   | u32 n, n × bytes (head to tail)              |
 * | HASH   | u32 n, n × (field bytes, value bytes)        |
 * | SET    | u32 n, n × member bytes                      |
 * | ZSET   | u32 n, n × (member bytes, f64 score)         |
 * | STREAM | see stream-codec.ts                          |
 *
 * Decoding is strict: a body that does not parse throws {@link MalformedDataError}, never returns
 * a partial value.
 */
import { ByteReader, ByteWriter, type Latin1Decoder, MalformedDataError } from "./byte-io.js";
import { HashValue } from "./hash-value.js";
import { ListValue } from "./list-deque.js";
import { SetValue } from "./set-value.js";
import { readStreamBody, writeStreamBody } from "./stream-codec.js";
import type { StreamValue } from "./stream-value.js";
import type { Value } from "./value.js";
import { ZSetValue } from "./zset-value.js";

/**
 * Type codes (the persistence format's operation codes for a key's state). 7 is taken: it is the
 * persistence format's END operation (server/persistence/codec.ts), so STREAM is 8.
 */
export const ValueType = { STRING: 2, LIST: 3, HASH: 4, SET: 5, ZSET: 6, STREAM: 8 } as const;
/** One of {@link ValueType}'s codes. */
export type ValueTypeCode = (typeof ValueType)[keyof typeof ValueType];

/** True when `code` is a {@link ValueType} code. */
export function isValueType(code: number): code is ValueTypeCode {
  return (code >= ValueType.STRING && code <= ValueType.ZSET) || code === ValueType.STREAM;
}

/** The type code of `value`. */
export function valueTypeOf(value: Value): ValueTypeCode {
  if (typeof value === "string") return ValueType.STRING;
  switch (value.type) {
    case "list":
      return ValueType.LIST;
    case "hash":
      return ValueType.HASH;
    case "set":
      return ValueType.SET;
    case "zset":
      return ValueType.ZSET;
    case "stream":
      return ValueType.STREAM;
  }
}

/** Appends the body of `value` to `w` and returns its type code (written by the caller). */
export function writeValueBody(w: ByteWriter, value: Value): ValueTypeCode {
  if (typeof value === "string") {
    w.bytes(value);
    return ValueType.STRING;
  }
  switch (value.type) {
    case "list": {
      const list = value as ListValue;
      w.u32(list.size);
      for (const e of list.values()) w.bytes(e);
      return ValueType.LIST;
    }
    case "hash": {
      const flat = (value as HashValue).flatEntries();
      w.u32(flat.length >> 1);
      for (const e of flat) w.bytes(e);
      return ValueType.HASH;
    }
    case "set": {
      const names = (value as SetValue).nameList();
      w.u32(names.length);
      for (const e of names) w.bytes(e);
      return ValueType.SET;
    }
    case "zset": {
      const z = value as ZSetValue;
      w.u32(z.size);
      for (const [member, score] of z.entries()) {
        w.bytes(member);
        w.f64(score);
      }
      return ValueType.ZSET;
    }
    case "stream":
      writeStreamBody(w, value as StreamValue);
      return ValueType.STREAM;
  }
}

/** Reads one body of type `type` from `r` (advancing it). */
export function readValueBody(r: ByteReader, type: number): Value {
  switch (type) {
    case ValueType.STRING:
      return r.bytes();
    case ValueType.LIST: {
      const n = r.count(4);
      const elements = new Array<string>(n);
      for (let i = 0; i < n; i++) elements[i] = r.bytes();
      return new ListValue(elements);
    }
    case ValueType.HASH: {
      const n = r.count(8);
      const h = new HashValue();
      for (let i = 0; i < n; i++) h.set(r.bytes(), r.bytes());
      return h;
    }
    case ValueType.SET: {
      const n = r.count(4);
      const s = new SetValue();
      for (let i = 0; i < n; i++) s.add(r.bytes());
      return s;
    }
    case ValueType.ZSET: {
      const n = r.count(12);
      const z = new ZSetValue();
      for (let i = 0; i < n; i++) {
        const member = r.bytes();
        const score = r.f64();
        if (Number.isNaN(score)) throw new MalformedDataError("NaN score");
        z.set(member, score);
      }
      return z;
    }
    case ValueType.STREAM:
      return readStreamBody(r);
    default:
      throw new MalformedDataError(`unknown value type ${type}`);
  }
}

/** A value as a type code and a standalone body (a remote engine's envelope). */
export interface EncodedValue {
  readonly type: ValueTypeCode;
  readonly body: Uint8Array;
}

/** Encodes `value` into a standalone body. */
export function encodeValue(value: Value): EncodedValue {
  const w = new ByteWriter(typeof value === "string" ? value.length + 4 : 256);
  const type = writeValueBody(w, value);
  return { type, body: w.buf.slice(0, w.length) };
}

/**
 * Decodes a standalone body: all of `body` must be exactly one value of type `type`, else
 * {@link MalformedDataError}.
 */
export function decodeValue(type: number, body: Uint8Array, latin1?: Latin1Decoder): Value {
  const r = new ByteReader(body, 0, body.length, latin1);
  const value = readValueBody(r, type);
  if (!r.done) throw new MalformedDataError(`${body.length - r.at} bytes after the value`);
  return value;
}
