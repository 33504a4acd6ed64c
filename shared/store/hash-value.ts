import type { Bytes } from "./bytes.js";
import { DenseTable } from "./dense-table.js";
import type { ContainerValue } from "./value.js";

/**
 * A hash: fields and values interleaved on a {@link DenseTable} (one dense array, a field → slot
 * index once past 16 fields), so HRANDFIELD draws in O(1) per field and a small hash costs only
 * its one exact-size array.
 */
export class HashValue extends DenseTable implements ContainerValue {
  /** Always `"hash"` (a getter: no per-object slot). */
  get type(): "hash" {
    return "hash";
  }

  /** Fields and values interleaved. */
  protected get stride(): 2 {
    return 2;
  }

  /** `"listpack"` while small (one array, insertion order), `"hashtable"` once indexed. */
  get encoding(): string {
    return this.indexed ? "hashtable" : "listpack";
  }

  /** The value of `field`, or undefined. */
  get(field: Bytes): Bytes | undefined {
    const slot = this.find(field);
    return slot === -1 ? undefined : this.items[2 * slot + 1];
  }

  /** The value in `slot` (0 ≤ slot < size). */
  valueAt(slot: number): Bytes {
    return this.items[2 * slot + 1] as Bytes;
  }

  /** Sets `field` to `value`; true when the field was created (false when updated). */
  set(field: Bytes, value: Bytes): boolean {
    const slot = this.find(field);
    if (slot === -1) {
      this.append(field, value);
      return true;
    }
    this.items[2 * slot + 1] = value;
    return false;
  }

  /** Every value, in slot order (a new array). */
  valueList(): Bytes[] {
    const items = this.items;
    const out = new Array<Bytes>(items.length >> 1);
    for (let i = 1, j = 0; i < items.length; i += 2, j++) out[j] = items[i] as Bytes;
    return out;
  }

  /** Fields and values interleaved (HGETALL's flat reply; a new array). */
  flatEntries(): Bytes[] {
    return this.items.slice();
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
