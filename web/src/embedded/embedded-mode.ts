import type { Transport } from "@connectrpc/connect";
import { createEmbeddedTransport } from "../../../shared/edge/embedded.js";
import { createStore } from "../../../shared/store/store.js";
import { createClients } from "../api/clients.js";
import { idbGet, idbPut } from "./idb.js";
import { restoreSnapshot, type Snapshot, takeSnapshot } from "./snapshot.js";

const SNAPSHOT_KEY = "embedded-keyspace";
/** Quiet time after the last change before the keyspace is saved. */
const SAVE_DEBOUNCE_MS = 400;

/** The embedded mode: the whole service in the page, its keyspace kept in IndexedDB. */
export interface EmbeddedMode {
  readonly transport: Transport;
  /** Keys restored from IndexedDB at start. */
  readonly restored: number;
  /** Saves now (also runs by itself, debounced, after every change). */
  save(): Promise<void>;
}

/**
 * Starts a store inside the page (active expiry on), restores the last saved keyspace from
 * IndexedDB, and saves it again a moment after each burst of keyspace events.
 */
export async function startEmbeddedMode(options: { persist: boolean }): Promise<EmbeddedMode> {
  const store = createStore();
  store.start();
  const transport = createEmbeddedTransport(store);
  const clients = createClients(transport);
  let restored = 0;
  let restoring = false;
  if (options.persist) {
    const snapshot = await idbGet<Snapshot>(SNAPSHOT_KEY).catch(() => undefined);
    if (snapshot?.version === 1) {
      restoring = true;
      restored = await restoreSnapshot(clients, snapshot);
      restoring = false;
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    clearTimeout(timer);
    saving = saving.then(async () => idbPut(SNAPSHOT_KEY, await takeSnapshot(clients))).catch(() => {});
    return saving;
  };
  if (options.persist) {
    store.events.subscribe({}, () => {
      if (restoring) return;
      clearTimeout(timer);
      timer = setTimeout(save, SAVE_DEBOUNCE_MS);
    });
    addEventListener("pagehide", () => void save());
  }
  return { transport, restored, save };
}
