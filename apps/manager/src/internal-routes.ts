import { MediaNodeHeartbeat, PublicId, StreamStateUpdate, VerifyKeyRequest } from "@hearth/contracts";
import { HttpError, internalAuth, type Logger } from "@hearth/server-kit";
import { Hono } from "hono";
import { addressesOn, type MediaNodeStore } from "./media-nodes.ts";
import type { StreamRow, StreamStore } from "./stream-store.ts";

export interface InternalDeps {
  store: StreamStore;
  nodes: MediaNodeStore;
  token: string;
  logger: Logger;
  /** Called after a change that the public directory shows. */
  onChange(): void;
}

/** Parses a JSON body with a schema, answering 400 on anything else. */
async function body<T>(
  req: Request,
  schema: { safeParse(v: unknown): { success: boolean; data?: T } },
): Promise<T> {
  const raw = await req.json().catch(() => undefined);
  const r = schema.safeParse(raw);
  if (!r.success || r.data === undefined)
    throw new HttpError(400, "invalid_input", "body does not match the contract");
  return r.data;
}

/** Service-to-service routes (token-protected): key checks and live/offline transitions. */
export function internalRoutes(deps: InternalDeps): Hono {
  const app = new Hono();
  app.use(internalAuth(deps.token));

  app.post("/keys/verify", async (c) => {
    const { key, publicId, node } = await body(c.req.raw, VerifyKeyRequest);
    const row = await deps.store.byKey(key);
    if (!row || (publicId !== undefined && row.publicId !== publicId)) {
      throw new HttpError(403, "forbidden", "unknown, ended or mismatched stream key");
    }
    if (node !== undefined && row.mediaNode !== null && row.mediaNode !== node) await follow(row, node);
    return c.json({ publicId: row.publicId });
  });

  /** A streamer reconnecting to another node: the stream moves there unless it is live on a healthy one. */
  async function follow(row: StreamRow, node: string): Promise<void> {
    const current = row.mediaNode ? await deps.nodes.healthy(row.mediaNode) : undefined;
    if (row.live && current)
      throw new HttpError(409, "live_elsewhere", "this stream is live on another media node");
    const target = await deps.nodes.healthy(node);
    if (!target) throw new HttpError(403, "unknown_node", "the asking media node is not registered");
    await deps.store.moveTo(row.publicId, target.id, addressesOn(target, row.publicId));
    deps.onChange();
    deps.logger.info("stream moved to another media node", { publicId: row.publicId, node: target.id });
  }

  app.post("/nodes/heartbeat", async (c) => {
    if ((await deps.nodes.heartbeat(await body(c.req.raw, MediaNodeHeartbeat))) > 0) deps.onChange();
    return c.body(null, 204);
  });

  app.post("/streams/:publicId/state", async (c) => {
    const publicId = PublicId.safeParse(c.req.param("publicId"));
    if (!publicId.success) throw new HttpError(400, "invalid_input", "bad public id");
    const update = await body(c.req.raw, StreamStateUpdate);
    // Interim: live/offline only; ordering by origin and the reconnecting phase land with the live-state work.
    const live = update.phase === "live" || update.phase === "reconnecting";
    const row = await deps.store.setLive(publicId.data, live, update.rungs);
    if (!row) throw new HttpError(404, "not_found", "no active stream with that public id");
    deps.onChange();
    deps.logger.info(live ? "stream live" : "stream offline", { publicId: publicId.data });
    return c.body(null, 204);
  });

  return app;
}
