/**
 * Output formats of the CLI: redis-cli's (`"v"`, `(integer) 1`, `(nil)`, numbered arrays), raw
 * (`--raw`: bare values, one per line) and JSON (`--json`).
 */
import type { Reply } from "../../shared/gen/memorabilia/v1/command_service_pb.js";

/** How results are printed. */
export type OutputMode = "pretty" | "raw" | "json";

const decoder = new TextDecoder();

/** A bulk string as redis-cli shows it: quoted, with non-printable bytes escaped (`\n`, `\x00`). */
export function quoteBytes(bytes: Uint8Array): string {
  let out = '"';
  for (const byte of bytes) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte === 0x0a) out += "\\n";
    else if (byte === 0x0d) out += "\\r";
    else if (byte === 0x09) out += "\\t";
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return `${out}"`;
}

/** Lines of a reply in redis-cli's format (nested arrays indented under their index). */
export function prettyReply(reply: Reply | undefined, indent = ""): string[] {
  const kind = reply?.kind;
  switch (kind?.case) {
    case undefined:
    case "nil":
      return ["(nil)"];
    case "integer":
      return [`(integer) ${kind.value}`];
    case "double":
      return [`(double) ${kind.value}`];
    case "bulk":
      return [quoteBytes(kind.value)];
    case "status":
      return [kind.value];
    case "error":
      return [`(error) ${kind.value.message}`];
    case "array": {
      const elements = kind.value.elements;
      if (elements.length === 0) return ["(empty array)"];
      const width = String(elements.length).length;
      const lines: string[] = [];
      elements.forEach((element, i) => {
        const label = `${String(i + 1).padStart(width)}) `;
        const inner = prettyReply(element, `${indent}${" ".repeat(label.length)}`);
        lines.push(`${i === 0 ? "" : indent}${label}${inner[0]}`, ...inner.slice(1));
      });
      return lines;
    }
  }
}

/** Lines of a reply as `redis-cli --raw` prints it: bare values, array elements one per line (an empty array: one empty line). */
export function rawReply(reply: Reply | undefined): string[] {
  const kind = reply?.kind;
  switch (kind?.case) {
    case undefined:
    case "nil":
      return [""];
    case "integer":
    case "double":
      return [String(kind.value)];
    case "bulk":
      return [decoder.decode(kind.value)];
    case "status":
      return [kind.value];
    case "error":
      return [kind.value.message];
    case "array":
      // redis-cli joins the elements' output with newlines, so an empty array prints an empty line.
      return kind.value.elements.length === 0 ? [""] : kind.value.elements.flatMap((e) => rawReply(e));
  }
}

/** A reply as plain JSON: null, numbers (strings past 2^53), strings, arrays, `{ error }`. */
export function jsonReply(reply: Reply | undefined): unknown {
  const kind = reply?.kind;
  switch (kind?.case) {
    case undefined:
    case "nil":
      return null;
    case "integer":
      return jsonNumber(kind.value);
    case "double":
      return kind.value;
    case "bulk":
      return decoder.decode(kind.value);
    case "status":
      return kind.value;
    case "error":
      return { error: kind.value.message, code: kind.value.code };
    case "array":
      return kind.value.elements.map((e) => jsonReply(e));
  }
}

/** A bigint as a JSON number when exact, else as a decimal string. */
export function jsonNumber(value: bigint): number | string {
  return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
}

/** JSON.stringify that prints bigints (as numbers when exact) and bytes (as UTF-8 strings). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return jsonNumber(v);
    if (v instanceof Uint8Array) return decoder.decode(v);
    return v;
  });
}
