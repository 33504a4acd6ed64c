import type { CommandInfo } from "../../../shared/gen/memorabilia/v1/command_service_pb.js";

/**
 * Splits a command line as redis-cli does: whitespace separates arguments; "double quotes" take
 * \n, \t, \\, \" and \xHH escapes; 'single quotes' take \' only. Throws on an unclosed quote.
 */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && /\s/.test(line[i] as string)) i++;
    if (i >= n) break;
    let arg = "";
    while (i < n && !/\s/.test(line[i] as string)) {
      const c = line[i] as string;
      if (c === '"' || c === "'") {
        const quote = c;
        i++;
        let closed = false;
        while (i < n) {
          const d = line[i] as string;
          if (d === "\\" && i + 1 < n) {
            const e = line[i + 1] as string;
            if (quote === "'") {
              arg += e === "'" ? "'" : `\\${e}`;
              i += 2;
              continue;
            }
            if (e === "x" && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
              arg += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16));
              i += 4;
              continue;
            }
            arg += ({ n: "\n", r: "\r", t: "\t", b: "\b", a: "\x07" } as Record<string, string>)[e] ?? e;
            i += 2;
            continue;
          }
          if (d === quote) {
            closed = true;
            i++;
            break;
          }
          arg += d;
          i++;
        }
        if (!closed) throw new Error("unbalanced quotes");
      } else {
        arg += c;
        i++;
      }
    }
    out.push(arg);
  }
  return out;
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
