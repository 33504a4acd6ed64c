import type { CommandSpec } from "./command.js";

/** The zset commands. PLACEHOLDER: being written. */
export const zsetCommands: CommandSpec[] = [];
