import type { Bytes } from "./bytes.js";
import { DenseTable } from "./dense-table.js";
import type { ContainerValue } from "./value.js";

/**
 * A hash: fields and values on a {@link DenseTable} (dense parallel arrays, a field → slot index
 * once past 16 fields), so HRANDFIELD draws in O(1) per field and small hashes cost only their
 * two arrays.
 */
export class HashValue extends DenseTable implements ContainerValue {
  /** Always `"hash"` (a getter: no per-object slot). */
  get type(): "hash" {
    return "hash";
  }

  constructor() {
    super(true);
  }

  /** `"listpack"` while small (arrays only, insertion order), `"hashtable"` once indexed. */
  get encoding(): string {
    return this.indexed ? "hashtable" : "listpack";
  }

  /** The value of `field`, or undefined. */
  get(field: Bytes): Bytes | undefined {
    const slot = this.find(field);
    return slot === -1 ? undefined : (this.vals as Bytes[])[slot];
  }

  /** The value in `slot` (0 ≤ slot < size). */
  valueAt(slot: number): Bytes {
    return (this.vals as Bytes[])[slot] as Bytes;
  }

  /** Sets `field` to `value`; true when the field was created (false when updated). */
  set(field: Bytes, value: Bytes): boolean {
    const slot = this.find(field);
    if (slot === -1) {
      this.append(field, value);
      return true;
    }
    (this.vals as Bytes[])[slot] = value;
    return false;
  }

  /** Every value, in slot order (a copy). */
  valueList(): Bytes[] {
    return (this.vals as Bytes[]).slice();
  }

  /** Fields and values interleaved (HGETALL's flat reply). */
  flatEntries(): Bytes[] {
    const vals = this.vals as Bytes[];
    const out = new Array<Bytes>(this.names.length * 2);
    for (let i = 0; i < this.names.length; i++) {
      out[2 * i] = this.names[i] as Bytes;
      out[2 * i + 1] = vals[i] as Bytes;
    }
    return out;
  }

  /** A deep copy (the byte strings themselves are immutable and shared). */
  clone(): HashValue {
    const copy = new HashValue();
    this.copyInto(copy);
    return copy;
  }

  /** Approximate heap bytes of the fields, values and structure. */
  memoryBytes(): number {
    return this.tableBytes();
  }
}
