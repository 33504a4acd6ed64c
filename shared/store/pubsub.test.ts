import { describe, expect, it } from "vitest";
import { PubSubHub, type PubSubMessage } from "./pubsub.js";

/** A hub and a recording subscriber factory. */
function setup() {
  const hub = new PubSubHub();
  const make = () => {
    const got: PubSubMessage[] = [];
    return { got, sub: hub.subscriber((m) => got.push(m)) };
  };
  return { hub, make };
}

describe("PubSubHub", () => {
  it("delivers to channel subscribers and counts receivers", () => {
    const { hub, make } = setup();
    const a = make();
    const b = make();
    a.sub.subscribe(["news"]);
    b.sub.subscribe(["news", "sport"]);
    expect(hub.publish("news", "hello")).toBe(2);
    expect(hub.publish("sport", "goal")).toBe(1);
    expect(hub.publish("weather", "rain")).toBe(0);
    expect(a.got).toEqual([{ channel: "news", message: "hello" }]);
    expect(b.got).toEqual([
      { channel: "news", message: "hello" },
      { channel: "sport", message: "goal" },
    ]);
  });

  it.each<[string, string, boolean]>([
    ["news.*", "news.tech", true],
    ["news.*", "news", false],
    ["n?ws", "news", true],
    ["[a-c]*", "bbc", true],
    ["[a-c]*", "cnn", true],
    ["[a-c]*", "dw", false],
    ["h\\*llo", "h*llo", true],
    ["h\\*llo", "hello", false],
  ])("pattern %s on channel %s: %s", (pattern, channel, matches) => {
    const { hub, make } = setup();
    const s = make();
    s.sub.psubscribe([pattern]);
    expect(hub.publish(channel, "m")).toBe(matches ? 1 : 0);
    expect(s.got).toEqual(matches ? [{ channel, message: "m", pattern }] : []);
  });

  it("a subscriber listening by channel and by pattern receives and counts twice (as Redis)", () => {
    const { hub, make } = setup();
    const s = make();
    s.sub.subscribe(["news.tech"]);
    s.sub.psubscribe(["news.*", "*"]);
    expect(hub.publish("news.tech", "x")).toBe(3);
    expect(s.got.map((m) => m.pattern)).toEqual([undefined, "news.*", "*"]);
  });

  it("subscribing twice to one channel or pattern is one subscription", () => {
    const { hub, make } = setup();
    const s = make();
    expect(s.sub.subscribe(["a", "a"])).toBe(1);
    expect(s.sub.subscribe(["a"])).toBe(1);
    expect(s.sub.psubscribe(["a*", "a*"])).toBe(2);
    expect(hub.publish("a", "m")).toBe(2);
  });

  it("unsubscribe and punsubscribe, given names or all; empty channels disappear", () => {
    const { hub, make } = setup();
    const s = make();
    s.sub.subscribe(["a", "b", "c"]);
    s.sub.psubscribe(["x*", "y*"]);
    expect(hub.channels().sort()).toEqual(["a", "b", "c"]);
    expect(hub.numpat()).toBe(2);
    expect(s.sub.unsubscribe(["a", "nope"])).toBe(4);
    expect(hub.channels().sort()).toEqual(["b", "c"]);
    expect(s.sub.unsubscribe()).toBe(2);
    expect(s.sub.punsubscribe(["x*"])).toBe(1);
    expect(hub.numpat()).toBe(1);
    expect(s.sub.punsubscribe()).toBe(0);
    expect(hub.channels()).toEqual([]);
    expect(hub.numpat()).toBe(0);
    expect(hub.publish("b", "m")).toBe(0);
  });

  it("PUBSUB CHANNELS with a pattern, NUMSUB counts channel subscriptions only, NUMPAT distinct patterns", () => {
    const { hub, make } = setup();
    const a = make();
    const b = make();
    a.sub.subscribe(["news.tech", "sport"]);
    b.sub.subscribe(["news.tech"]);
    a.sub.psubscribe(["news.*"]);
    b.sub.psubscribe(["news.*", "*"]);
    expect(hub.channels("news.*")).toEqual(["news.tech"]);
    expect(hub.numsub("news.tech")).toBe(2);
    expect(hub.numsub("sport")).toBe(1);
    expect(hub.numsub("none")).toBe(0);
    expect(hub.numpat()).toBe(2);
  });

  it("close leaves everything and refuses new subscriptions", () => {
    const { hub, make } = setup();
    const s = make();
    s.sub.subscribe(["a"]);
    s.sub.psubscribe(["*"]);
    s.sub.close();
    s.sub.close();
    expect(hub.publish("a", "m")).toBe(0);
    expect(hub.channels()).toEqual([]);
    expect(() => s.sub.subscribe(["a"])).toThrow(TypeError);
  });

  it("binary channels and messages are delivered byte for byte", () => {
    const { hub, make } = setup();
    const s = make();
    s.sub.subscribe(["\xff\x00"]);
    expect(hub.publish("\xff\x00", "\x00\x01\xfe")).toBe(1);
    expect(s.got).toEqual([{ channel: "\xff\x00", message: "\x00\x01\xfe" }]);
  });

  it("a throwing listener is reported and does not stop delivery to others", () => {
    const { hub, make } = setup();
    const errors: unknown[] = [];
    hub.onListenerError = (e) => errors.push(e);
    const bad = hub.subscriber(() => {
      throw new Error("boom");
    });
    const good = make();
    bad.subscribe(["c"]);
    good.sub.subscribe(["c"]);
    expect(hub.publish("c", "m")).toBe(2);
    expect(good.got).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it("a listener that unsubscribes another during delivery: that one still gets this message", () => {
    const { hub, make } = setup();
    const b = make();
    const a = hub.subscriber(() => b.sub.unsubscribe());
    a.subscribe(["c"]);
    b.sub.subscribe(["c"]);
    expect(hub.publish("c", "1")).toBe(2);
    expect(hub.publish("c", "2")).toBe(1);
    expect(b.got.map((m) => m.message)).toEqual(["1"]);
  });
});
