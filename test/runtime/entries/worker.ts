/**
 * Cloudflare Worker entry (also the documented example): the Worker forwards every request to
 * the one Durable Object that holds the store; see shared/edge/cloudflare.ts for why.
 */
export { MemorabiliaObject, memorabiliaWorker as default } from "../../../shared/edge/cloudflare.js";
