import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { describe, expect, it } from "vitest";
import { StringsService } from "../gen/memorabilia/v1/strings_service_pb.js";
import { createTestStore } from "../store/testing.js";
import {
  type DurableObjectNamespaceLike,
  type DurableObjectStateLike,
  MemorabiliaObject,
  type MemorabiliaWorkerEnv,
  memorabiliaWorker,
  STORE_OBJECT_NAME,
} from "./cloudflare.js";
import { createEdgeApp, type EdgeApp } from "./edge-app.js";

/** A Durable Object state whose storage records the alarm, as workerd's does. */
function fakeState() {
  let alarm: number | null = null;
  const set: number[] = [];
  const state: DurableObjectStateLike = {
    storage: {
      async setAlarm(at) {
        alarm = at;
        set.push(at);
      },
      async getAlarm() {
        return alarm;
      },
    },
  };
  return { state, set, fire: () => (alarm = null) };
}

const t = createTestStore();
/** The object over a test store (manual clock). */
class TestObject extends MemorabiliaObject {
  protected override createApp(): EdgeApp {
    return createEdgeApp({ store: t.store });
  }
}

const env = { MEMORABILIA: {} as DurableObjectNamespaceLike, MEMORABILIA_SWEEP_INTERVAL_MS: "500" };

describe("MemorabiliaObject", () => {
  it("serves the API, arms an alarm only once keys have a TTL, and sweeps on it", async () => {
    const fake = fakeState();
    const object = new TestObject(fake.state, env as MemorabiliaWorkerEnv);
    const strings = createClient(
      StringsService,
      createConnectTransport({ baseUrl: "http://do", fetch: (i, init) => object.fetch(new Request(i, init)) }),
    );
    await strings.set({ key: "plain", value: new Uint8Array([1]) });
    expect(fake.set).toEqual([]); // an idle store costs no alarms

    const now = t.clock.now();
    await strings.set({ key: "soon", value: new Uint8Array([1]), expiry: { case: "ttlMs", value: 100n } });
    await strings.set({ key: "later", value: new Uint8Array([1]), expiry: { case: "ttlMs", value: 10_000n } });
    expect(fake.set).toEqual([now + 500]); // one alarm, not one per request

    t.clock.advance(200);
    fake.fire();
    await object.alarm();
    expect(t.store.stats().expiredKeys).toBe(1);
    expect(t.store.stats().keysWithTtl).toBe(1);
    expect(fake.set).toEqual([now + 500, now + 200 + 500]); // re-armed: "later" is still waiting

    t.clock.advance(10_000);
    fake.fire();
    await object.alarm();
    expect(t.store.stats().keysWithTtl).toBe(0);
    expect(fake.set.length).toBe(2); // nothing left to expire: no new alarm
  });

  it("builds its app from the bindings by default", () => {
    const object = new MemorabiliaObject(fakeState().state, {
      ...env,
      MEMORABILIA_TOKENS: "ci:readonly:abc",
    } as MemorabiliaWorkerEnv);
    expect(object.app.procedures).toContain("/memorabilia.v1.AuthService/WhoAmI");
  });
});

describe("memorabiliaWorker", () => {
  it("forwards every request to the one named object", async () => {
    const asked: string[] = [];
    const namespace: DurableObjectNamespaceLike = {
      idFromName: (name) => {
        asked.push(name);
        return `id:${name}`;
      },
      get: (id) => ({ fetch: async () => new Response(String(id)) }),
    };
    const res = await memorabiliaWorker.fetch(new Request("http://w/x"), { MEMORABILIA: namespace });
    expect(await res.text()).toBe(`id:${STORE_OBJECT_NAME}`);
    expect(asked).toEqual([STORE_OBJECT_NAME]);
  });
});
