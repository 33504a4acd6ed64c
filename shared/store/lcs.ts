import type { Bytes } from "./bytes.js";
import type { Reply } from "./reply.js";

/** What LCS replies with. */
export interface LcsOptions {
  /** Reply with the length only. */
  readonly len: boolean;
  /** Reply with the matching ranges (and the length). */
  readonly idx: boolean;
  /** With IDX, add each range's length. */
  readonly withMatchLen: boolean;
  /** With IDX, leave out ranges shorter than this. */
  readonly minMatchLen: number;
}

/**
 * The longest common subsequence of two byte strings, by the classic dynamic-programming table,
 * walked back from the end exactly as Redis's `lcsCommand` does, so that IDX reports the same
 * ranges in the same order (last match first). Replies: the subsequence; its length with LEN;
 * with IDX, the RESP2 flat map `["matches", [[[aStart, aEnd], [bStart, bEnd], len?], …], "len", n]`.
 */
export function lcs(a: Bytes, b: Bytes, options: LcsOptions): Reply {
  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  // table[j + i*w] = LCS length of a[0..i) and b[0..j); row and column 0 stay 0.
  const table = new Uint32Array((alen + 1) * w);
  for (let i = 1; i <= alen; i++) {
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= blen; j++) {
      if (ai === b.charCodeAt(j - 1)) table[j + i * w] = (table[j - 1 + (i - 1) * w] as number) + 1;
      else {
        const up = table[j + (i - 1) * w] as number;
        const left = table[j - 1 + i * w] as number;
        table[j + i * w] = Math.max(up, left);
      }
    }
  }
  const total = table[blen + alen * w] as number;
  if (options.len && !options.idx) return total;

  const chars: number[] = new Array(total);
  const matches: Reply[] = [];
  let idx = total;
  // aStart === alen means "no range open".
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars[idx - 1] = a.charCodeAt(i - 1);
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        // Contiguous with the open range: extend it backwards.
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      const up = table[j + (i - 1) * w] as number;
      const left = table[j - 1 + i * w] as number;
      if (up > left) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (options.idx && (options.minMatchLen === 0 || matchLen >= options.minMatchLen)) {
        const range: Reply[] = [
          [aStart, aEnd],
          [bStart, bEnd],
        ];
        if (options.withMatchLen) range.push(matchLen);
        matches.push(range);
      }
      aStart = alen;
    }
  }
  if (options.idx) return ["matches", matches, "len", total];
  let out = "";
  for (let k = 0; k < chars.length; k += 8192) {
    out += String.fromCharCode.apply(null, chars.slice(k, k + 8192));
  }
  return out;
}
