import type { CommandSpec } from "./command.js";

/** The keys commands. PLACEHOLDER: being written. */
export const keyCommands: CommandSpec[] = [];
