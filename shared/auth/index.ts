/**
 * The one authorization policy of every host (Node server, edge handlers, RESP port): roles,
 * what each RPC and each command needs, deny by default.
 */
export { type AheadAccess, argvAccess, requestAccess } from "./ahead.js";
export { authorize, authorizeCommand, type RpcCheck, rpcDenial } from "./authorize.js";
export {
  type Access,
  type Caller,
  createCaller,
  keyAllowed,
  maxAccess,
  patternCovered,
  ROLES,
  type Role,
  roleAtLeast,
  roleFor,
  roleMay,
} from "./caller.js";
export { commandAccess, FLAGLESS_COMMANDS, PROTOCOL_COMMANDS, protocolCommandAccess } from "./command-access.js";
export { DATA_SERVICES, RPC_RULES, type RpcRule, rpcRule } from "./rpc-rules.js";
