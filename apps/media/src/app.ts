import { MediaCreateStream, type MediaStreamAddresses, PublicId } from "@hearth/contracts";
import {
  AppMetrics,
  errorHandler,
  HttpError,
  internalAuth,
  type Logger,
  notFoundHandler,
  requestId,
} from "@hearth/server-kit";
import { Hono } from "hono";
import { type LlhlsLookup, llhlsRoutes } from "./llhls/llhls-routes.ts";
import { registerStreamMetrics } from "./metrics.ts";
import {
  type RecordingInternalDeps,
  recordingInternalRoutes,
  recordingRoutes,
} from "./recording/recording-routes.ts";
import type { StreamRegistry } from "./stream-registry.ts";
import { thumbnailOrigin } from "./thumbnail-origin.ts";

export interface MediaAppDeps {
  registry: Pick<StreamRegistry, "status" | "metrics" | "remove">;
  /** Playlists, parts and segments: the packagers' memory, the only place HLS is served from. */
  llhls: LlhlsLookup;
  /** Stored recordings and clips (served under /hls/vod and /hls/clips; cut and deleted by the manager). */
  recordings?: Omit<RecordingInternalDeps, "logger">;
  /** Where each stream's thumb.jpg is. */
  hlsDir: string;
  internalToken: string;
  logger: Logger;
  publicRtmpBase: string;
  publicHlsBase: string;
  publicWhipBase: string;
  /** The WHIP ingest's routes, mounted at /whip when present. */
  whip?: Hono;
  /** The node's Prometheus registry (main.ts shares it with the pipeline); a fresh one when absent. */
  metrics?: AppMetrics;
}

function publicIdParam(raw: string | undefined): string {
  const r = PublicId.safeParse(raw);
  if (!r.success) throw new HttpError(400, "invalid_input", "bad public id");
  return r.data;
}

/** The media node's HTTP surface: HLS origin, status, metrics, health and the manager's internal API. */
export function createApp(deps: MediaAppDeps): Hono {
  const app = new Hono();
  app.use(requestId());
  app.onError(errorHandler(deps.logger));
  app.notFound(notFoundHandler);

  app.get("/healthz", (c) => c.json({ ok: true }));
  const metrics = deps.metrics ?? new AppMetrics("media");
  registerStreamMetrics(metrics, () => deps.registry.metrics());
  app.get("/metrics", () => metrics.render());
  // Stored recordings and clips first: "vod" and "clips" are no public id, the live routes would 404 them.
  if (deps.recordings) {
    app.route("/hls/vod", recordingRoutes("recordings", deps.recordings));
    app.route("/hls/clips", recordingRoutes("clips", deps.recordings));
  }
  // The packager answers every playlist, part and segment; thumb.jpg (and any other path) goes on to the disk.
  app.route("/hls", llhlsRoutes(deps.llhls));
  app.route("/hls", thumbnailOrigin(deps.hlsDir));
  app.get("/streams/:publicId/status", (c) => {
    c.header("Cache-Control", "no-store");
    c.header("Access-Control-Allow-Origin", "*");
    return c.json(deps.registry.status(publicIdParam(c.req.param("publicId"))));
  });

  const internal = new Hono();
  internal.use(internalAuth(deps.internalToken));
  internal.post("/streams", async (c) => {
    const body = MediaCreateStream.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) throw new HttpError(400, "invalid_input", "body must be {publicId}");
    const id = body.data.publicId;
    const addresses: MediaStreamAddresses = {
      rtmpServer: deps.publicRtmpBase,
      whipUrl: `${deps.publicWhipBase}/${id}`,
      hlsUrl: `${deps.publicHlsBase}/${id}/master.m3u8`,
    };
    return c.json(addresses, 201);
  });
  internal.delete("/streams/:publicId", async (c) => {
    await deps.registry.remove(publicIdParam(c.req.param("publicId")));
    return c.body(null, 204);
  });
  if (deps.recordings)
    internal.route("/", recordingInternalRoutes({ ...deps.recordings, logger: deps.logger }));
  app.route("/internal", internal);
  if (deps.whip) app.route("/whip", deps.whip);
  return app;
}
