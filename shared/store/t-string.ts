import type { CommandSpec } from "./command.js";

/** The string commands. PLACEHOLDER: being written. */
export const stringCommands: CommandSpec[] = [];
