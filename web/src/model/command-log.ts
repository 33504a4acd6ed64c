/**
 * Formatting shared by the Slow log and Monitor views: a command line quoted as redis-cli and
 * MONITOR quote it, durations in µs or ms, and a bounded buffer for the monitor's commands.
 */
import { quoteBytes } from "./reply-lines.js";

/** A command's arguments as one line, each quoted as redis-cli quotes (`"SET" "k" "\x00a"`), cut after `max` characters. */
export function commandLine(args: readonly Uint8Array[], max = 2_000): string {
  let out = "";
  for (const a of args) {
    if (out.length > max) return `${out.slice(0, max)}… (${args.length} arguments)`;
    out += (out === "" ? "" : " ") + quoteBytes(a, 512);
  }
  return out;
}

/** A duration given in µs: `850 µs`, `12.3 ms`, `1.52 s`; negative (not timed alone) `—`. */
export function formatMicros(us: number): string {
  if (us < 0) return "—";
  if (us < 1_000) return `${us} µs`;
  if (us < 1_000_000) return `${(us / 1_000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

/** A ring of the newest `capacity` items, oldest first when listed. */
export class Ring<T> {
  private items: T[] = [];
  /** Items pushed since the start (or the last clear). */
  total = 0;
  constructor(readonly capacity: number) {}

  push(item: T): void {
    this.items.push(item);
    this.total++;
    // Trim in chunks: one splice per capacity/4 pushes, not one shift per push.
    if (this.items.length > this.capacity + (this.capacity >> 2))
      this.items.splice(0, this.items.length - this.capacity);
  }

  /** The newest `capacity` items, oldest first. */
  list(): readonly T[] {
    const n = this.items.length;
    return n > this.capacity ? this.items.slice(n - this.capacity) : this.items;
  }

  clear(): void {
    this.items = [];
    this.total = 0;
  }
}
