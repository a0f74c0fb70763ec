import type { NodeBudget } from "@hearth/contracts";
import { INTERNAL } from "./harness.ts";

/** What the helpers need of a Hono app: a request answered in process, no port. */
interface InProcessApp {
  request(input: string, init?: RequestInit): Response | Promise<Response>;
}

/** Requests to a manager app as its clients make them: `req` a public call, `internal` one with the services' token. */
export function requestsTo(app: InProcessApp) {
  const req = async (path: string, init?: RequestInit) => app.request(`http://localhost${path}`, init);
  /** `POST /internal<path>` (or `method`) with a JSON body and the internal token. */
  const internal = (path: string, body: unknown, method = "POST") =>
    req(`/internal${path}`, {
      method,
      headers: { authorization: `Bearer ${INTERNAL}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  return { req, internal };
}

/** A media node's heartbeat body (no streams): its public bases on `<id>.example`, HLS behind cdn.example. */
export function nodeHeartbeat(id: string, budget?: NodeBudget) {
  return {
    id,
    rtmpServer: `rtmp://${id}.example:1935/live`,
    whipBase: `http://${id}.example/whip`,
    hlsBase: `http://cdn.example/hls/${id}`,
    internalUrl: `http://${id}.internal:8083`,
    capacity: 10,
    load: 0,
    ...(budget ? { budget } : {}),
  };
}
