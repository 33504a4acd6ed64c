import type { CommandInfo, CommandSpec } from "./command.js";
import { registerCommandTable } from "./command-registry.js";
import { bitmapCommands } from "./t-bitmap.js";
import { geoCommands } from "./t-geo.js";
import { hashCommands } from "./t-hash.js";
import { hllCommands } from "./t-hll.js";
import { keyCommands } from "./t-keys.js";
import { listCommands } from "./t-list.js";
import { blockingListCommands } from "./t-list-blocking.js";
import { serverCommands } from "./t-server.js";
import { setCommands } from "./t-set.js";
import { sortCommands } from "./t-sort.js";
import { streamCommands } from "./t-stream.js";
import { streamGroupCommands } from "./t-stream-group.js";
import { streamInfoCommands } from "./t-stream-info.js";
import { streamReadCommands } from "./t-stream-read.js";
import { stringCommands } from "./t-string.js";
import { zsetCommands } from "./t-zset.js";
import { zsetPopCommands } from "./t-zset-pop.js";

/** Every command, in table order (generic, string, list, hash, set, sorted set, stream, server). */
export const ALL_COMMANDS: readonly CommandSpec[] = [
  ...keyCommands,
  ...stringCommands,
  ...listCommands,
  ...blockingListCommands,
  ...hashCommands,
  ...setCommands,
  ...zsetCommands,
  ...zsetPopCommands,
  ...streamCommands,
  ...streamReadCommands,
  ...streamGroupCommands,
  ...streamInfoCommands,
  ...bitmapCommands,
  ...hllCommands,
  ...sortCommands,
  ...geoCommands,
  ...serverCommands,
];

// COMMAND (t-server.ts) reads the table from the registry, so it need not import this module.
registerCommandTable(ALL_COMMANDS);

/** Lookup by name, both upper and lower case (other casings are lower-cased first). */
export function createCommandTable(specs: readonly CommandSpec[] = ALL_COMMANDS): Map<string, CommandSpec> {
  const table = new Map<string, CommandSpec>();
  for (const spec of specs) {
    if (table.has(spec.name)) throw new Error(`duplicate command ${spec.name}`);
    table.set(spec.name, spec);
    table.set(spec.name.toLowerCase(), spec);
  }
  return table;
}

/** The command table as plain data (no handlers): for docs, the API and the console's completion. */
export function commandInfos(specs: readonly CommandSpec[] = ALL_COMMANDS): CommandInfo[] {
  return specs.map(({ name, arity, flags, firstKey, lastKey, step, group, complexity, summary, syntax }) => ({
    name,
    arity,
    flags,
    firstKey,
    lastKey,
    step,
    group,
    complexity,
    summary,
    syntax,
  }));
}
