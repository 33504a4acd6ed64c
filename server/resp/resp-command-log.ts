/**
 * SLOWLOG and MONITOR on the RESP port, over the store's command log (shared/store/command-log.ts),
 * with Redis 7's replies, errors and MONITOR line format.
 */
import type { Bytes } from "../../shared/store/bytes.js";
import type { MonitorEvent } from "../../shared/store/command-log.js";
import { StoreError } from "../../shared/store/errors.js";
import { OK } from "../../shared/store/reply.js";
import { helpReply, unknownSubcommand } from "../../shared/store/subcommands.js";
import type { RespConnection } from "./resp-connection.js";
import type { RespValue } from "./resp-encode.js";
import type { RespHost } from "./resp-host.js";

const SLOWLOG_HELP = [
  "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET [<count>]",
  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
  "    Entries are made of:",
  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
  "    client name",
  "LEN",
  "    Return the length of the slowlog.",
  "RESET",
  "    Reset the slowlog.",
  "HELP",
  "    Prints this help.",
];

const COUNT_ERROR = "ERR count should be greater than or equal to -1";

/** SLOWLOG GET [count] | LEN | RESET | HELP. */
export function slowlog(_conn: RespConnection, argv: readonly Bytes[], host: RespHost): RespValue {
  const sub = (argv[1] as Bytes).toUpperCase();
  const n = argv.length;
  const log = host.store.commandLog;
  const exactly = (want: number): void => {
    if (n !== want)
      throw new StoreError("WRONG_ARITY", `ERR wrong number of arguments for 'slowlog|${sub.toLowerCase()}' command`);
  };
  switch (sub) {
    case "GET": {
      if (n > 3)
        throw new StoreError(
          "ERR",
          `ERR unknown subcommand or wrong number of arguments for '${(argv[1] as Bytes).slice(0, 128)}'. Try SLOWLOG HELP.`,
        );
      let count = 10;
      if (n === 3) {
        const text = argv[2] as Bytes;
        if (!/^-?\d{1,18}$/.test(text)) throw new StoreError("ERR", COUNT_ERROR);
        count = Number(text);
        if (count < -1) throw new StoreError("ERR", COUNT_ERROR);
      }
      return log.get(count).map((e) => [e.id, e.atSeconds, e.durationUs, e.args.slice(), e.client.addr, e.client.name]);
    }
    case "LEN":
      exactly(2);
      return log.length;
    case "RESET":
      exactly(2);
      log.reset();
      return OK;
    case "HELP":
      exactly(2);
      return helpReply(SLOWLOG_HELP);
    default:
      throw unknownSubcommand(argv[1] as Bytes, "SLOWLOG");
  }
}

/** MONITOR: from now on every command of every client is sent as a status line (until RESET or close). */
export function monitor(conn: RespConnection, _argv: readonly Bytes[], host: RespHost): RespValue | undefined {
  if (conn.monitorDetach !== undefined) return undefined; // already a monitor: no reply, as Redis
  conn.monitorDetach = host.store.commandLog.monitor((event) => conn.pushStatus(monitorLine(event)));
  return OK;
}

/** Redis's `sdscatrepr` quoting: printable ASCII as is, `\\ \" \n \r \t \a \b`, the rest `\xHH`. */
export function reprQuote(bytes: Bytes): string {
  let out = '"';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    switch (c) {
      case 0x5c:
        out += "\\\\";
        break;
      case 0x22:
        out += '\\"';
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x07:
        out += "\\a";
        break;
      case 0x08:
        out += "\\b";
        break;
      default:
        out += c >= 0x20 && c <= 0x7e ? bytes[i] : `\\x${c.toString(16).padStart(2, "0")}`;
    }
  }
  return `${out}"`;
}

/** A MONITOR line without its `+`: `1339518083.107412 [0 127.0.0.1:60866] "keys" "*"`. */
export function monitorLine(event: MonitorEvent): string {
  const seconds = Math.floor(event.atUs / 1e6);
  const micros = String(event.atUs - seconds * 1e6).padStart(6, "0");
  let line = `${seconds}.${micros} [0 ${event.client.addr}]`;
  for (const a of event.args) line += ` ${reprQuote(a)}`;
  return line;
}
