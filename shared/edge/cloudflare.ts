/**
 * Cloudflare Workers adapter.
 *
 * Why a Durable Object: a Worker runs in many isolates that share no memory, so a store in a
 * Worker's module scope would be a different, partial store per isolate (and lost whenever the
 * isolate is recycled). The honest design is ONE Durable Object instance that holds the store in
 * its memory; the Worker only forwards every request to it. Durable Object alarms drive the
 * active-expiry sweep (Workers reject timers at module scope, and croner's timers would not wake
 * an idle object). The store lives in the object's memory: when Cloudflare evicts the object,
 * the data goes with it, as with a Redis without persistence.
 *
 * @example
 * ```ts
 * // worker.ts
 * export { MemorabiliaObject } from "memorabilia/edge/cloudflare";
 * export { memorabiliaWorker as default } from "memorabilia/edge/cloudflare";
 * ```
 * with a `MEMORABILIA` Durable Object binding to `MemorabiliaObject` (see docs/RUNTIMES.md).
 */
import { createEdgeApp, type EdgeApp } from "./edge-app.js";
import { type EdgeEnv, optionsFromEnv } from "./env-config.js";

/** The slice of `DurableObjectState` used here. */
export interface DurableObjectStateLike {
  readonly storage: {
    setAlarm(scheduledTimeMs: number): Promise<void>;
    getAlarm(): Promise<number | null>;
  };
}

/** The slice of a Durable Object namespace binding used here. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

/** The Worker's bindings: the object namespace plus the edge variables. */
export interface MemorabiliaWorkerEnv extends EdgeEnv {
  /** The Durable Object namespace bound to {@link MemorabiliaObject}. */
  readonly MEMORABILIA: DurableObjectNamespaceLike;
  /** Milliseconds between sweep alarms while keys have a TTL. @default "1000" */
  readonly MEMORABILIA_SWEEP_INTERVAL_MS?: string;
}

/** The name of the single object every request goes to. */
export const STORE_OBJECT_NAME = "memorabilia";

/** The Durable Object holding the store: serves the API and sweeps on alarms. */
export class MemorabiliaObject {
  /** The app (and its store) this object serves. */
  readonly app: EdgeApp;
  private readonly state: DurableObjectStateLike;
  private readonly intervalMs: number;
  private alarmArmed = false;

  constructor(state: DurableObjectStateLike, env: MemorabiliaWorkerEnv) {
    this.state = state;
    this.app = this.createApp(env);
    const interval = Number(env.MEMORABILIA_SWEEP_INTERVAL_MS ?? "1000");
    this.intervalMs = Number.isFinite(interval) && interval >= 100 ? interval : 1000;
  }

  /** Builds the app from the bindings (a subclass may serve a store of its own). */
  protected createApp(env: MemorabiliaWorkerEnv): EdgeApp {
    return createEdgeApp(optionsFromEnv(env));
  }

  /** Serves one request, then arms the sweep alarm if keys with a TTL are waiting. */
  async fetch(request: Request): Promise<Response> {
    const response = await this.app.fetch(request);
    await this.armAlarm();
    return response;
  }

  /** One sweep cycle; re-arms while keys with a TTL remain (an idle store costs no alarms). */
  async alarm(): Promise<void> {
    this.alarmArmed = false;
    await this.app.sweep();
    await this.armAlarm();
  }

  private async armAlarm(): Promise<void> {
    if (this.alarmArmed || this.app.store.stats().keysWithTtl === 0) return;
    this.alarmArmed = true;
    if ((await this.state.storage.getAlarm()) === null) {
      await this.state.storage.setAlarm(this.app.store.clock.now() + this.intervalMs);
    }
  }
}

/** The Worker entry: forwards every request to the one {@link MemorabiliaObject}. */
export const memorabiliaWorker = {
  fetch(request: Request, env: MemorabiliaWorkerEnv): Promise<Response> {
    const stub = env.MEMORABILIA.get(env.MEMORABILIA.idFromName(STORE_OBJECT_NAME));
    return stub.fetch(request);
  },
};
