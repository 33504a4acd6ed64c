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
  /** Wall ms of the last (complete) pass. */
  readonly loadMs: number;
  /** Passes started: 1 unless the host slowed down and the deadline had to move. */
  readonly passes: number;
}

/**
 * Loads `count` keys (`SET key value PXAT dueAt`) through a RESP pipe so that all of them fall due
 * at one instant, at least a second after the load ends, and no sooner than needed: the deadline is
 * projected from the pass's own speed (first 2 %), at twice the projected load time plus 3 s. If the
 * host slows so that the pass would end within 2 s of the deadline, the pass stops (before any
 * key falls due) and starts over with a deadline projected again from the speed seen so far; the
 * keys already set take the new deadline. Works the same on Redis and on Memorabilia's RESP port.
 */
export async function loadDueAtOnce(port: number, count: number, maxPasses = 4): Promise<DueAtOnceLoad> {
  // Calibration: the first 2 % (at least 10k keys) without a TTL, timed; the main pass sets them again.
  const probe = Math.min(count, Math.max(10_000, Math.ceil(count / 50)));
  const first = await respPipe(port, 0, probe, (i) => ["SET", benchKey(i), benchValue(i)]);
  let projectedMs = (first.ms * count) / probe;
  for (let pass = 1; pass <= maxPasses; pass++) {
    const dueAt = Date.now() + 3000 + Math.ceil(2 * projectedMs);
    const at = String(dueAt);
    let seen = { sent: 0, ms: 0 };
    const r = await respPipe(port, 0, count, (i) => ["SET", benchKey(i), benchValue(i), "PXAT", at], {
      onChunk: (sent, elapsedMs) => {
        seen = { sent, ms: elapsedMs };
        const left = ((count - sent) * elapsedMs) / sent;
        return Date.now() + left * 1.2 + 2000 < dueAt;
      },
    });
    if (r.complete) {
      if (Date.now() + 1000 > dueAt) throw new Error(`loading ${count} keys ended within 1 s of their deadline`);
      return { dueAt, loadMs: r.ms, passes: pass };
    }
    projectedMs = (seen.ms * count) / Math.max(1, seen.sent);
  }
  throw new Error(`loading ${count} keys: the host slowed down ${maxPasses} times in a row`);
}
