/** Bytes <-> text for the console: values are bytes on the wire, shown as text, JSON or hex. */
const encoder = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder("utf-8");

/** UTF-8 bytes of a string. */
export const utf8 = (text: string): Uint8Array => encoder.encode(text);

/** The text of UTF-8 bytes (invalid sequences become U+FFFD). */
export const text = (bytes: Uint8Array): string => lenient.decode(bytes);

/** True when the bytes are valid UTF-8 (so decoding them as text loses nothing). */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** True when the bytes are valid UTF-8 with no control characters other than tab, CR and LF. */
export function isText(bytes: Uint8Array): boolean {
  let decoded: string;
  try {
    decoded = strict.decode(bytes);
  } catch {
    return false;
  }
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(decoded);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** `68 65 6c 6c 6f` for "hello" (a 256 KiB value in a few milliseconds: a table, joined in chunks). */
export function toHex(bytes: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 8192;
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(bytes.length, start + CHUNK);
    const chunk = new Array<string>(end - start);
    for (let i = start; i < end; i++) chunk[i - start] = HEX[bytes[i] as number] as string;
    parts.push(chunk.join(" "));
  }
  return parts.join(" ");
}

/** Parses hex digits (whitespace ignored); throws on anything else. */
export function fromHex(hex: string): Uint8Array {
  const digits = hex.replace(/\s+/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error("hex needs pairs of digits 0-9, a-f");
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The pretty-printed JSON of the text, or null when it is not a JSON object or array. */
export function prettyJson(value: string): string | null {
  const t = value.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return null;
  try {
    return JSON.stringify(JSON.parse(t), null, 2);
  } catch {
    return null;
  }
}

/** A one-line preview of bytes: text when printable, else hex. */
export function preview(bytes: Uint8Array, max = 200): string {
  const shown = bytes.length > max ? bytes.subarray(0, max) : bytes;
  const s = isText(shown) ? text(shown) : `0x ${toHex(shown)}`;
  return bytes.length > max ? `${s}…` : s;
}
