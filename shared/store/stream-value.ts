import type { Bytes } from "./bytes.js";
import { stringHeapBytes } from "./object-info.js";
import type { ConsumerGroup } from "./stream-group.js";
import { ID_MAX, ID_MIN, type IdKey, idMs, idSeq } from "./stream-id.js";
import {
  entryBytes,
  LP_EMPTY_BYTES,
  masterEntryBytes,
  NODE_MAX_BYTES,
  NODE_MAX_ENTRIES,
} from "./stream-listpack-size.js";
import type { ContainerValue } from "./value.js";

/**
 * The stream type (Redis's t_stream.c data structure). Entries live in blocks that mirror
 * Redis's listpack nodes — same split rule (100 entries or 4096 listpack bytes, see
 * stream-listpack-size.ts), same tombstones (a deleted entry stays in its block, flagged, until
 * the block empties), same master fields — so approximate trimming and XINFO answer as Redis does.
 *
 * A block keeps per entry: its ID as 8 × u16 in a typed array (16 bytes), a flag byte, and its
 * payload packed into one string: the open (last) block holds one string per entry; when the next
 * block opens, the full one is sealed into a single string plus a Uint32Array of offsets. A
 * payload is `varint(2 × numFields + sameFields)`, then the fields when they differ from the
 * block's master fields, then the values, each `varint(length) bytes`. Blocks sit in an array
 * ordered by ID (appends only go to the end; trims only remove from the head), found by binary
 * search on their first ID.
 */

const DELETED = 1;

