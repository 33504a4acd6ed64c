import { mkdirSync } from "node:fs";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { expect, type Page } from "playwright/test";
import { CommandService, type Reply } from "../../shared/gen/memorabilia/v1/command_service_pb.js";
import { KeysService } from "../../shared/gen/memorabilia/v1/keys_service_pb.js";
import { StringsService } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { WatchService } from "../../shared/gen/memorabilia/v1/watch_service_pb.js";

/** The suite's server (started by global-setup.ts). */
export const serverUrl = (): string => {
  const url = process.env.MEMORABILIA_E2E_URL;
  if (!url) throw new Error("MEMORABILIA_E2E_URL is unset: run through test/e2e/playwright.config.ts");
  return url;
};

/** A Node gRPC client (HTTP/2) of the server: "another client" next to the console. */
export interface NodeClient {
  readonly keys: Client<typeof KeysService>;
  readonly strings: Client<typeof StringsService>;
  readonly command: Client<typeof CommandService>;
  readonly watch: Client<typeof WatchService>;
  /** Runs a raw command and returns its reply. */
  run(...args: string[]): Promise<Reply | undefined>;
}

/** Creates a gRPC (HTTP/2, h2c) client of the server at `url`. */
export function nodeClient(url: string = serverUrl()): NodeClient {
  const transport = createGrpcTransport({ baseUrl: url });
  const command = createClient(CommandService, transport);
  const enc = new TextEncoder();
  return {
    keys: createClient(KeysService, transport),
    strings: createClient(StringsService, transport),
    command,
    watch: createClient(WatchService, transport),
    run: async (...args) => (await command.execute({ args: args.map((a) => enc.encode(a)) })).reply,
  };
}

/** A key prefix unique to one test, so tests sharing the server never see each other's keys. */
export const prefix = (name: string): string => `e2e:${name}:${Date.now().toString(36)}:`;

/** Opens the console and waits until the live stream is up. */
export async function openConsole(page: Page, path = "/"): Promise<void> {
  await page.goto(new URL(path, serverUrl()).toString());
  await expect(page.getByRole("status", { name: "Connection" })).toHaveAttribute("data-state", "live");
}

/** Types a glob into the filter box and waits for the list to rescan. */
export async function filterKeys(page: Page, glob: string): Promise<void> {
  await page.getByRole("searchbox", { name: "Find keys" }).fill(glob);
  await page.waitForTimeout(400);
}

/** The key list's row of `key`. */
export const row = (page: Page, key: string) => page.locator(`.line.key[data-key="${key.replace(/"/g, '\\"')}"]`);

/** Writes a screenshot to test-results/screenshots/<name>.png (an artifact, not committed). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync("test-results/screenshots", { recursive: true });
  await page.screenshot({ path: `test-results/screenshots/${name}.png` });
}
