/**
 * The protobuf encoding of `KeyspaceEvents`, written by hand into one buffer for the Watch
 * fan-out's hot path: an open console's coalesced stream sends one event per changed key, up to
 * one per write of a hot writer. protobuf-es's reflective `toBinary` took ~20 µs per event there,
 * and its BinaryWriter (a fork and a join per message, a TextEncoder call per string) a few µs
 * more; this writer takes plain numbers (no BigInt) and copies ASCII strings byte by byte.
 * Bytes identical to `toBinary` (proto3: default values omitted); `keyspace-events-writer.test.ts`
 * compares the two on a corpus and fails when KeyspaceEvent or KeyTtl gains a field this file
 * does not write.
 */

/** A keyspace event as the fan-out holds it: the API message's fields, as plain numbers. */
export interface EventRecord {
  readonly event: string;
  /** The key as text (the API's `string` field: UTF-8, invalid sequences replaced). */
  readonly key: string;
  /** `EventClass` (watch_service.proto). */
  readonly class: number;
  readonly atMs: number;
  readonly ttl?: TtlRecord;
}

/** A `KeyTtl` as plain numbers. */
export interface TtlRecord {
  /** `TtlStatus` (types.proto). */
  readonly status: number;
  readonly ttlMs: number;
  readonly atMs: number;
}

/** The fields written, by message (watch_service.proto, types.proto): the test checks them. */
export const WRITTEN_FIELDS = {
  KeyspaceEvents: ["events"],
  KeyspaceEvent: ["event", "key", "class", "atMs", "ttl"],
  KeyTtl: ["status", "ttlMs", "atMs"],
} as const;

const ASCII = /^[\x00-\x7f]*$/;
const encoder = new TextEncoder();

/** A string's UTF-8 bytes, or undefined when it is ASCII (then its length is its byte count). */
const utf8Of = (text: string): Uint8Array | undefined => {
  // Short text (keys, event names): the code units OR-ed in a loop beat a regex call.
  const n = text.length;
  if (n <= 32) {
    let bits = 0;
    for (let i = 0; i < n; i++) bits |= text.charCodeAt(i);
    return bits < 0x80 ? undefined : encoder.encode(text);
  }
  return ASCII.test(text) ? undefined : encoder.encode(text);
};

/** Bytes of an int32/int64 varint of a safe integer (a negative one takes 10, as protobuf writes it). */
function varintSize(n: number): number {
  if (n < 0) return 10;
  // Compares first: lengths and small numbers need no division.
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  if (n < 0x800000000) return 5;
  if (n < 0x40000000000) return 6; // times in ms until the year 2109
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Uint8Array, at: number, n: number): number {
  if (n < 0) {
    let v = BigInt.asUintN(64, BigInt(n));
    for (let i = 0; i < 9; i++) {
      buf[at++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[at++] = Number(v);
    return at;
  }
  // Above 2^31 (times in ms): divide down to 32 bits first, then shift.
  while (n > 0x7fffffff) {
    buf[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  while (n >= 128) {
    buf[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[at++] = n;
  return at;
}

function writeString(buf: Uint8Array, at: number, text: string, bytes: Uint8Array | undefined): number {
  if (bytes !== undefined) {
    buf.set(bytes, at);
    return at + bytes.length;
  }
  for (let i = 0; i < text.length; i++) buf[at++] = text.charCodeAt(i);
  return at;
}

const stringFieldSize = (text: string, bytes: Uint8Array | undefined): number => {
  const n = bytes === undefined ? text.length : bytes.length;
  return n === 0 ? 0 : 1 + varintSize(n) + n;
};
const varintFieldSize = (n: number): number => (n === 0 ? 0 : 1 + varintSize(n));

function ttlSize(t: TtlRecord): number {
  return varintFieldSize(t.status) + varintFieldSize(t.ttlMs) + varintFieldSize(t.atMs);
}

/**
 * `KeyspaceEvents { events }` as protobuf bytes (what `toBinary(KeyspaceEventsSchema, …)` gives);
 * with `lengthPrefixed`, preceded by their length as a varint (the payload of a length-delimited
 * field holding the message), in the same buffer.
 */
export function encodeEventRecords(records: readonly EventRecord[], lengthPrefixed = false): Uint8Array {
  const n = records.length;
  const sizes = new Array<number>(n);
  // Non-ASCII strings, encoded once (the usual key and every event name are ASCII: none).
  let utf8: (Uint8Array | undefined)[] | undefined;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i] as EventRecord;
    const eventBytes = utf8Of(r.event);
    const keyBytes = utf8Of(r.key);
    if (eventBytes !== undefined || keyBytes !== undefined) {
      utf8 ??= new Array(2 * n);
      utf8[2 * i] = eventBytes;
      utf8[2 * i + 1] = keyBytes;
    }
    let size =
      stringFieldSize(r.event, eventBytes) +
      stringFieldSize(r.key, keyBytes) +
      varintFieldSize(r.class) +
      varintFieldSize(r.atMs);
    if (r.ttl !== undefined) {
      const t = ttlSize(r.ttl);
      size += 1 + varintSize(t) + t;
    }
    sizes[i] = size;
    total += 1 + varintSize(size) + size;
  }
  const buf = new Uint8Array(lengthPrefixed ? varintSize(total) + total : total);
  let at = lengthPrefixed ? writeVarint(buf, 0, total) : 0;
  for (let i = 0; i < n; i++) {
    const r = records[i] as EventRecord;
    buf[at++] = 0x0a; // KeyspaceEvents.events (1, length-delimited)
    at = writeVarint(buf, at, sizes[i] as number);
    const eventBytes = utf8?.[2 * i];
    const keyBytes = utf8?.[2 * i + 1];
    const eventLength = eventBytes === undefined ? r.event.length : eventBytes.length;
    if (eventLength !== 0) {
      buf[at++] = 0x0a; // event (1)
      at = writeVarint(buf, at, eventLength);
      at = writeString(buf, at, r.event, eventBytes);
    }
    const keyLength = keyBytes === undefined ? r.key.length : keyBytes.length;
    if (keyLength !== 0) {
      buf[at++] = 0x12; // key (2)
      at = writeVarint(buf, at, keyLength);
      at = writeString(buf, at, r.key, keyBytes);
    }
    if (r.class !== 0) {
      buf[at++] = 0x18; // class (3, varint)
      at = writeVarint(buf, at, r.class);
    }
    if (r.atMs !== 0) {
      buf[at++] = 0x20; // at_ms (4, varint)
      at = writeVarint(buf, at, r.atMs);
    }
    const t = r.ttl;
    if (t !== undefined) {
      buf[at++] = 0x2a; // ttl (5, length-delimited)
      at = writeVarint(buf, at, ttlSize(t));
      if (t.status !== 0) {
        buf[at++] = 0x08; // KeyTtl.status (1)
        at = writeVarint(buf, at, t.status);
      }
      if (t.ttlMs !== 0) {
        buf[at++] = 0x10; // KeyTtl.ttl_ms (2)
        at = writeVarint(buf, at, t.ttlMs);
      }
      if (t.atMs !== 0) {
        buf[at++] = 0x18; // KeyTtl.at_ms (3)
        at = writeVarint(buf, at, t.atMs);
      }
    }
  }
  return buf;
}
