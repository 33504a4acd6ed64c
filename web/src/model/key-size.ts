import { KeyType } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import type { Clients } from "../api/clients.js";
import { utf8 } from "./bytes.js";

/** The command that reads a key's size, per type. */
export const SIZE_COMMANDS = new Map<KeyType, string>([
  [KeyType.STRING, "STRLEN"],
  [KeyType.LIST, "LLEN"],
  [KeyType.HASH, "HLEN"],
  [KeyType.SET, "SCARD"],
  [KeyType.ZSET, "ZCARD"],
  [KeyType.STREAM, "XLEN"],
]);

/** A key's size (bytes of a string, elements of a container) in one call; -1 for other types. */
export async function readSize(clients: Clients, key: string, type: KeyType): Promise<number> {
  const command = SIZE_COMMANDS.get(type);
  if (!command) return -1;
  const res = await clients.command.execute({ args: [utf8(command), utf8(key)] });
  return res.reply?.kind.case === "integer" ? Number(res.reply.kind.value) : -1;
}
