import type { CommandSpec } from "./command.js";

/**
 * The command table as seen by commands that describe it (COMMAND). commands.ts registers
 * ALL_COMMANDS here once it is built; t-server.ts reads it at run time. This keeps t-server.ts from
 * importing commands.ts, which imports t-server.ts: a module cycle that breaks whenever t-server.ts
 * happens to be loaded first.
 */
let registered: readonly CommandSpec[] = [];
let byName: Map<string, CommandSpec> | undefined;

/** Registers the full command table (called by commands.ts). */
export function registerCommandTable(specs: readonly CommandSpec[]): void {
  registered = specs;
  byName = undefined;
}

/** Every registered command, in table order. */
export function registeredCommands(): readonly CommandSpec[] {
  return registered;
}

/** The registered command named `name` (any case), or undefined. */
export function findRegisteredCommand(name: string): CommandSpec | undefined {
  if (byName === undefined) {
    byName = new Map();
    for (const spec of registered) byName.set(spec.name.toLowerCase(), spec);
  }
  return byName.get(name.toLowerCase());
}
