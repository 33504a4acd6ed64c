/**
 * Who may call, decided from the request's headers before its body is read (the request gate's
 * precheck, request-gate.ts): protected mode, and with tokens, authentication. What a caller may
 * do (roles, key patterns) is still decided by the auth interceptor and the store's admission
 * check as the call runs; this only turns away callers who may not call at all, so they never
 * make the server read, inflate or decode a body. The caller it authenticated is handed to the
 * auth interceptor through the call's context values (`kGateCaller`): the token is checked once.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { rpcRule } from "../shared/auth/index.js";
import type { CommandSpec } from "../shared/store/command.js";
import type { Login } from "./auth/login.js";
import { isLoopback, protectedModeError } from "./interceptors.js";
import type { RequestGateOptions } from "./request-gate.js";

/** What the precheck needs. */
export interface CallerPrecheckOptions {
  /** Protected mode is on and no token is configured. */
  readonly protectedMode: boolean;
  /** The server's Login when tokens are configured (failures counted, logged and throttled there). */
  readonly login: Login | undefined;
  /** The store's command table (the policy classifies the typed data RPCs by it). */
  readonly commands: ReadonlyMap<string, CommandSpec>;
}

/** The precheck for this configuration, or undefined when every caller may call. */
export function callerPrecheck(options: CallerPrecheckOptions): RequestGateOptions["precheck"] {
  const { login, commands } = options;
  if (login === undefined)
    return options.protectedMode
      ? (_m, _h, address) => (isLoopback(address) ? undefined : protectedModeError())
      : undefined;
  return (method: DescMethod, header, address) => {
    if (rpcRule(method.parent.typeName, method.name, commands)?.kind === "public") return undefined;
    try {
      return {
        caller: login.authenticate(header("authorization"), address, `${method.parent.typeName}/${method.name}`),
      };
    } catch (error) {
      return ConnectError.from(error);
    }
  };
}
