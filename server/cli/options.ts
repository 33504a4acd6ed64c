/**
 * Command-line parsing (node:util parseArgs): global options before the command, the command's
 * own options after it (`memo set k v --ttl 10s --json`); `exec` takes everything after its
 * name verbatim, so `memo exec SET k --weird` sends `--weird` as an argument.
 */
import { parseArgs } from "node:util";
import type { Protocol } from "../client-node.js";
import { type CliCommand, findCommand, UsageError } from "./commands.js";
import type { OutputMode } from "./format.js";

/** Options that apply to every command. */
export const GLOBAL_OPTIONS = {
  url: { type: "string", short: "u" },
  protocol: { type: "string", short: "p" },
  "http-version": { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  raw: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The parsed command line. */
export interface Invocation {
  readonly url: string;
  readonly protocol: Protocol;
  readonly httpVersion: "1.1" | "2" | undefined;
  readonly token: string | undefined;
  readonly mode: OutputMode;
  readonly help: boolean;
  /** The command, or undefined for the REPL. */
  readonly command: CliCommand | undefined;
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
}

const PROTOCOLS: readonly Protocol[] = ["grpc", "grpc-web", "connect"];
const VALUED = new Set(
  Object.entries(GLOBAL_OPTIONS).flatMap(([name, o]) =>
    o.type === "string" ? [`--${name}`, ...("short" in o ? [`-${o.short}`] : [])] : [],
  ),
);

/** Parses `argv` (without node and the script) with `env` for MEMORABILIA_URL / MEMORABILIA_TOKEN. */
export function parseInvocation(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Invocation {
  let i = 0;
  while (i < argv.length && (argv[i] as string).startsWith("-")) {
    const token = argv[i] as string;
    i += VALUED.has(token) ? 2 : 1;
  }
  const head = argv.slice(0, i);
  const name = argv[i];
  const command = name === undefined ? undefined : findCommand(name);
  if (name !== undefined && !command)
    throw new UsageError(`unknown command "${name}" (try: memo --help, or memo exec ${name} ...)`);
  let values: Record<string, string | boolean | undefined>;
  let args: string[] = [];
  try {
    values = parseArgs({ args: [...head], options: GLOBAL_OPTIONS, allowPositionals: false, strict: true }).values;
    if (command && command.name !== "exec") {
      const rest = parseArgs({
        args: argv.slice(i + 1),
        options: { ...GLOBAL_OPTIONS, ...command.options },
        allowPositionals: true,
        strict: true,
      });
      values = { ...values, ...rest.values };
      args = rest.positionals;
    } else if (command) args = argv.slice(i + 1);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (command && !values.help && (args.length < command.arity[0] || args.length > command.arity[1])) {
    throw new UsageError(`usage: memo ${command.usage}`);
  }
  const protocol = (values.protocol ?? "grpc") as Protocol;
  if (!PROTOCOLS.includes(protocol)) throw new UsageError(`--protocol must be one of ${PROTOCOLS.join(", ")}`);
  const httpVersion = values["http-version"] as "1.1" | "2" | undefined;
  if (httpVersion !== undefined && httpVersion !== "1.1" && httpVersion !== "2")
    throw new UsageError('--http-version must be "1.1" or "2"');
  if (values.json && values.raw) throw new UsageError("--json and --raw are mutually exclusive");
  return {
    url: (values.url as string | undefined) ?? env.MEMORABILIA_URL ?? "http://127.0.0.1:7379",
    protocol,
    httpVersion,
    token: (values.token as string | undefined) ?? env.MEMORABILIA_TOKEN,
    mode: values.json ? "json" : values.raw ? "raw" : "pretty",
    help: values.help === true,
    command,
    args,
    options: values,
  };
}
