import { expect, type Page, type Request, type Route } from "playwright/test";

/** The console's calls to one RPC method, tracked from creation, which a test can hold. */
export interface CallTracker {
  /**
   * Holds every call to the method from now on (the console keeps showing what it read before),
   * then waits until no call made BEFORE the hold is still in flight: such a call could reach the
   * server after the test's next write and refresh the view behind the hold's back (the edits.spec
   * flake: a re-read started by Discard, sent just before the hold, answered after the LPOP).
   */
  hold(): Promise<void>;
  /** Calls held so far. */
  held(): number;
  /** Ends the hold and lets the held calls go. */
  release(): Promise<void>;
}

/**
 * Tracks the console's calls to `method` (e.g. `LRange`) from now on: create it before the
 * console opens, so every call is seen from its start.
 */
export function trackCalls(page: Page, method: string): CallTracker {
  const suffix = `/${method}`;
  const inFlight = new Set<Request>();
  const held: Route[] = [];
  const heldRequests = new Set<Request>();
  const done = (r: Request) => inFlight.delete(r);
  page.on("request", (r) => {
    if (r.url().endsWith(suffix)) inFlight.add(r);
  });
  page.on("requestfinished", done);
  page.on("requestfailed", done);
  const handler = (route: Route) => {
    held.push(route);
    heldRequests.add(route.request());
  };
  return {
    async hold() {
      await page.route(`**${suffix}`, handler);
      await expect
        .poll(() => [...inFlight].filter((r) => !heldRequests.has(r)).map((r) => r.url()), {
          message: `calls to ${method} made before the hold are still in flight`,
          timeout: 30_000,
        })
        .toEqual([]);
    },
    held: () => held.length,
    async release() {
      await page.unroute(`**${suffix}`, handler);
      for (const route of held.splice(0)) await route.continue().catch(() => {}); // unroute may have let it go
    },
  };
}
