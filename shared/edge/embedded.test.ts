import { createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { AuthService, Role } from "../gen/memorabilia/v1/auth_service_pb.js";
import { ListEnd, ListsService } from "../gen/memorabilia/v1/lists_service_pb.js";
import { createTestStore } from "../store/testing.js";
import { createEmbeddedTransport } from "./embedded.js";

describe("createEmbeddedTransport", () => {
  it("serves the services over the given store in-process", async () => {
    const { store, clock } = createTestStore();
    const transport = createEmbeddedTransport(store);
    const lists = createClient(ListsService, transport);
    await lists.push({ key: "l", end: ListEnd.RIGHT, elements: [new Uint8Array([97])] });
    expect(await store.exec(["LRANGE", "l", "0", "-1"])).toEqual(["a"]);
    await store.exec(["PEXPIRE", "l", "5"]);
    clock.advance(6);
    expect((await lists.lLen({ key: "l" })).length).toBe(0n);
    const me = await createClient(AuthService, transport).whoAmI({});
    expect([me.name, me.role]).toEqual(["default", Role.ADMIN]);
  });
});
