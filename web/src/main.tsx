/**
 * The Memorabilia web console. Talks gRPC-Web to the server that served the page, or, with
 * `?embedded=1`, runs the whole service inside the page (keys kept in IndexedDB unless
 * `&persist=0`).
 */
import { render } from "preact";
import { createClients } from "./api/clients.js";
import { createRemoteTransport } from "./api/remote-transport.js";
import { HealthMonitor } from "./api/server-health.js";
import { workerRunner } from "./api/worker-runner.js";
import "./styles.css";
import { App } from "./ui/app.js";

async function boot(): Promise<void> {
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
