/**
 * Splits a REPL line into arguments as redis-cli does: spaces separate, double quotes allow
 * escapes (`\n`, `\"`, `\x41`), single quotes are literal (`\'` aside).
 */

/** The arguments of `line`. @throws SyntaxError on an unbalanced quote. */
export function tokenize(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i] as string)) i++;
    if (i >= line.length) break;
    let arg = "";
    let quoted = false;
    while (i < line.length && !/\s/.test(line[i] as string)) {
      const c = line[i] as string;
      if (c === '"' || c === "'") {
        quoted = true;
        const quote = c;
        i++;
        let closed = false;
        while (i < line.length) {
          const d = line[i] as string;
          if (d === quote) {
            closed = true;
            i++;
            break;
          }
          if (d === "\\" && i + 1 < line.length) {
            const e = line[i + 1] as string;
            if (quote === "'") {
              arg += e === "'" ? "'" : `\\${e}`;
              i += 2;
              continue;
            }
            const hex = /^x([0-9a-fA-F]{2})/.exec(line.slice(i + 1, i + 4));
            if (hex) {
              arg += String.fromCharCode(Number.parseInt(hex[1] as string, 16));
              i += 4;
              continue;
            }
            arg += ({ n: "\n", r: "\r", t: "\t", b: "\b", a: "\x07" } as Record<string, string>)[e] ?? e;
            i += 2;
            continue;
          }
          arg += d;
          i++;
        }
        if (!closed) throw new SyntaxError("unbalanced quotes");
        // A closing quote must end the argument, as in redis-cli.
        if (i < line.length && !/\s/.test(line[i] as string)) throw new SyntaxError("unbalanced quotes");
      } else {
        arg += c;
        i++;
      }
    }
    if (arg.length > 0 || quoted) args.push(arg);
  }
  return args;
}
