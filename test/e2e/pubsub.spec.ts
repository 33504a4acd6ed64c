import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { expect, test } from "playwright/test";
import { PubSubService } from "../../shared/gen/memorabilia/v1/pubsub_service_pb.js";
import { openConsole, prefix, serverUrl } from "./support.js";

/** The Pub/Sub view: active channels with their subscribers, a live subscription, Publish. */
test("Pub/Sub: channels and subscribers, messages by pattern live, publish to another client", async ({ page }) => {
  const p = prefix("ps").replace(/:/g, ".");
  const pubsub = createClient(PubSubService, createGrpcTransport({ baseUrl: serverUrl() }));
  const abort = new AbortController();
  const received: string[] = [];
  let subscribed!: () => void;
  const ready = new Promise<void>((r) => {
    subscribed = r;
  });
  const listening = (async () => {
    try {
      for await (const m of pubsub.subscribe({ channels: [`${p}news`] }, { signal: abort.signal })) {
        if (m.kind.case === "subscribed") subscribed();
        if (m.kind.case === "message") received.push(new TextDecoder().decode(m.kind.value.message));
      }
    } catch {}
  })();
  try {
    await ready;
    await openConsole(page);
    await page.getByRole("button", { name: "Pub/Sub" }).click();
    const panel = page.getByRole("region", { name: "Pub/Sub" });
    // Another client's subscription is listed with its count.
    await expect(panel.getByRole("row", { name: new RegExp(`${p.replace(/\./g, "\\.")}news 1`) })).toBeVisible();

    // Subscribe by pattern; another client publishes; the message shows live.
    await panel.getByRole("textbox", { name: "Channels or patterns" }).fill(`${p}orders.*`);
    await panel.getByRole("button", { name: "Subscribe" }).click();
    await expect(panel.getByRole("status")).toContainText(`Subscribed to ${p}orders.*`);
    await expect
      .poll(
        async () =>
          (await pubsub.publish({ channel: `${p}orders.1`, message: new TextEncoder().encode("order one") })).receivers,
        {
          timeout: 10_000,
        },
      )
      .toBe(1n);
    await expect(panel.getByRole("log", { name: "Messages" })).toContainText(`${p}orders.1 (${p}orders.*) order one`);

    // Publish from the console: the other client receives it.
    await panel.getByRole("textbox", { name: "Channel", exact: true }).fill(`${p}news`);
    await panel.getByRole("textbox", { name: "Message" }).fill("hello from the console");
    await panel.getByRole("button", { name: "Publish" }).click();
    await expect(page.locator(".toast").last()).toHaveText(/1 receivers/);
    await expect.poll(() => received).toEqual(["hello from the console"]);
  } finally {
    abort.abort();
    await listening;
  }
});
