/** The CLI's `--help` text, built from the command table. */
import { CLI_COMMANDS } from "./commands.js";

/** Usage of the whole CLI. */
export function helpText(): string {
  const width = Math.max(...CLI_COMMANDS.map((c) => c.usage.length));
  return [
    "memo: the Memorabilia command-line client (in the spirit of redis-cli and etcdctl).",
    "",
    "Usage: memo [options] <command> [args]     one command",
    "       memo [options]                      interactive mode (raw commands, history, completion)",
    "",
    "Commands:",
    ...CLI_COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    "  -u, --url URL            Server URL (env MEMORABILIA_URL; default http://127.0.0.1:7379)",
    "  -p, --protocol NAME      grpc (default), grpc-web or connect",
    "      --http-version V     1.1 or 2, for grpc-web and connect (default 1.1)",
    "      --token TOKEN        Bearer token (env MEMORABILIA_TOKEN)",
    "      --json               Print JSON (one object per line for keys and watch)",
    "      --raw                Print bare values, as redis-cli --raw",
    "  -h, --help               Show this help",
    "",
    "Exit codes: 0 success, 1 error reply or failed call, 2 usage error.",
  ].join("\n");
}
