import { expect, test } from "playwright/test";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { row, screenshot } from "./support.js";

const ADMIN = "adm1n-secret-e2e";
const VIEWER = "v1ewer-secret-e2e";

let server: ServerProcess;
test.beforeAll(async () => {
  server = await startServerProcess(["--token", `admin:admin:${ADMIN}`, "--token", `viewer:readonly:${VIEWER}`]);
});
test.afterAll(async () => {
  await server?.stop();
});

test("with auth on, the console asks for a token; a read-only token hides every write", async ({ page }) => {
  const enc = new TextEncoder();
  const { createClient } = await import("@connectrpc/connect");
  const { createGrpcTransport } = await import("@connectrpc/connect-node");
  const { CommandService } = await import("../../shared/gen/memorabilia/v1/command_service_pb.js");
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
  await admin.execute({ args: ["RPUSH", "ro:list", "a", "b"].map((a) => enc.encode(a)) });

  await page.goto(server.url);
  const login = page.getByRole("dialog", { name: "Sign in" });
  await expect(login).toBeVisible();
  // Nothing to write with behind the sign-in dialog.
  await expect(page.getByRole("button", { name: "+ New key" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Bulk delete…" })).toHaveCount(0);
  await screenshot(page, "login");
  await login.getByLabel("Token").fill("wrong-token");
  await login.getByRole("button", { name: "Sign in" }).click();
  await expect(login.getByRole("alert")).toBeVisible();
  await login.getByLabel("Token").fill(VIEWER);
  await login.getByRole("button", { name: "Sign in" }).click();
  await expect(login).toHaveCount(0);
  // The token is in sessionStorage, never in the URL.
  expect(page.url()).not.toContain(VIEWER);
  expect(await page.evaluate(() => sessionStorage.getItem("memorabilia.token"))).toBe(VIEWER);
  await expect(page.getByRole("status", { name: "Connection" })).toHaveAttribute("data-state", "live");
  await expect(page.locator("[data-role]")).toHaveText(/viewer · read-only/);

  await expect(page.getByRole("button", { name: "+ New key" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Bulk delete…" })).toHaveCount(0);
  await row(page, "ro:list").click();
  const table = page.getByRole("region", { name: /elements$/ });
  await expect(table.locator("tbody tr")).toHaveCount(2);
  await expect(page.getByRole("button", { name: /Delete key|Set TTL|Rename|Edit|Remove|Add/ })).toHaveCount(0);
  const input = page.getByRole("combobox", { name: "Command" });
  await input.fill("LPU");
  await expect(page.getByRole("listbox", { name: "Commands" })).toHaveCount(0);
  await input.fill("LPUSH ro:list c");
  await input.press("Enter");
  await expect(page.getByRole("log", { name: "Command results" })).toContainText("read-only");
  await input.fill("LLEN ro:list");
  await input.press("Enter");
  await expect(page.getByRole("log", { name: "Command results" })).toContainText("(integer) 2");
  await screenshot(page, "read-only");

  // A reload keeps the session's token; signing out forgets it.
  await page.reload();
  await expect(page.locator("[data-role]")).toHaveText(/read-only/);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("dialog", { name: "Sign in" })).toBeVisible();
  expect(await page.evaluate(() => sessionStorage.getItem("memorabilia.token"))).toBeNull();
});

test("an admin token sees the write controls", async ({ page }) => {
  await page.goto(server.url);
  const login = page.getByRole("dialog", { name: "Sign in" });
  await login.getByLabel("Token").fill(ADMIN);
  await login.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("[data-role]")).toHaveText(/admin · admin/);
  await expect(page.getByRole("button", { name: "+ New key" })).toBeVisible();
});
