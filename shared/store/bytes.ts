/**
 * Byte strings: the core's representation of binary-safe data.
 *
 * A {@link Bytes} value is a JavaScript string whose every code unit is one byte (0–255), like
 * Redis's SDS. V8 stores such strings one byte per character, so they are compact, hashable as
 * `Map` keys and cheap to compare, slice and concatenate — and they are exactly as binary-safe as
 * a `Uint8Array`. Keys, values, fields and members are all byte strings inside the store; the
 * edges (API, console) convert to and from UTF-8 text or `Uint8Array`.
 */
export type Bytes = string;

const ASCII = /^[\x00-\x7f]*$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes JavaScript text as UTF-8 bytes. ASCII text is returned as is (no copy). */
export function bytesFromUtf8(text: string): Bytes {
  const n = text.length;
  if (n <= 32) {
    // Short text (keys, command names): a charCode loop beats the regex call. The code units are
    // OR-ed, one test at the end: no branch per character for the CPU to predict.
    let bits = 0;
    for (let i = 0; i < n; i++) bits |= text.charCodeAt(i);
    if (bits < 0x80) return text;
  } else if (ASCII.test(text)) return text;
  return bytesFromArray(encoder.encode(text));
}

/** Converts a `Uint8Array` to a byte string. */
export function bytesFromArray(array: Uint8Array): Bytes {
  const n = array.length;
  if (n < 64) {
    let out = "";
    for (let i = 0; i < n; i++) out += String.fromCharCode(array[i] as number);
    return out;
  }
  let out = "";
  for (let i = 0; i < n; i += 8192) {
    out += String.fromCharCode.apply(null, array.subarray(i, i + 8192) as unknown as number[]);
  }
  return out;
}

/** Converts a byte string to a new `Uint8Array`. */
export function bytesToArray(bytes: Bytes): Uint8Array {
  const n = bytes.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = bytes.charCodeAt(i);
  return out;
}

/** Decodes UTF-8 bytes as text; invalid sequences become U+FFFD. ASCII is returned as is. */
export function bytesToUtf8(bytes: Bytes): string {
  if (ASCII.test(bytes)) return bytes;
  return decoder.decode(bytesToArray(bytes));
}

/** True when the bytes are valid UTF-8 (so they can be shown as text without loss). */
export function isUtf8(bytes: Bytes): boolean {
  if (ASCII.test(bytes)) return true;
  try {
    strictDecoder.decode(bytesToArray(bytes));
    return true;
  } catch {
    return false;
  }
}

/**
 * Normalizes a command argument: a `Uint8Array` is taken byte for byte, a JavaScript string is
 * encoded as UTF-8.
 */
export function toBytes(arg: string | Uint8Array): Bytes {
  return typeof arg === "string" ? bytesFromUtf8(arg) : bytesFromArray(arg);
}
