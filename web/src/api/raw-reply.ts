import type { Reply } from "../../../shared/gen/memorabilia/v1/command_service_pb.js";
import type { Clients } from "./clients.js";

/**
 * Raw commands for the views whose commands have no typed RPC (XINFO, XPENDING's extended form,
 * XCLAIM, BITCOUNT, PFCOUNT, …): `CommandService.Execute` and readers of its typed `Reply`.
 */

const encoder = new TextEncoder();

/** Runs a command (strings as UTF-8, bytes as they are) and returns its reply. */
export async function execute(clients: Clients, ...args: readonly (string | Uint8Array)[]): Promise<Reply | undefined> {
  const res = await clients.command.execute({ args: args.map((a) => (typeof a === "string" ? encoder.encode(a) : a)) });
  return res.reply;
}

/** The elements of an array reply (none for nil or any other kind). */
export const elementsOf = (reply: Reply | undefined): readonly Reply[] =>
  reply?.kind.case === "array" ? reply.kind.value.elements : [];

/** An integer reply's value (a bulk/status holding digits too), or null. */
export function integerOf(reply: Reply | undefined): number | null {
  switch (reply?.kind.case) {
    case "integer":
      return Number(reply.kind.value);
    case "double":
      return reply.kind.value;
    case "bulk":
    case "status": {
      const t = typeof reply.kind.value === "string" ? reply.kind.value : new TextDecoder().decode(reply.kind.value);
      const n = Number(t);
      return t !== "" && Number.isFinite(n) ? n : null;
    }
    default:
      return null;
  }
}

/** A bulk reply's bytes (a status as UTF-8), or null (nil, arrays). */
export function bytesOf(reply: Reply | undefined): Uint8Array | null {
  if (reply?.kind.case === "bulk") return reply.kind.value;
  if (reply?.kind.case === "status") return encoder.encode(reply.kind.value);
  return null;
}

/** A bulk or status reply as text (UTF-8; IDs and names known to be text), or null. */
export function textOf(reply: Reply | undefined): string | null {
  const b = bytesOf(reply);
  return b === null ? null : new TextDecoder().decode(b);
}

/**
 * A RESP2 map (a flat array `name, value, name, value, …`, as XINFO replies) by name. Names are
 * read as text (they are the command's own field names).
 */
export function mapOf(reply: Reply | undefined): Map<string, Reply> {
  const out = new Map<string, Reply>();
  const els = elementsOf(reply);
  for (let i = 0; i + 1 < els.length; i += 2) out.set(textOf(els[i]) ?? "", els[i + 1] as Reply);
  return out;
}
