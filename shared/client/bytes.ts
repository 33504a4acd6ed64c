/**
 * Conversions between JavaScript strings and the API's `bytes` fields (values, elements,
 * members), as UTF-8.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes a string as UTF-8 bytes for a `bytes` field.
 *
 * @example
 * ```ts
 * await client.strings.set({ key: "greeting", value: utf8("hello") });
 * ```
 */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Decodes UTF-8 bytes from a `bytes` field into a string (invalid sequences become U+FFFD).
 * `undefined` (a nil reply, e.g. GET of a missing key) stays `undefined`.
 */
export function text(bytes: Uint8Array): string;
export function text(bytes: Uint8Array | undefined): string | undefined;
export function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : decoder.decode(bytes);
}
