/**
 * A bound on the work a JSON request body can cost before it is parsed. `JSON.parse` of a 16 MiB
 * body of nested arrays (8 M levels: 16 KB gzipped) took ~5.8 s of CPU, and 5.6 M empty arrays side
 * by side ~4.8 s, all with the event loop blocked, whatever fields the message has (protobuf-es
 * parses the whole text before it looks at a field). One linear pass over the bytes (~90 ms for
 * 16 MiB at worst, usually cut short at the first excess) refuses such bodies first.
 *
 * It plugs into connect's JSON serialization as its `textDecoder` (connect decodes every JSON
 * message, unary or streamed, after decompression, through it), so every JSON request on every
 * protocol passes it.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** Limits of a JSON request message. */
export interface JsonLimits {
  /** Deepest nesting of arrays and objects. @default 64 */
  readonly maxDepth?: number;
  /** Most arrays and objects in one message. @default 100_000 */
  readonly maxContainers?: number;
  /** Most values (array elements and object members: commas + 1, roughly) in one message. @default 1_000_000 */
  readonly maxValues?: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** Throws INVALID_ARGUMENT when `bytes` (JSON text) exceeds `limits`; strings are skipped whole. */
export function checkJsonLimits(bytes: Uint8Array, limits: JsonLimits = {}): void {
  const maxDepth = limits.maxDepth ?? 64;
  const maxContainers = limits.maxContainers ?? 100_000;
  const maxValues = limits.maxValues ?? 1_000_000;
  let depth = 0;
  let containers = 0;
  let commas = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i] as number;
    if (c === QUOTE) {
      // Skip the string (escapes included); an unterminated one is JSON.parse's to report.
      for (i++; i < n; i++) {
        const s = bytes[i] as number;
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth)
        throw new ConnectError(`JSON nested deeper than ${maxDepth} levels`, Code.InvalidArgument);
      if (++containers > maxContainers)
        throw new ConnectError(`JSON with more than ${maxContainers} arrays and objects`, Code.InvalidArgument);
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    else if (c === COMMA && ++commas >= maxValues)
      throw new ConnectError(`JSON with more than ${maxValues} values`, Code.InvalidArgument);
  }
}

/** A `TextDecoder` stand-in for connect's `jsonOptions.textDecoder` that checks the limits first. */
export function jsonGuardDecoder(limits: JsonLimits = {}): { decode(input?: Uint8Array): string } {
  const utf8 = new TextDecoder();
  return {
    decode(input) {
      if (input === undefined) return "";
      checkJsonLimits(input, limits);
      return utf8.decode(input);
    },
  };
}
