/**
 * Lua 5.1 (Redis's) has one number type, the double; Lua 5.3 (fengari, with 32-bit integers) also
 * has integers, whose constants and arithmetic wrap: `0x100000000` is 0 and `2147483647 + 1` is
 * negative, where Redis's scripts get 4294967296 and 2147483648 (BullMQ's priority scores rely on
 * it). This rewrites a script's integer numerals as float numerals before it is compiled —
 * `5` → `5.0`, `0x10` → `0x10p0` — so every constant is a double as in 5.1. Strings, long strings
 * and comments are skipped as Lua's lexer skips them; newlines are untouched, so line numbers in
 * error messages stay the script's own.
 */

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** The position after a long bracket `[==[ … ]==]` starting at `at` (a `[`), or -1 when `at` is no long bracket. */
function longBracketEnd(src: Uint8Array, at: number): number {
  let i = at + 1;
  let level = 0;
  while (src[i] === 61) {
    level++;
    i++;
  }
  if (src[i] !== 91) return -1;
  for (i++; i < src.length; i++) {
    if (src[i] !== 93) continue;
    let j = i + 1;
    let l = 0;
    while (src[j] === 61) {
      l++;
      j++;
    }
    if (l === level && src[j] === 93) return j + 1;
  }
  return src.length; // unfinished: the compiler reports it
}

/** `source` with every integer numeral written as a float numeral. */
export function floatNumerals(source: Uint8Array): Uint8Array {
  const out: number[] = [];
  let changed = false;
  const src = source;
  let i = 0;
  const copy = (to: number) => {
    for (; i < to; i++) out.push(src[i] as number);
  };
  while (i < src.length) {
    const c = src[i] as number;
    if (c === 45 && src[i + 1] === 45) {
      // comment: long, or to the end of the line
      const end = src[i + 2] === 91 ? longBracketEnd(src, i + 2) : -1;
      if (end >= 0) copy(end);
      else {
        let j = i + 2;
        while (j < src.length && src[j] !== 10) j++;
        copy(j);
      }
    } else if (c === 91) {
      const end = longBracketEnd(src, i);
      copy(end >= 0 ? end : i + 1);
    } else if (c === 34 || c === 39) {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== 10) j += src[j] === 92 ? 2 : 1;
      copy(Math.min(j + 1, src.length));
    } else if (isAlnum(c) && !isDigit(c)) {
      let j = i + 1;
      while (j < src.length && isAlnum(src[j] as number)) j++;
      copy(j);
    } else if (isDigit(c) || (c === 46 && isDigit(src[i + 1] ?? 0) && src[i - 1] !== 46)) {
      const start = i;
      const hex = c === 48 && (src[i + 1] === 120 || src[i + 1] === 88);
      let j = hex ? i + 2 : i;
      let fractional = false;
      for (; j < src.length; j++) {
        const d = src[j] as number;
        const exponent = hex ? d === 112 || d === 80 : d === 101 || d === 69;
        if (exponent) {
          fractional = true;
          if (src[j + 1] === 43 || src[j + 1] === 45) j++;
        } else if (d === 46) fractional = true;
        else if (!isAlnum(d)) break;
      }
      copy(j);
      const malformed =
        !hex &&
        src.subarray(start, j).some((d) => !isDigit(d) && d !== 46 && d !== 101 && d !== 69 && d !== 43 && d !== 45);
      if (!fractional && !malformed) {
        changed = true;
        out.push(...(hex ? [112, 48] : [46, 48]));
      }
    } else copy(i + 1);
  }
  return changed ? Uint8Array.from(out) : source;
}
