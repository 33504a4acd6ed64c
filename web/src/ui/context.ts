import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Clients } from "../api/clients.js";

/** What every view of the console needs. */
export interface ConsoleContext {
  readonly clients: Clients;
  /** True for a read-only session: every write control is hidden or disabled. */
  readonly readOnly: boolean;
  /** Shows a short message (role=status) or an error (role=alert). */
  readonly notify: (message: string, kind?: "info" | "error") => void;
}

/** The console's context. */
export const Ctx = createContext<ConsoleContext | null>(null);

/** The console's context, inside the app. */
export function useConsole(): ConsoleContext {
  const ctx = useContext(Ctx);
  if (!ctx) throw new Error("useConsole outside the app");
  return ctx;
}

/** The message of an RPC error, without the `[code]` prefix connect adds. */
export function errorText(error: unknown): string {
  const e = error as { rawMessage?: string; message?: string };
  return e.rawMessage || e.message || String(error);
}
