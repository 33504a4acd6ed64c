import { connect, type Socket } from "node:net";

/** Key i and value i of the mass-expiry workload (12 and 8 bytes), the same bytes on every server. */
export const benchKey = (i: number): string => `key:${i.toString().padStart(8, "0")}`;
export const benchValue = (i: number): string => i.toString(36).padStart(8, "v");

/** Options of {@link respPipe}. */
export interface RespPipeOptions {
  /** Commands encoded into one write. @default 4096 */
  readonly chunk?: number;
  /** Most commands sent and not yet answered (the pipe's bound). @default 65536 */
  readonly inFlight?: number;
  /**
   * Called after each chunk is sent, with the commands sent so far and the ms since the pass
   * began; returning false ends the pass early (every command already sent is still answered).
   */
  readonly onChunk?: (sent: number, elapsedMs: number) => boolean;
}

/** What one {@link respPipe} pass did. */
export interface RespPipeResult {
  /** Commands sent (and answered). */
  readonly sent: number;
  /** Wall ms from the first write to the last reply. */
  readonly ms: number;
  /** False when `onChunk` ended the pass early. */
  readonly complete: boolean;
}

/** RESP encoding of one command (ASCII arguments). */
function encode(args: readonly string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

/**
 * A bounded RESP pipe, the way `redis-cli --pipe` mass-inserts: commands `command(from)` …
 * `command(to - 1)` encoded in chunks of raw protocol and written on one connection, at most
 * `inFlight` unanswered at a time. Every reply must be a one-line status or integer reply (SET,
 * PEXPIREAT, …); an error reply (`-…`) fails the pass with the server's message. Resolves once
 * every command sent is answered, so the server has applied them all.
 *
 * The same loader serves Redis and the Memorabilia RESP port, so both sides load the same bytes
 * the same way.
 */
export async function respPipe(
  port: number,
  from: number,
  to: number,
  command: (i: number) => readonly string[],
  options: RespPipeOptions = {},
): Promise<RespPipeResult> {
  const chunk = options.chunk ?? 4096;
  const inFlight = Math.max(options.inFlight ?? 65_536, chunk);
  const socket: Socket = connect({ host: "127.0.0.1", port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let answered = 0;
  let atLineStart = true;
  let error: Error | undefined;
  let errorLine = "";
  let inError = false;
  let wake: (() => void) | undefined;
  socket.on("data", (data: Buffer) => {
    for (let i = 0; i < data.length; i++) {
      const b = data[i] as number;
      if (atLineStart) {
        atLineStart = false;
        if (b === 0x2d /* - */) inError = true;
        else if (b !== 0x2b /* + */ && b !== 0x3a /* : */ && error === undefined) {
          error = new Error(`unexpected RESP reply type '${String.fromCharCode(b)}' (the pipe takes one-line replies)`);
        }
        continue; // the type byte
      }
      if (b === 0x0a) {
        answered++;
        atLineStart = true;
        if (inError && error === undefined) error = new Error(`server replied: ${errorLine.trim()}`);
        inError = false;
      } else if (inError && errorLine.length < 200) errorLine += String.fromCharCode(b);
    }
    wake?.();
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", (e) => {
    error ??= e;
    wake?.();
  });
  const waitUntil = async (cond: () => boolean): Promise<void> => {
    while (!cond() && error === undefined && !socket.destroyed) {
      await Promise.race([new Promise<void>((r) => (wake = r)), closed]);
    }
    if (error !== undefined) throw error;
    if (!cond()) throw new Error("the RESP connection closed before every reply came");
  };
  const t0 = performance.now();
  let sent = 0;
  let complete = true;
  try {
    for (let i = from; i < to; ) {
      const end = Math.min(to, i + chunk);
      let text = "";
      for (let j = i; j < end; j++) text += encode(command(j));
      const n = end - i;
      await waitUntil(() => sent + n - answered <= inFlight);
      socket.write(Buffer.from(text, "latin1"));
      sent += n;
      i = end;
      if (options.onChunk !== undefined && i < to && !options.onChunk(sent, performance.now() - t0)) {
        complete = false;
        break;
      }
    }
    await waitUntil(() => answered >= sent);
    return { sent, ms: performance.now() - t0, complete };
  } finally {
    socket.destroy();
  }
}

/** What {@link loadDueAtOnce} did. */
export interface DueAtOnceLoad {
  /** The one deadline every key has (ms since the epoch). */
  readonly dueAt: number;
  /** Wall ms of the whole load, calibration included. */
  readonly loadMs: number;
  /** Times the deadline moved because the host slowed down (0 normally). */
  readonly moves: number;
  /** Keys sent again with the moved deadline (0 normally). */
  readonly resent: number;
}

/**
 * Loads `count` keys (`SET key value PXAT dueAt`) through a RESP pipe so that all of them fall due
 * at one instant, at least a second after the load ends, and no sooner than needed: the deadline is
 * projected from the load's own speed (first 2 %, then every chunk), at twice the projected time
 * plus 3 s. When the host slows so that the load would end within 2 s of the deadline, the deadline
 * moves (projected again from the speed seen so far, before any key falls due) and the keys
 * already set are SET again with it after the rest — so a slowdown costs the keys already sent, once,
 * instead of a restart from the first key. SET, not PEXPIREAT, for those: a key whose old deadline
 * passed meanwhile is created again. Works the same on Redis and on Memorabilia's RESP port.
 */
export async function loadDueAtOnce(
  port: number,
  count: number,
  options: { readonly maxMoves?: number; readonly pipe?: Omit<RespPipeOptions, "onChunk"> } = {},
): Promise<DueAtOnceLoad> {
  const maxMoves = options.maxMoves ?? 6;
  const t0 = performance.now();
  // Calibration: the first 2 % (at least 10k keys) without a TTL, timed; the main pass sets them again.
  const probe = Math.min(count, Math.max(10_000, Math.ceil(count / 50)));
  const first = await respPipe(port, 0, probe, (i) => ["SET", benchKey(i), benchValue(i)], options.pipe);
  let msPerKey = first.ms / probe;
  let dueAt = Date.now() + 3000 + Math.ceil(2 * msPerKey * count);
  const queue: { from: number; to: number }[] = [{ from: 0, to: count }];
  const queued = () => queue.reduce((n, r) => n + r.to - r.from, 0);
  let underDeadline: { from: number; to: number }[] = [];
  let moves = 0;
  let resent = 0;
  for (let range = queue.shift(); range !== undefined; range = queue.shift()) {
    const { from, to } = range;
    const at = String(dueAt);
    const later = queued();
    const r = await respPipe(port, from, to, (i) => ["SET", benchKey(i), benchValue(i), "PXAT", at], {
      ...options.pipe,
      onChunk: (sent, elapsedMs) => {
        msPerKey = elapsedMs / sent;
        return Date.now() + (to - from - sent + later) * msPerKey * 1.2 + 2000 < dueAt;
      },
    });
    if (r.sent > 0) underDeadline.push({ from, to: from + r.sent });
    if (r.complete) continue;
    if (++moves > maxMoves) throw new Error(`loading ${count} keys: the host slowed down ${maxMoves} times`);
    // The rest first, then again every key set under the old deadline.
    queue.unshift({ from: from + r.sent, to });
    for (const done of underDeadline) resent += done.to - done.from;
    queue.push(...underDeadline);
    underDeadline = [];
    dueAt = Date.now() + 3000 + Math.ceil(2 * msPerKey * queued());
  }
  if (Date.now() + 1000 > dueAt) throw new Error(`loading ${count} keys ended within 1 s of their deadline`);
  return { dueAt, loadMs: performance.now() - t0, moves, resent };
}
