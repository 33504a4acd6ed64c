/**
 * Interned command names, for the decoders: the RESP parser and CommandService.Execute turn a
 * command name's bytes into one shared string per spelling instead of a fresh one per command.
 *
 * A name's interned string is the V8-internalized string with its exact bytes (the same object as
 * the literal `"GET"` anywhere in the process), so the store's entry points can recognise the
 * common spellings of GET and SET by identity (one pointer compare: store.ts `isGetName`), and
 * every Map lookup by name (the command table, the RESP dispatch) finds the hash already computed.
 * Interning changes no value: the string equals what decoding the bytes gives, so a caller that
 * does not intern loses speed, never meaning.
 *
 * Only the spellings the tables hold are interned: each command's name as registered (upper case)
 * and in lower case. Other letter cases (`gEt`) decode to a fresh string as before and are matched
 * case-insensitively where they are looked up; they are not folded to one canonical spelling,
 * because what a client sent is shown as sent (MONITOR, SLOWLOG), as Redis shows it.
 */
import { type Bytes, bytesFromArray } from "./bytes.js";
import { ALL_COMMANDS } from "./commands.js";

/** Names longer than this are never interned (no command name comes close). */
const MAX_NAME_BYTES = 32;
const EMPTY = "";

/** An internalized copy of `s`: V8 internalizes property keys, and `Object.keys` returns those. */
function internalized(s: string): string {
  return Object.keys({ [s]: 0 })[0] as string;
}

/** FNV-1a over `n` char codes read by `at`. */
function hashOf(at: (i: number) => number, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ at(i), 0x01000193);
  return h >>> 0;
}

/**
 * A fixed set of names looked up by their bytes (open addressing, linear probing; a table at most
 * a quarter full). Built once; {@link find} allocates nothing.
 */
export class CommandNameTable {
  private readonly slots: string[];
  private readonly mask: number;

  /** A table of `names` and each one's lower case (names that are empty, too long, non-byte or array indices are skipped). */
  constructor(names: Iterable<string>) {
    const all = new Set<string>();
    for (const name of names) {
      for (const spelling of [name, name.toLowerCase()]) {
        if (spelling.length === 0 || spelling.length > MAX_NAME_BYTES) continue;
        if (/[^\x00-\xff]/.test(spelling) || /^(0|[1-9]\d*)$/.test(spelling)) continue;
        all.add(internalized(spelling));
      }
    }
    let size = 16;
    while (size < all.size * 4) size *= 2;
    this.slots = new Array<string>(size).fill(EMPTY);
    this.mask = size - 1;
    for (const name of all) {
      let i = hashOf((k) => name.charCodeAt(k), name.length) & this.mask;
      while (this.slots[i] !== EMPTY) i = (i + 1) & this.mask;
      this.slots[i] = name;
    }
  }

  /** The interned name whose bytes are `bytes[start, start + length)` exactly, or undefined. */
  find(bytes: Uint8Array, start: number, length: number): Bytes | undefined {
    if (length === 0 || length > MAX_NAME_BYTES) return undefined;
    let h = 0x811c9dc5;
    for (let k = 0; k < length; k++) h = Math.imul(h ^ (bytes[start + k] as number), 0x01000193);
    const slots = this.slots;
    const mask = this.mask;
    for (let i = (h >>> 0) & mask; ; i = (i + 1) & mask) {
      const name = slots[i] as string;
      if (name === EMPTY) return undefined;
      if (name.length !== length) continue;
      let k = 0;
      while (k < length && name.charCodeAt(k) === bytes[start + k]) k++;
      if (k === length) return name;
    }
  }

  /** The interned string equal to `name` when the table holds one, else `name` itself (inline commands). */
  intern(name: string): string {
    const slots = this.slots;
    for (let i = hashOf((k) => name.charCodeAt(k), name.length) & this.mask; ; i = (i + 1) & this.mask) {
      const s = slots[i] as string;
      if (s === EMPTY || name.length === 0) return name;
      if (s === name) return s;
    }
  }
}

let builtIn: CommandNameTable | undefined;

/** The built-in commands' names (as registered and in lower case), built on first use. */
export function builtInCommandNames(): CommandNameTable {
  builtIn ??= new CommandNameTable(ALL_COMMANDS.map((spec) => spec.name));
  return builtIn;
}

/**
 * Decodes an argument vector of byte arrays (CommandService.Execute's `args`): the name interned
 * when it is a built-in command's, every argument a byte string ({@link Bytes}).
 */
export function argvFromArrays(arrays: readonly Uint8Array[]): Bytes[] {
  const n = arrays.length;
  const argv = new Array<Bytes>(n);
  if (n === 0) return argv;
  const name = arrays[0] as Uint8Array;
  argv[0] = builtInCommandNames().find(name, 0, name.length) ?? bytesFromArray(name);
  for (let i = 1; i < n; i++) argv[i] = bytesFromArray(arrays[i] as Uint8Array);
  return argv;
}
