import type { CommandSpec } from "./command.js";

/** The hash commands. PLACEHOLDER: being written. */
export const hashCommands: CommandSpec[] = [];
