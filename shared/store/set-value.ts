import type { Bytes } from "./bytes.js";
import { DenseTable } from "./dense-table.js";
import type { ContainerValue } from "./value.js";

/**
 * A set: members on a {@link DenseTable} (a dense array, a member → slot index once past 16
 * members), so SRANDMEMBER and SPOP draw in O(1) per member and small sets cost only their array.
 */
export class SetValue extends DenseTable implements ContainerValue {
  /** Always `"set"` (a getter: no per-object slot). */
  get type(): "set" {
    return "set";
  }

  /** One item per member. */
  protected get stride(): 1 {
    return 1;
  }

  /** A set holding `members` (duplicates are dropped). */
  static of(members: Iterable<Bytes>): SetValue {
    const set = new SetValue();
    for (const m of members) set.add(m);
    return set;
  }

  /** `"listpack"` while small (an array only), `"hashtable"` once indexed. */
  get encoding(): string {
    return this.indexed ? "hashtable" : "listpack";
  }

  /** Adds `member`; true when it was not present. */
  add(member: Bytes): boolean {
    if (this.find(member) !== -1) return false;
    this.append(member);
    return true;
  }

  /** A deep copy (the byte strings themselves are immutable and shared). */
  clone(): SetValue {
    const copy = new SetValue();
    this.copyInto(copy);
    return copy;
  }

  /** Approximate heap bytes of the members and structure. */
  memoryBytes(): number {
    return this.tableBytes();
  }
}
