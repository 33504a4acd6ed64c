/**
 * A command's reply as redis-cli prints it, one line at a time, so a reply of any size is shown
 * a page of lines at a time and never built whole: `(nil)`, `(integer) 1`, `"bulk"`, nested
 * arrays as `1) 1) "a"` with their index numbers right-aligned to the widest.
 */
import type { Reply } from "../../../shared/gen/memorabilia/v1/command_service_pb.js";

/** Bytes of a bulk string shown before it is cut with `…`. */
export const MAX_BULK_BYTES = 4096;

const strict = new TextDecoder("utf-8", { fatal: true });
const hex2 = (b: number) => b.toString(16).padStart(2, "0");

/** The length of the UTF-8 sequence a lead byte opens (0 when it cannot open one). */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Characters shown as escapes even when valid UTF-8: C1 controls, line/paragraph separators, BOM, bidi controls. */
const HIDDEN = /[\u0080-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/;

/**
 * A bulk string quoted as redis-cli quotes it (its `sdscatrepr`): `\\`, `\"`, `\n`, `\r`, `\t`,
 * `\a`, `\b`, printable ASCII as is, every other byte as `\xHH` — so `"\x00a"` for the bytes
 * 00 61. One deliberate difference: a valid UTF-8 sequence of a visible character shows as that
 * character (`"café"`, where redis-cli prints `"caf\xc3\xa9"`); invalid UTF-8 stays `\xHH`.
 * Longer than `max` bytes, the rest is cut and the full length said.
 */
export function quoteBytes(bytes: Uint8Array, max = MAX_BULK_BYTES): string {
  const end = Math.min(bytes.length, max);
  let out = '"';
  for (let i = 0; i < end; i++) {
    const b = bytes[i] as number;
    if (b === 0x5c) out += "\\\\";
    else if (b === 0x22) out += '\\"';
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b === 0x09) out += "\\t";
    else if (b === 0x07) out += "\\a";
    else if (b === 0x08) out += "\\b";
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else {
      const n = sequenceLength(b);
      if (n > 0 && i + n <= end) {
        try {
          const ch = strict.decode(bytes.subarray(i, i + n));
          if (!HIDDEN.test(ch)) {
            out += ch;
            i += n - 1;
            continue;
          }
        } catch {
          // not valid UTF-8: shown byte by byte below
        }
      }
      out += `\\x${hex2(b)}`;
    }
  }
  out += '"';
  return bytes.length > end ? `${out}… (${bytes.length.toLocaleString("en")} bytes)` : out;
}

/** A scalar reply's one line. */
function scalarLine(r: Reply): string {
  switch (r.kind.case) {
    case "nil":
      return "(nil)";
    case "integer":
      return `(integer) ${r.kind.value}`;
    case "double":
      return `(double) ${r.kind.value}`;
    case "status":
      return r.kind.value;
    case "bulk":
      return quoteBytes(r.kind.value);
    case "error":
      return `(error) ${r.kind.value.message}`;
    case "array":
      return "(empty array)";
    default:
      return "(unknown reply)";
  }
}

/** How many lines {@link replyLines} yields for `r` (without building them). */
export function countLines(r: Reply | undefined): number {
  if (!r) return 1;
  if (r.kind.case !== "array" || r.kind.value.elements.length === 0) return 1;
  let n = 0;
  for (const el of r.kind.value.elements) n += el.kind.case === "array" ? countLines(el) : 1;
  return n;
}

/**
 * The lines of a reply, lazily (take as many as are shown). Nested arrays are indented as
 * redis-cli indents them; an index column is as wide as the array's largest index.
 */
export function* replyLines(r: Reply | undefined, prefix = ""): Generator<string, void, undefined> {
  if (!r) {
    yield "(no reply)";
    return;
  }
  if (r.kind.case !== "array" || r.kind.value.elements.length === 0) {
    yield scalarLine(r);
    return;
  }
  const elements = r.kind.value.elements;
  const width = String(elements.length).length;
  const inner = prefix + " ".repeat(width + 2);
  for (let i = 0; i < elements.length; i++) {
    const head = `${i === 0 ? "" : prefix}${String(i + 1).padStart(width)}) `;
    const el = elements[i] as Reply;
    if (el.kind.case !== "array") {
      yield head + scalarLine(el);
      continue;
    }
    let first = true;
    for (const line of replyLines(el, inner)) {
      yield first ? head + line : line;
      first = false;
    }
  }
}

/** The first `count` lines of a reply. */
export function takeLines(r: Reply | undefined, count: number): string[] {
  const out: string[] = [];
  if (count <= 0) return out;
  for (const line of replyLines(r)) {
    out.push(line);
    if (out.length >= count) break;
  }
  return out;
}
