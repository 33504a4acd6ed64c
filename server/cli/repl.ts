/**
 * The interactive mode: each line is a raw command (CommandService.Execute), printed as
 * redis-cli prints replies; history in ~/.memo_history (or $MEMO_HISTORY), Tab completes
 * command names from ListCommands.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ConnectError } from "@connectrpc/connect";
import type { MemorabiliaClient } from "../../shared/client/index.js";
import { utf8 } from "../../shared/client/index.js";
import { printReply } from "./commands.js";
import type { OutputMode } from "./format.js";
import { tokenize } from "./tokenize.js";

/** How many history lines are loaded. */
const HISTORY_SIZE = 1000;

/** Options of {@link runRepl}. */
export interface ReplOptions {
  readonly client: MemorabiliaClient;
  readonly url: string;
  readonly mode: OutputMode;
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  readonly errorOutput: NodeJS.WritableStream;
  /** The history file; undefined: no history. */
  readonly historyFile: string | undefined;
  /** Show a prompt (a terminal); piped input runs silently, as redis-cli does. */
  readonly terminal: boolean;
}

/** The history file: $MEMO_HISTORY, or ~/.memo_history ("" turns history off). */
export function historyPath(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const path = env.MEMO_HISTORY ?? join(homedir(), ".memo_history");
  return path === "" ? undefined : path;
}

function loadHistory(file: string | undefined): string[] {
  if (!file) return [];
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean).slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

/**
 * The completer for readline: command names (from the server's command table) completing the
 * first word, in the case the user started typing.
 */
export function createCompleter(names: readonly string[]): (line: string) => [string[], string] {
  const lower = names.map((n) => n.toLowerCase()).sort();
  return (line) => {
    if (/\s/.test(line.trimStart())) return [[], line];
    const word = line.trimStart();
    const upper = word.length > 0 && word === word.toUpperCase() && word !== word.toLowerCase();
    const hits = lower.filter((n) => n.startsWith(word.toLowerCase())).map((n) => (upper ? n.toUpperCase() : n));
    return [hits, word];
  };
}

/** Runs the REPL until end of input or `quit`; resolves with the exit code. */
export async function runRepl(options: ReplOptions): Promise<number> {
  const { client, mode } = options;
  let names: string[] = [];
  try {
    names = (await client.command.listCommands({})).commands.map((c) => c.name);
  } catch (error) {
    options.errorOutput.write(`memo: cannot reach ${options.url}: ${ConnectError.from(error).rawMessage}\n`);
    return 1;
  }
  const rl = createInterface({
    input: options.input,
    output: options.terminal ? options.output : undefined,
    terminal: options.terminal,
    history: loadHistory(options.historyFile),
    historySize: HISTORY_SIZE,
    completer: createCompleter(names),
  });
  const host = new URL(options.url).host;
  rl.setPrompt(`${host}> `);
  const print = (line: string) => options.output.write(`${line}\n`);
  let failures = 0;
  const prompt = () => options.terminal && rl.prompt();
  prompt();
  for await (const line of rl) {
    const trimmed = line.trim();
    if (trimmed === "") {
      prompt();
      continue;
    }
    if (options.historyFile) appendFileSync(options.historyFile, `${trimmed}\n`);
    let args: string[];
    try {
      args = tokenize(trimmed);
    } catch (error) {
      options.errorOutput.write(`(error) ${(error as Error).message}\n`);
      prompt();
      continue;
    }
    const name = (args[0] ?? "").toLowerCase();
    if (name === "quit" || name === "exit") break;
    if (name === "help") {
      print('Type a command as in redis-cli (SET k v, HGETALL h, ...); Tab completes names; "quit" leaves.');
    } else {
      try {
        const { reply } = await client.command.execute({ args: args.map(utf8) });
        printReply({ mode, print }, reply);
        if (reply?.kind.case === "error") failures++;
      } catch (error) {
        failures++;
        const e = ConnectError.from(error);
        if (mode === "json") print(JSON.stringify({ error: e.rawMessage, code: e.code }));
        else print(`(error) ${e.rawMessage}`);
      }
    }
    prompt();
  }
  rl.close();
  return failures > 0 && !options.terminal ? 1 : 0;
}
