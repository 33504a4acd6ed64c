import { toBinary } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { registerMemorabiliaServices } from "../../shared/api/register.js";
import { SetsService } from "../../shared/gen/memorabilia/v1/sets_service_pb.js";
import { createTestStore } from "../../shared/store/testing.js";
import { binaryReplyInterceptor, preEncodedMessage } from "./binary-reply-interceptor.js";
import { corpus } from "./protobuf-test-corpus.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("binary replies written once by the reflection-free writer", () => {
  it("toBinary writes the pre-encoded message as the message itself, for every message of the corpus", () => {
    const messages = [...corpus(21), ...corpus(22)];
    expect(messages.length).toBeGreaterThan(700);
    for (const [desc, m] of messages) {
      const expected = toBinary(desc, m);
      const bytes = toBinary(desc, preEncodedMessage(desc, m));
      expect(hex(bytes)).toBe(hex(expected));
    }
  });

  it("binary and JSON calls through the interceptor get the same typed reply", async () => {
    const t = createTestStore();
    await t.store.exec(["SADD", "s", ...Array.from({ length: 300 }, (_, i) => `m${i}\xff`)]);
    const got = [];
    for (const useBinaryFormat of [true, false]) {
      const transport = createRouterTransport((router) => registerMemorabiliaServices(router, t.store), {
        router: { interceptors: [binaryReplyInterceptor] },
        transport: { useBinaryFormat },
      });
      const sets = createClient(SetsService, transport);
      const { members } = await sets.sMembers({ key: "s" });
      got.push(members.map(hex).sort());
    }
    expect(got[0]).toHaveLength(300);
    expect(got[0]).toEqual(got[1]);
  });
});
