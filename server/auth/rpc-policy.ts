/**
 * What each RPC needs beyond a valid token. Services whose RPCs run store commands are checked per
 * command and per key by the store's admission hook (so CommandService.Execute, Batch, Exec and
 * Pipeline are checked command by command). Every other RPC must be listed here; an RPC of an
 * unlisted service is admin-only (closed world: a new service is never open by accident).
 */
import type { Role } from "./tokens.js";

/** What an RPC needs. */
export type RpcRule =
  /** Anyone, even without a token (health probes). */
  | { readonly kind: "public" }
  /** A valid token; the store commands the RPC runs are checked one by one. */
  | { readonly kind: "commands" }
  /** A valid token with at least this role. */
  | { readonly kind: "role"; readonly role: Role }
  /** A valid token whose key patterns cover the request's `pattern` field (WatchService.Watch). */
  | { readonly kind: "pattern"; readonly role: Role };

/** Services whose every RPC runs store commands (checked per command and key). */
const COMMAND_SERVICES = new Set([
  "memorabilia.v1.KeysService",
  "memorabilia.v1.StringsService",
  "memorabilia.v1.ListsService",
  "memorabilia.v1.HashesService",
  "memorabilia.v1.SetsService",
  "memorabilia.v1.SortedSetsService",
  "memorabilia.v1.CommandService",
  "memorabilia.v1.TransactionService",
]);

const RULES: Readonly<Record<string, RpcRule>> = {
  "grpc.health.v1.Health/Check": { kind: "public" },
  "grpc.health.v1.Health/Watch": { kind: "public" },
  "grpc.health.v1.Health/List": { kind: "public" },
  "grpc.reflection.v1.ServerReflection/ServerReflectionInfo": { kind: "role", role: "readonly" },
  "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": { kind: "role", role: "readonly" },
  "memorabilia.v1.AuthService/WhoAmI": { kind: "role", role: "readonly" },
  "memorabilia.v1.WatchService/Watch": { kind: "pattern", role: "readonly" },
  "memorabilia.v1.PubSubService/Publish": { kind: "role", role: "readwrite" },
  "memorabilia.v1.PubSubService/Subscribe": { kind: "role", role: "readonly" },
  "memorabilia.v1.PubSubService/Channels": { kind: "role", role: "readonly" },
  "memorabilia.v1.ServerService/Info": { kind: "role", role: "readonly" },
  "memorabilia.v1.ServerService/InfoStream": { kind: "role", role: "readonly" },
  "memorabilia.v1.ServerService/GetConfig": { kind: "role", role: "readonly" },
  "memorabilia.v1.ServerService/SetConfig": { kind: "role", role: "admin" },
};

/** The rule of `service/method`. */
export function rpcRule(service: string, method: string): RpcRule {
  const rule = RULES[`${service}/${method}`];
  if (rule !== undefined) return rule;
  if (COMMAND_SERVICES.has(service)) return { kind: "commands" };
  return { kind: "role", role: "admin" };
}

const RANK: Readonly<Record<Role, number>> = { readonly: 0, readwrite: 1, admin: 2 };

/** True when `role` is at least `needed`. */
export const roleAtLeast = (role: Role, needed: Role): boolean => RANK[role] >= RANK[needed];
