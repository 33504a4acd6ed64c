import type { CommandInfo } from "../../../shared/gen/memorabilia/v1/command_service_pb.js";

/** Escapes a "double-quoted" argument takes after a backslash (others stand for themselves). */
const ESCAPES: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, b: 0x08, a: 0x07 };
/** What skips between arguments (C's isspace) and what ends an unquoted one, as redis-cli has it. */
const SPACE = new Set([" ", "\t", "\n", "\v", "\f", "\r"]);
const ENDS_ARG = new Set([" ", "\t", "\n", "\r"]);
const HEX = /^[0-9a-fA-F]$/;
const encoder = new TextEncoder();

/**
 * Splits a command line into argument bytes exactly as redis-cli does (its `sdssplitargs`):
 * whitespace separates arguments; a quote may open anywhere in an argument, and its closing
 * quote must end the argument. "Double quotes" take `\xHH` (one raw byte, so `"\x00"` is the byte
 * 0x00 and `"\xff"` is 0xff, not U+00FF), `\n`, `\r`, `\t`, `\b`, `\a`, and `\c` for any other
 * `c`; 'single quotes' take `\'` only. Everything else is the UTF-8 of the text typed.
 * Throws on an unclosed quote or a closing quote followed by more text.
 */
export function tokenize(line: string): Uint8Array[] {
  const chars = Array.from(line); // code points, so astral characters stay whole
  const n = chars.length;
  const out: Uint8Array[] = [];
  let i = 0;
  for (;;) {
    while (i < n && SPACE.has(chars[i] as string)) i++;
    if (i >= n) return out;
    const bytes: number[] = [];
    const put = (c: string) => {
      for (const b of encoder.encode(c)) bytes.push(b);
    };
    let quote: '"' | "'" | null = null;
    for (;;) {
      const c = chars[i];
      if (quote === '"') {
        if (c === undefined) throw new Error("unbalanced quotes");
        const next = chars[i + 1];
        if (c === "\\" && next === "x" && HEX.test(chars[i + 2] ?? "") && HEX.test(chars[i + 3] ?? "")) {
          bytes.push(Number.parseInt(`${chars[i + 2]}${chars[i + 3]}`, 16));
          i += 4;
        } else if (c === "\\" && next !== undefined) {
          if (next in ESCAPES) bytes.push(ESCAPES[next] as number);
          else put(next);
          i += 2;
        } else if (c === '"') {
          i++;
          if (i < n && !SPACE.has(chars[i] as string)) throw new Error("unbalanced quotes");
          break;
        } else {
          put(c);
          i++;
        }
      } else if (quote === "'") {
        if (c === undefined) throw new Error("unbalanced quotes");
        if (c === "\\" && chars[i + 1] === "'") {
          bytes.push(0x27);
          i += 2;
        } else if (c === "'") {
          i++;
          if (i < n && !SPACE.has(chars[i] as string)) throw new Error("unbalanced quotes");
          break;
        } else {
          put(c);
          i++;
        }
      } else {
        if (c === undefined || ENDS_ARG.has(c)) break;
        if (c === '"' || c === "'") quote = c;
        else put(c);
        i++;
      }
    }
    out.push(Uint8Array.from(bytes));
  }
}

/** Commands whose name starts with what was typed (case-insensitive), shortest names first. */
export function completeCommand(commands: readonly CommandInfo[], typed: string, limit = 8): CommandInfo[] {
  const prefix = typed.trim().toUpperCase();
  if (!prefix || /\s/.test(typed.trim())) return [];
  return commands
    .filter((c) => c.name.startsWith(prefix))
    .sort((a, b) => a.name.length - b.name.length || (a.name < b.name ? -1 : 1))
    .slice(0, limit);
}

/** True when the command table marks the command as a write (hidden from read-only sessions). */
export const isWrite = (info: CommandInfo | undefined): boolean =>
  info !== undefined && (info.flags.includes("write") || info.flags.includes("admin"));
