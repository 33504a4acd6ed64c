/**
 * A command's reply as the command bar holds it: its line count, its first page of lines, and
 * more lines on request. The reply itself may live in a worker (server mode: decoded and
 * formatted off the main thread) or in the page (embedded mode: no wire to decode).
 */
import type { Reply } from "../../../shared/gen/memorabilia/v1/command_service_pb.js";
import { countLines, takeLines } from "./reply-lines.js";

/** A reply read a page of lines at a time. */
export interface ReplyHandle {
  /** The reply's kind (`array`, `bulk`, `nil`, …): styles the block. */
  readonly kind: string;
  /** Lines in the whole reply. */
  readonly total: number;
  /** The first lines (up to the page asked for when it was run). */
  readonly first: readonly string[];
  /** The first `count` lines. */
  lines(count: number): Promise<string[]>;
  /** Lets the reply go (the log dropped it). */
  dispose(): void;
}

/** Runs a raw command and gives its reply as a {@link ReplyHandle}. */
export interface CommandRunner {
  run(args: readonly Uint8Array[], firstLines: number): Promise<ReplyHandle>;
}

/** A handle of a reply held in this thread. */
export function localHandle(reply: Reply | undefined, firstLines: number): ReplyHandle {
  return {
    kind: reply?.kind.case ?? "nil",
    total: countLines(reply),
    first: takeLines(reply, firstLines),
    lines: async (count) => takeLines(reply, count),
    dispose: () => {},
  };
}
