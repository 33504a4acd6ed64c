import type { CommandSpec } from "./command.js";

/** The list commands. PLACEHOLDER: being written. */
export const listCommands: CommandSpec[] = [];
