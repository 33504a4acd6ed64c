import type { KeyRow } from "./key-row.js";

/** A line of the key list: a key, or (in tree view) a folder of keys sharing a prefix. */
export type ListLine =
  | { readonly kind: "key"; readonly row: KeyRow; readonly depth: number; readonly label: string }
  | {
      readonly kind: "folder";
      /** The prefix with its trailing delimiter, e.g. `user:`; also the folder's id. */
      readonly prefix: string;
      readonly label: string;
      readonly depth: number;
      /** Loaded keys under it. */
      readonly count: number;
      /** More keys may be under it than are loaded (its scan is not complete). */
      readonly more: boolean;
      readonly open: boolean;
    }
  | {
      /** The end of an open folder whose scan is not complete: load more of it. */
      readonly kind: "more";
      readonly prefix: string;
      readonly depth: number;
      /** What the folder's scan has done so far. */
      readonly progress: FolderScan;
    };

/** The state of a folder's own scan (an open folder's keys are scanned by prefix). */
export interface FolderScan {
  readonly done: boolean;
  readonly loading: boolean;
  readonly scanned: number;
  readonly total: number;
}

interface Folder {
  readonly prefix: string;
  readonly label: string;
  readonly folders: Map<string, Folder>;
  readonly keys: KeyRow[];
  count: number;
}

/** The flat list view: one line per row. */
export function flatLines(rows: readonly KeyRow[]): ListLine[] {
  return rows.map((row) => ({ kind: "key", row, depth: 0, label: row.key }));
}

/** Folder names in natural order: `2:` before `10:`. */
const collator = new Intl.Collator("en", { numeric: true });

/**
 * The tree view by a delimiter (`:`): folders first (by name, numbers in numeric order), then
 * keys, in row order; only folders in `open` show their content. `scanOf(prefix)` tells the
 * state of an open folder's own scan (undefined: not scanned on its own), and `rootDone` whether
 * the main scan is complete: folders say when more keys may be under them, and an open folder
 * whose scan is not complete ends with a "more" line.
 */
export function treeLines(
  rows: readonly KeyRow[],
  delimiter: string,
  open: ReadonlySet<string>,
  scanOf: (prefix: string) => FolderScan | undefined = () => undefined,
  rootDone = true,
): ListLine[] {
  const root: Folder = { prefix: "", label: "", folders: new Map(), keys: [], count: 0 };
  for (const row of rows) {
    let folder = root;
    let start = 0;
    for (;;) {
      const at = delimiter ? row.key.indexOf(delimiter, start) : -1;
      if (at < 0) break;
      const prefix = row.key.slice(0, at + delimiter.length);
      let child = folder.folders.get(prefix);
      if (!child) {
        child = { prefix, label: row.key.slice(start, at + delimiter.length), folders: new Map(), keys: [], count: 0 };
        folder.folders.set(prefix, child);
      }
      child.count++;
      folder = child;
      start = at + delimiter.length;
    }
    folder.keys.push(row);
  }
  const out: ListLine[] = [];
  const walk = (folder: Folder, depth: number, done: boolean) => {
    const folders = [...folder.folders.values()].sort((a, b) => collator.compare(a.label, b.label));
    for (const f of folders) {
      const isOpen = open.has(f.prefix);
      const more = !(scanOf(f.prefix)?.done ?? done);
      out.push({ kind: "folder", prefix: f.prefix, label: f.label, depth, count: f.count, more, open: isOpen });
      if (isOpen) walk(f, depth + 1, scanOf(f.prefix)?.done ?? done);
    }
    for (const row of folder.keys) out.push({ kind: "key", row, depth, label: row.key.slice(folder.prefix.length) });
    const scan = scanOf(folder.prefix);
    if (folder !== root && scan && !scan.done) out.push({ kind: "more", prefix: folder.prefix, depth, progress: scan });
  };
  walk(root, 0, rootDone);
  return out;
}

/** How the key list is ordered. */
export type SortBy = "scan" | "ttl" | "memory";

/**
 * The loaded rows in the order asked for (only the loaded keys: the list says so): scan order,
 * TTL soonest first, or memory (MEMORY USAGE) largest first — keys whose memory is not read yet last.
 */
export function sortRows(rows: readonly KeyRow[], by: SortBy): readonly KeyRow[] {
  if (by === "scan") return rows;
  const copy = rows.slice();
  if (by === "ttl")
    copy.sort((a, b) => (a.deadline ?? Number.POSITIVE_INFINITY) - (b.deadline ?? Number.POSITIVE_INFINITY));
  else copy.sort((a, b) => b.memory - a.memory);
  return copy;
}
