import type { CommandSpec } from "./command.js";

/** The server commands. PLACEHOLDER: being written. */
export const serverCommands: CommandSpec[] = [];
