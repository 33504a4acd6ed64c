/**
 * `memo`: the Memorabilia command-line client. One command per call (`memo get k`), or the
 * interactive mode when run without one.
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { ERROR_CODE_HEADER } from "../../shared/api/error-map.js";
import { createMemorabiliaClient } from "../client-node.js";
import { UsageError } from "./commands.js";
import { helpText } from "./help.js";
import { parseInvocation } from "./options.js";
import { historyPath, runRepl } from "./repl.js";

/** Runs the CLI with `argv` and resolves with the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let invocation: ReturnType<typeof parseInvocation>;
  try {
    invocation = parseInvocation(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`memo: ${error.message}\n`);
    return 2;
  }
  if (invocation.help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const client = createMemorabiliaClient({
    baseUrl: invocation.url,
    protocol: invocation.protocol,
    ...(invocation.httpVersion ? { httpVersion: invocation.httpVersion } : {}),
    ...(invocation.token !== undefined ? { token: invocation.token } : {}),
  });
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    // First Ctrl-C ends the command (watch returns normally); a second one leaves at once.
    if (++interrupts > 1) process.exit(130);
    controller.abort();
  };
  try {
    const command = invocation.command;
    if (!command) {
      return await runRepl({
        client,
        url: invocation.url,
        mode: invocation.mode,
        input: process.stdin,
        output: process.stdout,
        errorOutput: process.stderr,
        historyFile: historyPath(env),
        terminal: process.stdin.isTTY === true && process.stdout.isTTY === true,
      });
    }
    process.on("SIGINT", onSigint);
    return await command.run({
      client,
      args: invocation.args,
      options: invocation.options,
      mode: invocation.mode,
      print: (line) => process.stdout.write(`${line}\n`),
      signal: controller.signal,
    });
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`memo: ${error.message}\n`);
      return 2;
    }
    if (error instanceof TypeError && /duration/.test(error.message)) {
      process.stderr.write(`memo: ${error.message}\n`);
      return 2;
    }
    const e = ConnectError.from(error);
    if (e.code === Code.Unavailable) process.stderr.write(`memo: cannot reach ${invocation.url}: ${e.rawMessage}\n`);
    else if (invocation.mode === "json")
      process.stderr.write(`${JSON.stringify({ error: e.rawMessage, code: Code[e.code] })}\n`);
    // Store errors read as in redis-cli; transport and API errors name their code.
    else if (e.metadata.has(ERROR_CODE_HEADER)) process.stderr.write(`(error) ${e.rawMessage}\n`);
    else process.stderr.write(`memo: ${Code[e.code]}: ${e.rawMessage}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSigint);
    client.close();
  }
}

/** Whether this module is the program: `argv[1]` may be a symlink (npm's `node_modules/.bin/memo`). */
function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

// Run when executed directly (tsx server/cli/main.ts, dist/memo.mjs, or the package's `memo` bin).
if (isMain()) {
  process.exitCode = await main(process.argv.slice(2));
}