/** Appends `varint(n)` (7 bits per character, low group first, bit 7 = more follows). */
function varint(n: number): string {
  let s = "";
  while (n >= 0x80) {
    s += String.fromCharCode((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  return s + String.fromCharCode(n);
}

/** The packed payload of one entry. */
function encodePayload(fieldValues: readonly Bytes[], same: boolean): string {
  const parts: string[] = [varint((fieldValues.length >> 1) * 2 + (same ? 1 : 0))];
  if (!same) {
    for (let i = 0; i < fieldValues.length; i += 2) {
      const f = fieldValues[i] as Bytes;
      parts.push(varint(f.length), f);
    }
  }
  for (let i = 1; i < fieldValues.length; i += 2) {
    const v = fieldValues[i] as Bytes;
    parts.push(varint(v.length), v);
  }
  return parts.join("");
}

/** Decodes the payload in `data[from, …)` into a flat field/value list. */
function decodePayload(data: string, from: number, master: readonly Bytes[]): Bytes[] {
  let at = from;
  const readVarint = (): number => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const c = data.charCodeAt(at++);
      n += (c & 0x7f) * mul;
      if (c < 0x80) return n;
      mul *= 128;
    }
  };
  const head = readVarint();
  const numFields = Math.floor(head / 2);
  const out = new Array<Bytes>(numFields * 2);
  if (head & 1) {
    for (let i = 0; i < numFields; i++) out[i * 2] = master[i] as Bytes;
  } else {
    for (let i = 0; i < numFields; i++) {
      const len = readVarint();
      out[i * 2] = data.slice(at, at + len);
      at += len;
    }
  }
  for (let i = 0; i < numFields; i++) {
    const len = readVarint();
    out[i * 2 + 1] = data.slice(at, at + len);
    at += len;
  }
  return out;
}

/** The int64 a listpack stores for `a - b` of two uint64 parts (wrapping, as Redis's C). */
function delta(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return BigInt.asIntN(64, BigInt(a) - BigInt(b));
}

/** One node: up to {@link NODE_MAX_ENTRIES} entries in ID order. */
export class StreamBlock {
  /** Entry IDs, 8 code units each. */
  ids: Uint16Array;
  /** Per entry: bit 0 = deleted (a tombstone). */
  flags: Uint8Array;
  /** Entries in the block, tombstones included. */
  count = 0;
  /** Entries not deleted. */
  live = 0;
  /** The ID of the first entry (the rax key of Redis's node). */
  readonly firstId: IdKey;
  /** The fields of the first entry (Redis's master entry). */
  readonly master: readonly Bytes[];
  /** The modeled listpack size in bytes. */
  lpBytes: number;
  /** Payloads of the open block, one per entry; null once sealed. */
  open: string[] | null;
  /** Sealed payloads, concatenated. */
  data = "";
  /** Sealed: entry i's payload starts at offsets[i]. */
  offsets: Uint32Array | null = null;

  constructor(firstId: IdKey, master: readonly Bytes[], capacity = 8) {
    this.firstId = firstId;
    this.master = master;
    this.ids = new Uint16Array(capacity * 8);
    this.flags = new Uint8Array(capacity);
    this.lpBytes = LP_EMPTY_BYTES + masterEntryBytes(master);
    this.open = [];
  }

  /** The ID of entry `i`. */
  idAt(i: number): IdKey {
    const o = i * 8;
    const a = this.ids;
    return String.fromCharCode(
      a[o] as number,
      a[o + 1] as number,
      a[o + 2] as number,
      a[o + 3] as number,
      a[o + 4] as number,
      a[o + 5] as number,
      a[o + 6] as number,
      a[o + 7] as number,
    );
  }

  /** The ID of the last entry (a tombstone or not). */
  lastId(): IdKey {
    return this.idAt(this.count - 1);
  }

  isDeleted(i: number): boolean {
    return ((this.flags[i] as number) & DELETED) !== 0;
  }

  /** Marks entry `i` deleted. */
  markDeleted(i: number): void {
    this.flags[i] = (this.flags[i] as number) | DELETED;
    this.live--;
  }

  /** The flat field/value list of entry `i`. */
  fieldsAt(i: number): Bytes[] {
    if (this.open !== null) return decodePayload(this.open[i] as string, 0, this.master);
    return decodePayload(this.data, (this.offsets as Uint32Array)[i] as number, this.master);
  }

  /** True when `fieldValues` has exactly the master's fields, in order. */
  sameFields(fieldValues: readonly Bytes[]): boolean {
    const m = this.master;
    if (fieldValues.length !== m.length * 2) return false;
    for (let i = 0; i < m.length; i++) if (fieldValues[i * 2] !== m[i]) return false;
    return true;
  }

  /** Appends an entry (its ID above every ID in the block). A sealed block is reopened first. */
  append(id: IdKey, fieldValues: readonly Bytes[]): void {
    if (this.open === null) this.unseal();
    const same = this.sameFields(fieldValues);
    if (this.count === this.flags.length) {
      const cap = Math.min(NODE_MAX_ENTRIES, this.count * 2);
      const ids = new Uint16Array(cap * 8);
      ids.set(this.ids);
      this.ids = ids;
      const flags = new Uint8Array(cap);
      flags.set(this.flags);
      this.flags = flags;
    }
    const o = this.count * 8;
    for (let k = 0; k < 8; k++) this.ids[o + k] = id.charCodeAt(k);
    this.flags[this.count] = 0;
    (this.open as string[]).push(encodePayload(fieldValues, same));
    this.lpBytes += entryBytes(
      delta(idMs(id), idMs(this.firstId)),
      delta(idSeq(id), idSeq(this.firstId)),
      fieldValues,
      same,
    );
    this.count++;
    this.live++;
  }

  /** Packs the open block's payloads into one string and trims its arrays to size. */
  seal(): void {
    const open = this.open;
    if (open === null) return;
    const offsets = new Uint32Array(this.count);
    let at = 0;
    for (let i = 0; i < open.length; i++) {
      offsets[i] = at;
      at += (open[i] as string).length;
    }
    this.data = open.join("");
    this.offsets = offsets;
    this.open = null;
    if (this.flags.length > this.count) {
      this.ids = this.ids.slice(0, this.count * 8);
      this.flags = this.flags.slice(0, this.count);
    }
  }

  /** Splits a sealed block's payloads back into one string per entry (a reloaded tail block grows again). */
  private unseal(): void {
    const offsets = this.offsets as Uint32Array;
    const open: string[] = [];
    for (let i = 0; i < this.count; i++) {
      open.push(
        this.data.slice(offsets[i] as number, i + 1 < this.count ? (offsets[i + 1] as number) : this.data.length),
      );
    }
    this.open = open;
    this.data = "";
    this.offsets = null;
  }

  /** Index of the first entry with ID >= `id` (count when none). */
  lowerBound(id: IdKey): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.idAt(mid) < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** A deep copy (sealed payload strings are immutable and shared). */
  clone(): StreamBlock {
    const b = new StreamBlock(this.firstId, this.master, 1);
    b.ids = this.ids.slice();
    b.flags = this.flags.slice();
    b.count = this.count;
    b.live = this.live;
    b.lpBytes = this.lpBytes;
    b.open = this.open === null ? null : this.open.slice();
    b.data = this.data;
    b.offsets = this.offsets;
    return b;
  }

  /** Approximate heap bytes. */
  memoryBytes(): number {
    let n = 96 + this.ids.byteLength + this.flags.byteLength + 2 * 64;
    for (const f of this.master) n += stringHeapBytes(f.length) + 8;
    if (this.open !== null) {
      n += 16 + this.open.length * 8;
      for (const p of this.open) n += stringHeapBytes(p.length);
    } else {
      n += stringHeapBytes(this.data.length) + (this.offsets as Uint32Array).byteLength;
    }
    return n;
  }
}

/** One entry as commands see it. */
export interface StreamEntry {
  readonly id: IdKey;
  readonly fields: Bytes[];
}

/** Redis's trim arguments (`streamAddTrimArgs`). */
export interface TrimArgs {
  readonly strategy: "maxlen" | "minid";
  readonly maxlen: number;
  readonly minid: IdKey;
  readonly approx: boolean;
  /** Most entries to remove; 0 = no bound. */
  readonly limit: number;
}

/** A stream: blocks of entries plus the metadata and consumer groups Redis keeps. */
export class StreamValue implements ContainerValue {
  /** Always `"stream"`. */
  readonly type = "stream" as const;
  readonly encoding = "stream";
  /** The blocks, in ID order. */
  blocks: StreamBlock[] = [];
  /** Live entries. */
  length = 0;
  /** The last ID generated (may be past the last entry after XSETID or deletes). */
  lastId: IdKey = ID_MIN;
  /** The first live entry's ID, 0-0 when empty (Redis's `first_id`). */
  firstId: IdKey = ID_MIN;
  /** The largest ID ever deleted (XDEL), 0-0 when none. */
  maxDeletedId: IdKey = ID_MIN;
  /** Entries ever added. */
  entriesAdded = 0;
  /** Consumer groups by name; null until the first one (as Redis creates the rax on demand). */
  groups: Map<Bytes, ConsumerGroup> | null = null;

  get size(): number {
    return this.length;
  }

  /**
   * Appends an entry with `id` (above {@link lastId}, checked by the caller) and updates the
   * counters as Redis's `streamAppendItem`.
   */
  append(id: IdKey, fieldValues: readonly Bytes[]): void {
    let tail = this.blocks[this.blocks.length - 1];
    if (tail !== undefined) {
      let total = 0;
      for (const s of fieldValues) total += s.length;
      if (tail.lpBytes + total >= NODE_MAX_BYTES || tail.count >= NODE_MAX_ENTRIES) {
        tail.seal();
        tail = undefined;
      }
    }
    if (tail === undefined) {
      const master: Bytes[] = [];
      for (let i = 0; i < fieldValues.length; i += 2) master.push(fieldValues[i] as Bytes);
      tail = new StreamBlock(id, master);
      this.blocks.push(tail);
    }
    tail.append(id, fieldValues);
    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** Index of the block to start a forward walk at `id`: the last whose first ID <= id, else 0. */
  private blockAtOrBefore(id: IdKey): number {
    let lo = 0;
    let hi = this.blocks.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.blocks[mid] as StreamBlock).firstId <= id) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /**
   * Calls `visit(block, index)` for each live entry with start <= ID <= end, in ID order (reverse
   * when `rev`), until it returns false.
   */
  walk(start: IdKey, end: IdKey, rev: boolean, visit: (block: StreamBlock, i: number) => boolean): void {
    if (start > end) return;
    if (!rev) {
      let bi = Math.max(0, this.blockAtOrBefore(start));
      for (; bi < this.blocks.length; bi++) {
        const b = this.blocks[bi] as StreamBlock;
        if (b.firstId > end) return;
        for (let i = b.firstId >= start ? 0 : b.lowerBound(start); i < b.count; i++) {
          if (b.isDeleted(i)) continue;
          if (b.idAt(i) > end) return;
          if (!visit(b, i)) return;
        }
      }
    } else {
      let bi = this.blockAtOrBefore(end);
      for (; bi >= 0; bi--) {
        const b = this.blocks[bi] as StreamBlock;
        let i = b.lowerBound(end);
        if (i === b.count || b.idAt(i) > end) i--;
        for (; i >= 0; i--) {
          if (b.isDeleted(i)) continue;
          if (b.idAt(i) < start) return;
          if (!visit(b, i)) return;
        }
      }
    }
  }

  /** Live entries in [start, end] (at most `count` when count > 0). */
  range(start: IdKey, end: IdKey, count: number, rev: boolean): StreamEntry[] {
    const out: StreamEntry[] = [];
    this.walk(start, end, rev, (b, i) => {
      out.push({ id: b.idAt(i), fields: b.fieldsAt(i) });
      return count <= 0 || out.length < count;
    });
    return out;
  }

  /** The live entry with `id`, or undefined. */
  get(id: IdKey): StreamEntry | undefined {
    let found: StreamEntry | undefined;
    this.walk(id, id, false, (b, i) => {
      found = { id, fields: b.fieldsAt(i) };
      return false;
    });
    return found;
  }

  /** True when a live entry has `id`. */
  has(id: IdKey): boolean {
    let found = false;
    this.walk(id, id, false, () => {
      found = true;
      return false;
    });
    return found;
  }

  /** The first or last live entry, or undefined. */
  edgeEntry(last: boolean): StreamEntry | undefined {
    const r = this.range(ID_MIN, ID_MAX, 1, last);
    return r[0];
  }

  /**
   * Deletes the live entry `id` (Redis's `streamDeleteItem`: a tombstone, the block removed when
   * its last live entry goes). True when it existed. The caller updates firstId/maxDeletedId.
   */
  delete(id: IdKey): boolean {
    const bi = this.blockAtOrBefore(id);
    if (bi < 0) return false;
    const b = this.blocks[bi] as StreamBlock;
    const i = b.lowerBound(id);
    if (i === b.count || b.isDeleted(i) || b.idAt(i) !== id) return false;
    if (b.live === 1) {
      this.blocks.splice(bi, 1);
    } else {
      b.markDeleted(i);
    }
    this.length--;
    return true;
  }

  /** Recomputes {@link firstId} (the first live entry, 0-0 when empty). */
  refreshFirstId(): void {
    this.firstId = this.length === 0 ? ID_MIN : (this.edgeEntry(false)?.id ?? ID_MIN);
  }

  /** Redis's `streamTrim`: how many entries it removed. */
  trim(args: TrimArgs): number {
    let deleted = 0;
    const bi = 0;
    while (bi < this.blocks.length) {
      if (args.strategy === "maxlen" && this.length <= args.maxlen) break;
      const b = this.blocks[bi] as StreamBlock;
      const entries = b.live;
      if (args.limit && deleted + entries > args.limit) break;
      const removeNode = args.strategy === "maxlen" ? this.length - entries >= args.maxlen : b.lastId() < args.minid;
      if (removeNode) {
        this.blocks.splice(bi, 1);
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (args.approx) break;
      for (let i = 0; i < b.count; i++) {
        const stop = args.strategy === "maxlen" ? this.length <= args.maxlen : b.idAt(i) >= args.minid;
        if (stop) break;
        if (!b.isDeleted(i)) {
          b.markDeleted(i);
          this.length--;
          deleted++;
        }
      }
      break;
    }
    if (this.length === 0) this.firstId = ID_MIN;
    else if (deleted) this.refreshFirstId();
    return deleted;
  }

  /** Number of blocks (XINFO STREAM's radix-tree-keys). */
  get blockCount(): number {
    return this.blocks.length;
  }

  clone(): StreamValue {
    const s = new StreamValue();
    s.blocks = this.blocks.map((b) => b.clone());
    s.length = this.length;
    s.lastId = this.lastId;
    s.firstId = this.firstId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    if (this.groups !== null) {
      s.groups = new Map();
      for (const [name, g] of this.groups) s.groups.set(name, g.clone());
    }
    return s;
  }

  memoryBytes(): number {
    let n = 64 + this.blocks.length * 8;
    for (const b of this.blocks) n += b.memoryBytes();
    if (this.groups !== null) {
      for (const g of this.groups.values()) {
        n += 128 + stringHeapBytes(g.name.length) + g.pel.size * 120;
        for (const c of g.consumers.values()) n += 96 + stringHeapBytes(c.name.length) + c.pel.size * 48;
      }
    }
    return n;
  }
}
