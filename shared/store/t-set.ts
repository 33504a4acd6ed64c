import type { CommandSpec } from "./command.js";

/** The set commands. PLACEHOLDER: being written. */
export const setCommands: CommandSpec[] = [];
