import type { Bytes } from "./bytes.js";

/**
 * Redis glob patterns (`stringmatchlen` in redis/src/util.c): `*` any run, `?` one byte,
 * `[abc]`, `[^a]` / `[!a]` and ranges `[a-z]` (reversed ranges are swapped), `\x` a literal x.
 * Matching is on bytes. Compiled matchers are cached.
 */
export type GlobMatcher = (subject: Bytes) => boolean;

const cache = new Map<string, GlobMatcher>();
const CACHE_LIMIT = 512;

/** Returns a matcher for `pattern` (cached). `*` alone matches everything without a regex. */
export function compileGlob(pattern: Bytes): GlobMatcher {
  let m = cache.get(pattern);
  if (m) return m;
  m = build(pattern);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, m);
  return m;
}

/** True when `subject` matches the Redis glob `pattern`. */
export function globMatch(pattern: Bytes, subject: Bytes): boolean {
  return compileGlob(pattern)(subject);
}

/**
 * The literal prefix of a pattern before its first wildcard (`user:*` → `user:`), for callers
 * that can narrow a search by prefix.
 */
export function globPrefix(pattern: Bytes): Bytes {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*" || c === "?" || c === "[") return out;
    if (c === "\\" && i + 1 < pattern.length) {
      out += pattern[++i];
      continue;
    }
    out += c;
  }
  return out;
}

const escapeRe = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
const hex = (c: string): string => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;

function build(pattern: Bytes): GlobMatcher {
  if (pattern === "*") return () => true;
  if (!/[*?[\\]/.test(pattern)) return (s) => s === pattern;
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") {
      while (pattern[i + 1] === "*") i++;
      re += "[\\s\\S]*";
    } else if (c === "?") {
      re += "[\\s\\S]";
    } else if (c === "\\" && i + 1 < pattern.length) {
      re += escapeRe(pattern[++i] as string);
    } else if (c === "[") {
      let j = i + 1;
      let negate = false;
      if (pattern[j] === "^" || pattern[j] === "!") {
        negate = true;
        j++;
      }
      const parts: string[] = [];
      // As in Redis, an unterminated class runs to the end of the pattern.
      while (j < pattern.length && pattern[j] !== "]") {
        let a = pattern[j] as string;
        if (a === "\\" && j + 1 < pattern.length) a = pattern[++j] as string;
        if (pattern[j + 1] === "-" && j + 2 < pattern.length && pattern[j + 2] !== "]") {
          let b = pattern[j + 2] as string;
          j += 2;
          if (b === "\\" && j + 1 < pattern.length) b = pattern[++j] as string;
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          parts.push(`${hex(lo)}-${hex(hi)}`);
        } else {
          parts.push(hex(a));
        }
        j++;
      }
      i = j;
      re += parts.length === 0 ? (negate ? "[\\s\\S]" : "(?!)") : `[${negate ? "^" : ""}${parts.join("")}]`;
    } else {
      re += escapeRe(c);
    }
  }
  const regex = new RegExp(`${re}$`);
  return (s) => regex.test(s);
}
