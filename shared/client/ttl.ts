/**
 * Durations for TTLs: `"10s"`, `"1m30s"`, `"250ms"`, `"2h"`, `"1d"` or a number of milliseconds.
 */

/** A duration: a number of milliseconds, or a string of `<number><unit>` parts (`ms`, `s`, `m`, `h`, `d`). */
export type Duration = number | string;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * Parses a duration into whole milliseconds.
 *
 * A number is taken as milliseconds; a string is one or more `<number><unit>` parts, largest
 * first or not (`"1m30s"`, `"1.5s"`, `"500ms"`); a bare digit string is milliseconds.
 *
 * @throws TypeError for an empty, negative, non-finite or malformed duration.
 * @example
 * ```ts
 * ms("1m30s"); // 90000
 * ms(250);     // 250
 * ```
 */
export function ms(duration: Duration): number {
  if (typeof duration === "number") {
    if (!Number.isFinite(duration) || duration < 0) throw new TypeError(`invalid duration: ${duration}`);
    return Math.round(duration);
  }
  const text = duration.trim();
  if (/^\d+$/.test(text)) return Number(text);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start)
      throw new TypeError(`invalid duration: "${duration}" (use e.g. 10s, 1m30s, 250ms)`);
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  if (text.length === 0) throw new TypeError('invalid duration: "" (use e.g. 10s, 1m30s, 250ms)');
  return Math.round(total);
}

/**
 * A duration as the API's `ttl_ms` fields want it: whole milliseconds as a `bigint`.
 *
 * @example
 * ```ts
 * await client.strings.set({ key: "k", value: utf8("v"), expiry: { case: "ttlMs", value: ttl("10s") } });
 * ```
 */
export function ttl(duration: Duration): bigint {
  return BigInt(ms(duration));
}

/**
 * Formats milliseconds as a compact duration (`90000` → `"1m30s"`, `1500` → `"1.5s"`), the
 * inverse of {@link ms} for display.
 */
export function formatDuration(milliseconds: number | bigint): string {
  let rest = Number(milliseconds);
  if (rest < 1000) return `${rest}ms`;
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0) parts.push(`${rest / 1000}s`);
  return parts.join("");
}
