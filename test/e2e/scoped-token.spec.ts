import { expect, test } from "playwright/test";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { filterKeys, nodeClient, row } from "./support.js";

const ADMIN = "adm1n-scoped-e2e";
const SCOPED = "sc0ped-secret-e2e";

let server: ServerProcess;
test.beforeAll(async () => {
  server = await startServerProcess(["--token", `admin:admin:${ADMIN}`, "--token", `app:readwrite:${SCOPED}:app:*`]);
});
test.afterAll(async () => {
  await server?.stop();
});

test("a token limited to app:* works: its keys listed and live, no error, no sign-in loop", async ({ page }) => {
  const { createGrpcTransport } = await import("@connectrpc/connect-node");
  const { createClient } = await import("@connectrpc/connect");
  const { CommandService } = await import("../../shared/gen/memorabilia/v1/command_service_pb.js");
  const enc = new TextEncoder();
  const admin = createClient(
    CommandService,
    createGrpcTransport({
      baseUrl: server.url,
      interceptors: [
        (next) => (req) => {
          req.header.set("Authorization", `Bearer ${ADMIN}`);
          return next(req);
        },
      ],
    }),
  );
  const run = (...args: string[]) => admin.execute({ args: args.map((a) => enc.encode(a)) });
  await run("SET", "app:1", "one");
  await run("SET", "app:2", "two");
  await run("SET", "other:1", "secret");
  void nodeClient; // (the suite's own server is not this one)

  await page.goto(server.url);
  const login = page.getByRole("dialog", { name: "Sign in" });
  await login.getByLabel("Token").fill(SCOPED);
  await login.getByRole("button", { name: "Sign in" }).click();
  await expect(login).toHaveCount(0);
  await expect(page.getByRole("status", { name: "Connection" })).toHaveAttribute("data-state", "live");
  await expect(page.getByTestId("scope")).toContainText("app:*");
  await expect(row(page, "app:1")).toBeVisible();
  await expect(row(page, "app:2")).toBeVisible();
  await expect(row(page, "other:1")).toHaveCount(0);
  await expect(page.getByRole("alert")).toHaveCount(0);

  // Live: a key written by another client inside the scope appears.
  await run("SET", "app:3", "three");
  await expect(row(page, "app:3")).toBeVisible();

  // A filter inside the scope, and plain text (checked in the page against the scope's scan).
  await filterKeys(page, "2");
  await expect(row(page, "app:2")).toBeVisible();
  await expect(row(page, "app:1")).toHaveCount(0);
  await filterKeys(page, "other:*");
  await expect(page.getByTestId("list-empty")).toContainText("No key matches");
  await filterKeys(page, "");

  // Keys open and edit as usual.
  await row(page, "app:1").click();
  const value = page.getByRole("textbox", { name: "Value" });
  await expect(value).toHaveValue("one");
  await value.fill("uno");
  await page.getByRole("button", { name: "Save value" }).click();
  await expect(page.locator(".toast").last()).toHaveText("Saved");
  await expect(page.getByRole("alert")).toHaveCount(0);
  await expect(page.getByRole("dialog", { name: "Sign in" })).toHaveCount(0);
});
