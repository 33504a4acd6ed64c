/**
 * What an edge request needs, judged ahead: the edge's store has no per-call context, so the
 * commands a request carries are judged before it runs, by the one policy of shared/auth (the
 * Node server checks the same rules command by command as they run).
 */

export { type AheadAccess, argvAccess, requestAccess as rpcAccess } from "../auth/ahead.js";
export { type Access, maxAccess } from "../auth/caller.js";
export { commandAccess } from "../auth/command-access.js";
