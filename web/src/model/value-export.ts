/**
 * A container value (list, set, hash, sorted set, stream) exported whole, its exact bytes kept:
 *
 * - **JSON**: `{"key", "type", …}` with the elements in the order the server keeps them (a list by
 *   index, a sorted set by score, a stream by ID; a hash or set in scan order). Each byte string is
 *   a JSON string when it is valid UTF-8, else `{"base64": "…"}` (its bytes in standard Base64).
 *   Scores are JSON numbers (shortest round-trip form: the same double), `"inf"` / `"-inf"`.
 * - **text**: what redis-cli prints for the command that reads it (`LRANGE k 0 -1`, `SMEMBERS`,
 *   `HGETALL`, `ZRANGE k 0 -1 WITHSCORES`, `XRANGE k - +`): numbered lines, each byte string
 *   quoted as redis-cli quotes it (`\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b`, other bytes `\xHH`),
 *   except that valid UTF-8 shows as its characters; nothing is cut, so the text gives the bytes back.
 */
import { quoteBytes } from "./reply-lines.js";

/** A container's whole value. */
export type ContainerValue =
  | { readonly type: "list"; readonly elements: readonly Uint8Array[] }
  | { readonly type: "set"; readonly members: readonly Uint8Array[] }
  | { readonly type: "hash"; readonly entries: readonly (readonly [Uint8Array, Uint8Array])[] }
  | { readonly type: "zset"; readonly members: readonly (readonly [Uint8Array, number])[] }
  | {
      readonly type: "stream";
      readonly entries: readonly {
        readonly id: string;
        readonly fields: readonly (readonly [Uint8Array, Uint8Array])[];
      }[];
    };

const strict = new TextDecoder("utf-8", { fatal: true });

/** Standard Base64 of `bytes`. */
export function base64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 8192)
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  return btoa(bin);
}

/** A byte string as JSON: a string when valid UTF-8, else `{"base64": …}`. */
function jsonBytes(bytes: Uint8Array): string | { base64: string } {
  try {
    return strict.decode(bytes);
  } catch {
    return { base64: base64(bytes) };
  }
}

const jsonScore = (s: number): number | string => (s === Infinity ? "inf" : s === -Infinity ? "-inf" : s);

/** The value as JSON (see the module comment for the shape). */
export function toJson(key: string, v: ContainerValue): string {
  let body: Record<string, unknown>;
  switch (v.type) {
    case "list":
      body = { elements: v.elements.map(jsonBytes) };
      break;
    case "set":
      body = { members: v.members.map(jsonBytes) };
      break;
    case "hash":
      body = { entries: v.entries.map(([f, x]) => [jsonBytes(f), jsonBytes(x)]) };
      break;
    case "zset":
      body = { members: v.members.map(([m, s]) => [jsonBytes(m), jsonScore(s)]) };
      break;
    case "stream":
      body = {
        entries: v.entries.map((e) => ({ id: e.id, fields: e.fields.map(([f, x]) => [jsonBytes(f), jsonBytes(x)]) })),
      };
      break;
  }
  return `${JSON.stringify({ key, type: v.type, ...body }, null, 2)}\n`;
}

/** A reply tree of byte strings, as redis-cli prints it. */
type Tree = Uint8Array | readonly Tree[];

const utf8 = new TextEncoder();

/** redis-cli's score text (RESP2 bulk string): `1.5`, `inf`, `-inf`. */
const scoreText = (s: number): string => (s === Infinity ? "inf" : s === -Infinity ? "-inf" : String(s));

function lines(t: Tree, out: string[]): void {
  if (t instanceof Uint8Array) {
    out.push(quoteBytes(t, Number.POSITIVE_INFINITY));
    return;
  }
  if (t.length === 0) {
    out.push("(empty array)");
    return;
  }
  const width = String(t.length).length;
  t.forEach((child, i) => {
    const label = `${String(i + 1).padStart(width)}) `;
    const sub: string[] = [];
    lines(child, sub);
    // A nested reply's lines after its first are indented under its label.
    const pad = " ".repeat(label.length);
    for (let j = 0; j < sub.length; j++) out.push(`${j === 0 ? label : pad}${sub[j]}`);
  });
}

function render(t: Tree): string {
  const out: string[] = [];
  lines(t, out);
  return `${out.join("\n")}\n`;
}

/** The value as redis-cli prints its reading command's reply (see the module comment). */
export function toCliText(v: ContainerValue): string {
  switch (v.type) {
    case "list":
      return render(v.elements);
    case "set":
      return render(v.members);
    case "hash":
      return render(v.entries.flatMap(([f, x]) => [f, x]));
    case "zset":
      return render(v.members.flatMap(([m, s]) => [m, utf8.encode(scoreText(s))]));
    case "stream":
      return render(v.entries.map((e) => [utf8.encode(e.id), e.fields.flatMap(([f, x]) => [f, x])]));
  }
}
