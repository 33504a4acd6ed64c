import { useEffect, useRef, useState } from "preact/hooks";
import type { ChannelInfo } from "../../../shared/gen/memorabilia/v1/pubsub_service_pb.js";
import { preview, utf8 } from "../model/bytes.js";
import { formatCount } from "../model/format.js";
import { hasGlob } from "../model/key-browser.js";
import { errorText, useConsole } from "./context.js";

/** Messages the log keeps (the oldest go first). */
const KEEP = 500;

interface Received {
  readonly n: number;
  readonly at: number;
  readonly channel: string;
  readonly pattern?: string;
  readonly text: string;
}

/**
 * Pub/Sub: the active channels and their subscribers (PubSubService.Channels, every 2 s), a
 * subscription to channels or glob patterns (Subscribe, a server stream) with the last 500
 * messages, and Publish (hidden when read-only).
 */
export function PubSubPanel() {
  const { clients, readOnly, notify } = useConsole();
  const [channels, setChannels] = useState<ChannelInfo[]>([]);
  const [patterns, setPatterns] = useState(0);
  const [subscribeTo, setSubscribeTo] = useState("");
  const [active, setActive] = useState<string[] | null>(null);
  const [messages, setMessages] = useState<Received[]>([]);
  const [channel, setChannel] = useState("");
  const [message, setMessage] = useState("");
  const n = useRef(0);

  useEffect(() => {
    let alive = true;
    const read = () =>
      clients.pubsub.channels({ pattern: "*" }).then(
        (res) => {
          if (!alive) return;
          setChannels(res.channels);
          setPatterns(Number(res.patterns));
        },
        () => {},
      );
    void read();
    const t = setInterval(read, 2000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [clients]);

  useEffect(() => {
    if (!active) return;
    const abort = new AbortController();
    (async () => {
      try {
        const stream = clients.pubsub.subscribe(
          {
            channels: active.filter((c) => !hasGlob(c)),
            patterns: active.filter((c) => hasGlob(c)),
          },
          { signal: abort.signal },
        );
        for await (const res of stream) {
          if (res.kind.case !== "message") continue;
          const m = res.kind.value;
          const entry: Received = {
            n: n.current++,
            at: Date.now(),
            channel: m.channel,
            ...(m.pattern !== undefined ? { pattern: m.pattern } : {}),
            text: preview(m.message, 500),
          };
          setMessages((ms) => [...ms.slice(-(KEEP - 1)), entry]);
        }
      } catch (e) {
        if (!abort.signal.aborted) notify(errorText(e), "error");
      }
    })();
    return () => abort.abort();
  }, [clients, active]);

  return (
    <section class="pubsub-panel" aria-label="Pub/Sub">
      <h2>Pub/Sub</h2>
      <h3>Active channels</h3>
      {channels.length === 0 ? (
        <p class="muted">No channel has a subscriber{patterns ? ` (${patterns} pattern subscriptions)` : ""}.</p>
      ) : (
        <table class="channels">
          <thead>
            <tr>
              <th scope="col">Channel</th>
              <th scope="col">Subscribers</th>
            </tr>
          </thead>
          <tbody>
            {channels.map((c) => (
              <tr key={c.channel}>
                <td class="mono">{c.channel}</td>
                <td>{formatCount(c.subscribers)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Subscribe</h3>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          const list = subscribeTo.split(/[\s,]+/).filter((x) => x !== "");
          setMessages([]);
          setActive(list.length ? list : null);
        }}
      >
        <input
          aria-label="Channels or patterns"
          placeholder="news, orders.*"
          value={subscribeTo}
          onInput={(e) => setSubscribeTo((e.currentTarget as HTMLInputElement).value)}
        />
        <button type="submit">{active ? "Change" : "Subscribe"}</button>
        {active && (
          <button type="button" onClick={() => setActive(null)}>
            Unsubscribe
          </button>
        )}
      </form>
      {active && (
        <p class="muted" role="status">
          Subscribed to {active.join(", ")} · {formatCount(messages.length)} messages (the last {KEEP} kept)
        </p>
      )}
      <div
        class="messages"
        role="log"
        aria-label="Messages"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable)
        tabIndex={0}
      >
        {messages.map((m) => (
          <div key={m.n} class="message mono">
            <span class="muted">{new Date(m.at).toLocaleTimeString()}</span> <strong>{m.channel}</strong>
            {m.pattern ? <span class="muted"> ({m.pattern})</span> : null} {m.text}
          </div>
        ))}
      </div>
      {!readOnly && (
        <>
          <h3>Publish</h3>
          <form
            class="row wrap"
            onSubmit={async (e) => {
              e.preventDefault();
              if (!channel) return;
              try {
                const res = await clients.pubsub.publish({ channel, message: utf8(message) });
                notify(`Published to ${channel}: ${formatCount(res.receivers)} receivers`);
                setMessage("");
              } catch (err) {
                notify(errorText(err), "error");
              }
            }}
          >
            <input
              aria-label="Channel"
              placeholder="channel"
              value={channel}
              onInput={(e) => setChannel((e.currentTarget as HTMLInputElement).value)}
            />
            <input
              aria-label="Message"
              placeholder="message"
              value={message}
              onInput={(e) => setMessage((e.currentTarget as HTMLInputElement).value)}
            />
            <button type="submit">Publish</button>
          </form>
        </>
      )}
    </section>
  );
}
