/**
 * Stream entry IDs (`<ms>-<seq>`, two unsigned 64-bit numbers) as the stream viewer pages and
 * labels them: compared as numbers (never as text: `9-0` < `10-0`), and the time an ID's
 * milliseconds stand for.
 */

/** An ID's two parts, or null when the text is not a full `ms-seq` ID. */
export function parseStreamId(id: string): { ms: bigint; seq: bigint } | null {
  const m = /^(\d{1,20})-(\d{1,20})$/.exec(id);
  if (!m) return null;
  const ms = BigInt(m[1] as string);
  const seq = BigInt(m[2] as string);
  const max = (1n << 64n) - 1n;
  return ms > max || seq > max ? null : { ms, seq };
}

/** Orders two IDs as the stream does (-1, 0, 1); IDs that do not parse sort first. */
export function compareStreamIds(a: string, b: string): number {
  const x = parseStreamId(a);
  const y = parseStreamId(b);
  if (!x || !y) return x ? 1 : y ? -1 : 0;
  if (x.ms !== y.ms) return x.ms < y.ms ? -1 : 1;
  return x.seq === y.seq ? 0 : x.seq < y.seq ? -1 : 1;
}

/**
 * The time an ID's milliseconds stand for, `2026-12-04 21:55:45.123` (UTC), or "" when they are
 * not a plausible time (IDs given by hand, like `1-1`, or past year 9999).
 */
export function streamIdTime(id: string): string {
  const p = parseStreamId(id);
  if (!p || p.ms < 946_684_800_000n || p.ms > 253_402_300_799_999n) return "";
  return new Date(Number(p.ms)).toISOString().replace("T", " ").replace("Z", "");
}

/**
 * What the user typed as a place to start reading, as an XRANGE bound: an ID (`1700000000000-0`),
 * a millisecond time (`1700000000000`, all its sequences), or a date (`2026-12-04 21:00`, UTC)
 * read as its millisecond time. Throws a message for anything else.
 */
export function boundOf(input: string): string {
  const t = input.trim();
  if (parseStreamId(t) || /^\d{1,20}$/.test(t)) return t;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t.replace(" ", "T")}Z`);
  if (Number.isFinite(ms) && ms >= 0) return String(ms);
  throw new Error(`“${t}” is not a stream ID (ms-seq), a millisecond time or a date`);
}
