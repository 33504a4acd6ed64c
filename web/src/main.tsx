/**
 * The Memorabilia web console. Talks gRPC-Web to the server that served the page, or, with
 * `?embedded=1`, runs the whole service inside the page (keys kept in IndexedDB unless
 * `&persist=0`).
 */
import { render } from "preact";
import "./styles.css";

/**
 * The generated API modules, loaded one per task before the console: each builds its
 * descriptors when it is evaluated (protobuf-es decodes the embedded FileDescriptorProto and
 * registers it), ~10-40 ms apiece on a busy host. Evaluated with the rest of the page in one
 * go they made the longest main-thread task (93-443 ms at load, the 1M-key run's 247 ms).
 */
const API_MODULES: readonly (() => Promise<unknown>)[] = [
  () => import("../../shared/gen/memorabilia/v1/types_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/command_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/keys_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/strings_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/lists_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/hashes_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/sets_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/sorted_sets_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/streams_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/bitmaps_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/hyperloglog_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/geo_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/transaction_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/watch_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/pubsub_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/server_service_pb.js"),
  () => import("../../shared/gen/memorabilia/v1/auth_service_pb.js"),
];

/** Resolves in a later task (a message, not a timer: no 4 ms clamp). */
const nextTask = (): Promise<void> =>
  new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });

async function boot(): Promise<void> {
  // One module evaluated per task (a small local chunk each; the fetches are quick).
  for (const load of API_MODULES) {
    await load();
    await nextTask();
  }
  const [{ createClients }, { createRemoteTransport }, { HealthMonitor }, { workerRunner }, { App }] =
    await Promise.all([
      import("./api/clients.js"),
      import("./api/remote-transport.js"),
      import("./api/server-health.js"),
      import("./api/worker-runner.js"),
      import("./ui/app.js"),
    ]);
  const params = new URLSearchParams(location.search);
  const root = document.getElementById("app") as HTMLElement;
  if (params.get("embedded") === "1") {
    // Loaded on demand: the store and the services stay out of the server console's bundle.
    const { startEmbeddedMode } = await import("./embedded/embedded-mode.js");
    const mode = await startEmbeddedMode({ persist: params.get("persist") !== "0" });
    render(<App clients={createClients(mode.transport)} mode="embedded" restored={mode.restored} />, root);
    return;
  }
  const health = new HealthMonitor(new URL("healthz", location.href).toString());
  render(
    <App
      clients={createClients(createRemoteTransport(location.origin, health))}
      mode="server"
      health={health}
      commands={workerRunner(location.origin)}
    />,
    root,
  );
}

void boot();
