import {
  MediaNodeHeartbeat,
  PublicId,
  PublishRefusal,
  RecordingReport,
  StreamStateUpdate,
  VerifyKeyRequest,
  VerifyKeyResponse,
  VideoId,
} from "@hearth/contracts";
import { HttpError, internalAuth, type Logger } from "@hearth/server-kit";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { LiveStateStore } from "./live-state.ts";
import { addressesOn, type MediaNodeStore } from "./media-nodes.ts";
import { applyRecordingReport } from "./recording-reports.ts";
import type { StreamRow, StreamStore } from "./stream-store.ts";
import { rejectInvalid } from "./validation-hook.ts";
import type { VideoStore } from "./video-store.ts";
import type { ViewerCounts } from "./viewer-counts.ts";

export interface InternalDeps {
  store: StreamStore;
  nodes: MediaNodeStore;
  liveState: LiveStateStore;
  videos: VideoStore;
  viewers: ViewerCounts;
  token: string;
  logger: Logger;
  /** Wall clock, ms (when a refusal arrived). */
  clock: () => number;
  /** Called after a change that the public directory shows. */
  onChange(): void;
}

const json = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});
const noContent = { 204: { description: "done" } };

// Service-to-service routes: validated by the contracts' schemas, left out of the public document.
const verifyKey = createRoute({
  method: "post",
  path: "/keys/verify",
  hide: true,
  request: json(VerifyKeyRequest),
  responses: {
    200: { description: "the key's stream", content: { "application/json": { schema: VerifyKeyResponse } } },
  },
});
const heartbeat = createRoute({
  method: "post",
  path: "/nodes/heartbeat",
  hide: true,
  request: json(MediaNodeHeartbeat),
  responses: noContent,
});
const publishRefusal = createRoute({
  method: "post",
  path: "/streams/{publicId}/refusal",
  hide: true,
  request: { params: z.object({ publicId: PublicId }), ...json(PublishRefusal) },
  responses: noContent,
});
const streamState = createRoute({
  method: "post",
  path: "/streams/{publicId}/state",
  hide: true,
  request: { params: z.object({ publicId: PublicId }), ...json(StreamStateUpdate) },
  responses: noContent,
});

const recordingReport = createRoute({
  method: "put",
  path: "/recordings/{videoId}",
  hide: true,
  request: { params: z.object({ videoId: VideoId }), ...json(RecordingReport) },
  responses: noContent,
});

/** Service-to-service routes (token-protected): key checks, state reports and heartbeats from media nodes. */
export function internalRoutes(deps: InternalDeps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });
  app.use(internalAuth(deps.token));

  app.openapi(verifyKey, async (c) => {
    const { key, publicId, node } = c.req.valid("json");
    const row = await deps.store.byKey(key);
    if (!row || (publicId !== undefined && row.publicId !== publicId)) {
      throw new HttpError(403, "forbidden", "unknown, ended or mismatched stream key");
    }
    if (node !== undefined && row.mediaNode !== null && row.mediaNode !== node) await follow(row, node);
    return c.json({ publicId: row.publicId, recording: row.recording }, 200);
  });

  /**
   * A streamer publishing to another node: the stream moves there unless it is being served live by its healthy
   * node. One that is only waiting for its publisher to come back (reconnecting) may move: the publisher chose.
   */
  async function follow(row: StreamRow, node: string): Promise<void> {
    const current = row.mediaNode ? await deps.nodes.healthy(row.mediaNode) : undefined;
    if (row.live && !row.reconnecting && current)
      throw new HttpError(409, "live_elsewhere", "this stream is live on another media node");
    const target = await deps.nodes.healthy(node);
    if (!target) throw new HttpError(403, "unknown_node", "the asking media node is not registered");
    await deps.store.moveTo(row.publicId, target.id, addressesOn(target, row.publicId));
    deps.onChange();
    deps.logger.info("stream moved to another media node", { publicId: row.publicId, node: target.id });
  }

  app.openapi(heartbeat, async (c) => {
    const h = c.req.valid("json");
    await deps.nodes.heartbeat(h);
    const changed = await deps.liveState.reconcile(h.id, h.streams);
    if (changed > 0) {
      deps.onChange();
      deps.logger.info("heartbeat reconciled streams", { node: h.id, changed });
    }
    return c.body(null, 204);
  });

  app.openapi(streamState, async (c) => {
    const { publicId } = c.req.valid("param");
    const update = c.req.valid("json");
    const outcome = await deps.liveState.report(publicId, update);
    if (outcome.kind === "unknown") throw new HttpError(404, "not_found", "no stream with that public id");
    if (outcome.kind === "applied") {
      deps.onChange();
      deps.logger.info("stream state", {
        publicId,
        phase: update.phase,
        node: update.origin.node,
        seq: update.origin.seq,
        quality: update.quality?.level ?? null,
        realtime: update.quality?.realtime ?? null,
      });
    }
    // Stale, duplicate or from a node the stream has left: acknowledged, so the node does not retry it.
    return c.body(null, 204);
  });

  app.openapi(publishRefusal, async (c) => {
    const { publicId } = c.req.valid("param");
    const r = c.req.valid("json");
    const kept = await deps.store.setRefusal(publicId, { ...r, at: deps.clock() });
    if (kept) deps.logger.info("publish refused by media node", { publicId, node: r.node, code: r.code });
    // Unknown, ended or live streams keep nothing: acknowledged all the same, so the node does not retry.
    return c.body(null, 204);
  });

  app.openapi(recordingReport, async (c) => {
    const { videoId } = c.req.valid("param");
    const report = c.req.valid("json");
    if (report.videoId !== videoId)
      throw new HttpError(400, "invalid_input", "the body's videoId is not the one in the path");
    const { row, changed } = await applyRecordingReport(deps, report);
    if (changed) {
      deps.onChange();
      deps.logger.info("recording", { videoId, publicId: row.publicId, node: row.node, state: row.state });
    }
    return c.body(null, 204);
  });

  return app;
}
