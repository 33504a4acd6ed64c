import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import {
  Health,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../gen/grpc/health/v1/health_pb.js";

export { ServingStatus };

/**
 * Serving status per service name, for `grpc.health.v1.Health`. The empty name is the whole
 * server. The host sets NOT_SERVING on every service when it starts to shut down, so load
 * balancers and `Watch` subscribers stop sending traffic before connections close.
 */
export class HealthState {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly listeners = new Set<() => void>();

  /** @param services fully-qualified service names reported as SERVING from the start */
  constructor(services: readonly string[] = []) {
    this.statuses.set("", ServingStatus.SERVING);
    for (const s of services) this.statuses.set(s, ServingStatus.SERVING);
  }

  /** The status of `service`, or undefined when unknown. */
  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** Sets the status of one service (and notifies watchers). */
  set(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const l of this.listeners) l();
  }

  /** Sets every known service to `status` (e.g. NOT_SERVING on shutdown). */
  setAll(status: ServingStatus): void {
    for (const k of this.statuses.keys()) this.statuses.set(k, status);
    for (const l of this.listeners) l();
  }

  /** Every service and its status. */
  entries(): [string, ServingStatus][] {
    return [...this.statuses];
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const response = (status: ServingStatus): HealthCheckResponse => create(HealthCheckResponseSchema, { status });

/**
 * Registers `grpc.health.v1.Health` (Check, Watch, List) on `router`, answering from `state`.
 * Check of an unknown service is NOT_FOUND; Watch of one streams SERVICE_UNKNOWN, as the spec says.
 */
export function registerHealthService(router: ConnectRouter, state: HealthState): void {
  router.service(Health, {
    check(req) {
      const status = state.get(req.service);
      if (status === undefined) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
      return response(status);
    },
    async *watch(req, ctx) {
      let last: ServingStatus | undefined;
      let wake: (() => void) | undefined;
      const off = state.onChange(() => wake?.());
      const onAbort = () => wake?.();
      ctx.signal.addEventListener("abort", onAbort);
      try {
        while (!ctx.signal.aborted) {
          const status = state.get(req.service) ?? ServingStatus.SERVICE_UNKNOWN;
          if (status !== last) {
            last = status;
            yield response(status);
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      } finally {
        off();
        ctx.signal.removeEventListener("abort", onAbort);
      }
    },
    list() {
      const statuses: Record<string, HealthCheckResponse> = {};
      for (const [name, status] of state.entries()) statuses[name] = response(status);
      return { statuses };
    },
  });
}
