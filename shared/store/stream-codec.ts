import { type ByteReader, type ByteWriter, MalformedDataError } from "./byte-io.js";
import type { Bytes } from "./bytes.js";
import { type Consumer, ConsumerGroup, IdIndex, INVALID_ENTRIES_READ, type Nack } from "./stream-group.js";
import { ID_MIN, type IdKey } from "./stream-id.js";
import { StreamBlock, StreamValue } from "./stream-value.js";

/**
 * The STREAM body of value-codec.ts (big-endian; an ID is 16 bytes, ms then seq):
 *
 * ```
 * lastId, maxDeletedId, f64 entriesAdded,
 * u32 blocks, per block: u32 entries, per entry: id, u8 flags (1 = deleted), u32 n, n × bytes (field, value, …)
 * u32 groups, per group: bytes name, lastId, f64 entriesRead, u32 consumers,
 *   per consumer: bytes name, f64 seenTime, u32 pending, per pending: id, f64 deliveryTime, f64 deliveryCount
 * ```
 *
 * Blocks are kept as they are (tombstones included), as Redis's RDB keeps its listpacks, so a
 * reloaded stream trims approximately exactly as before. Decoding is strict: IDs must ascend,
 * every entry has at least one field/value pair, a pending ID is owned by one consumer only.
 */

function writeId(w: ByteWriter, id: IdKey): void {
  for (let i = 0; i < 8; i += 2) w.u32(((id.charCodeAt(i) << 16) | id.charCodeAt(i + 1)) >>> 0);
}

function readId(r: ByteReader): IdKey {
  const units: number[] = [];
  for (let i = 0; i < 4; i++) {
    const n = r.u32();
    units.push(n >>> 16, n & 0xffff);
  }
  return String.fromCharCode(...units);
}

/** A non-negative integer stored as a float64 (a counter), else malformed. */
function readCounter(r: ByteReader, what: string, min = 0): number {
  const n = r.f64();
  if (!Number.isSafeInteger(n) || n < min) throw new MalformedDataError(`bad ${what} ${n}`);
  return n;
}

/** Writes the body of `s`. */
export function writeStreamBody(w: ByteWriter, s: StreamValue): void {
  writeId(w, s.lastId);
  writeId(w, s.maxDeletedId);
  w.f64(s.entriesAdded);
  w.u32(s.blocks.length);
  for (const b of s.blocks) {
    w.u32(b.count);
    for (let i = 0; i < b.count; i++) {
      writeId(w, b.idAt(i));
      w.u8(b.isDeleted(i) ? 1 : 0);
      const fields = b.fieldsAt(i);
      w.u32(fields.length);
      for (const f of fields) w.bytes(f);
    }
  }
  const groups = s.groups === null ? [] : [...s.groups.values()];
  w.u32(groups.length);
  for (const g of groups) {
    w.bytes(g.name);
    writeId(w, g.lastId);
    w.f64(g.entriesRead);
    w.u32(g.consumers.size);
    for (const c of g.consumers.values()) {
      w.bytes(c.name);
      w.f64(c.seenTime);
      w.u32(c.pel.size);
      for (const [id, nack] of c.pel.entries()) {
        writeId(w, id);
        w.f64(nack.deliveryTime);
        w.f64(nack.deliveryCount);
      }
    }
  }
}

/** Reads a STREAM body. */
export function readStreamBody(r: ByteReader): StreamValue {
  const s = new StreamValue();
  s.lastId = readId(r);
  s.maxDeletedId = readId(r);
  s.entriesAdded = readCounter(r, "entries-added");
  const blockCount = r.count(4);
  let previous: IdKey | undefined;
  for (let bi = 0; bi < blockCount; bi++) {
    const n = r.count(25);
    if (n === 0) throw new MalformedDataError("empty stream block");
    let block: StreamBlock | undefined;
    for (let i = 0; i < n; i++) {
      const id = readId(r);
      if (previous !== undefined && id <= previous) throw new MalformedDataError("stream IDs out of order");
      previous = id;
      const flags = r.u8();
      if (flags > 1) throw new MalformedDataError(`bad entry flags ${flags}`);
      const m = r.count(4);
      if (m === 0 || m % 2 === 1) throw new MalformedDataError(`bad field count ${m}`);
      const fields: Bytes[] = new Array(m);
      for (let k = 0; k < m; k++) fields[k] = r.bytes();
      if (block === undefined) {
        const master: Bytes[] = [];
        for (let k = 0; k < m; k += 2) master.push(fields[k] as Bytes);
        block = new StreamBlock(id, master);
      }
      block.append(id, fields);
      if (flags === 1) block.markDeleted(i);
    }
    const b = block as StreamBlock;
    b.seal();
    s.blocks.push(b);
    s.length += b.live;
  }
  if (previous !== undefined && previous > s.lastId) throw new MalformedDataError("an entry past the last ID");
  s.refreshFirstId();
  const groupCount = r.count(20);
  for (let gi = 0; gi < groupCount; gi++) {
    const name = r.bytes();
    const lastId = readId(r);
    const entriesRead = readCounter(r, "entries-read", INVALID_ENTRIES_READ);
    const g = new ConsumerGroup(name, lastId, entriesRead);
    s.groups ??= new Map();
    if (s.groups.has(name)) throw new MalformedDataError("duplicate consumer group");
    s.groups.set(name, g);
    const consumerCount = r.count(16);
    for (let ci = 0; ci < consumerCount; ci++) {
      const cname = r.bytes();
      if (g.consumers.has(cname)) throw new MalformedDataError("duplicate consumer");
      const consumer: Consumer = { name: cname, seenTime: readCounter(r, "seen-time"), pel: new IdIndex() };
      g.consumers.set(cname, consumer);
      const pending = r.count(32);
      for (let k = 0; k < pending; k++) {
        const id = readId(r);
        const nack: Nack = {
          deliveryTime: readCounter(r, "delivery-time"),
          deliveryCount: readCounter(r, "delivery-count"),
          consumer,
        };
        if (g.pel.has(id)) throw new MalformedDataError("a pending entry owned twice");
        g.pel.set(id, nack);
        consumer.pel.set(id, nack);
      }
    }
  }
  if (s.length === 0) s.firstId = ID_MIN;
  return s;
}
