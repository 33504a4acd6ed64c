/**
 * CommandService: raw commands (an argument vector in, a typed reply tree out) for the console's
 * command bar and the CLI, and the command table as data.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { CommandGroup, CommandService } from "../gen/memorabilia/v1/command_service_pb.js";
import type { CommandSpec, CommandGroup as StoreCommandGroup } from "../store/command.js";
import { argvFromArrays } from "../store/command-names.js";
import type { Store } from "../store/store.js";
import { token } from "./args.js";
import { checkSignal, invoke } from "./invoke.js";
import { preEncodedExecuteResponse } from "./reply-encoding.js";
import { replyMessage } from "./reply-message.js";
import { guarded, type ServiceOptions } from "./service-options.js";
import { isBinaryCall } from "./wire-format.js";

/** The API enum for each of the store's command groups. */
const GROUPS: Readonly<Record<StoreCommandGroup, CommandGroup>> = {
  generic: CommandGroup.GENERIC,
  string: CommandGroup.STRING,
  list: CommandGroup.LIST,
  hash: CommandGroup.HASH,
  set: CommandGroup.SET,
  "sorted-set": CommandGroup.SORTED_SET,
  stream: CommandGroup.STREAM,
  transactions: CommandGroup.TRANSACTIONS,
  server: CommandGroup.SERVER,
  bitmap: CommandGroup.BITMAP,
  hyperloglog: CommandGroup.HYPERLOGLOG,
  geo: CommandGroup.GEO,
};

/** Request filter values that are valid (every known group). */
const GROUP_FILTERS: Partial<Record<CommandGroup, string>> = Object.fromEntries(
  Object.entries(GROUPS).map(([name, value]) => [value, name]),
);

/** The store's commands, each once, in table order (the table holds each under two casings). */
function uniqueSpecs(store: Store): CommandSpec[] {
  return [...new Set(store.commands.values())];
}

/** Creates the CommandService implementation over `store`. */
export function createCommandService(store: Store, options: ServiceOptions = {}): ServiceImpl<typeof CommandService> {
  return guarded(
    CommandService,
    {
      async execute(req, ctx) {
        const reply = await invoke(store, argvFromArrays(req.args), ctx);
        // Binary protocols get the reply's bytes written straight from the store's (no message
        // tree: for 100,000 elements that is most of the time the call blocks the server).
        return isBinaryCall(ctx.requestHeader) ? preEncodedExecuteResponse(reply) : { reply: replyMessage(reply) };
      },
      async listCommands(req, ctx) {
        checkSignal(ctx);
        if (req.group !== CommandGroup.UNSPECIFIED) token(req.group, GROUP_FILTERS, "group");
        const commands = uniqueSpecs(store)
          .map((spec) => ({ spec, group: GROUPS[spec.group] ?? CommandGroup.UNSPECIFIED }))
          .filter(({ group }) => req.group === CommandGroup.UNSPECIFIED || group === req.group)
          .map(({ spec, group }) => ({
            name: spec.name,
            arity: spec.arity,
            flags: [...spec.flags],
            firstKey: spec.firstKey,
            lastKey: spec.lastKey,
            step: spec.step,
            group,
            complexity: spec.complexity,
            summary: spec.summary,
            syntax: spec.syntax,
          }));
        return { commands };
      },
    },
    options,
  );
}
