/**
 * The console's clients are the project's typed client (shared/client): one generated Connect
 * client per service over one transport. Re-exported under the names the console uses.
 */
export {
  createServiceClients as createClients,
  type MemorabiliaClient as Clients,
} from "../../../shared/client/index.js";
