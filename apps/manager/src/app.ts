import { PublicId, type StartedStream, StartStreamBody } from "@hearth/contracts";
import {
  AppMetrics,
  allowOnly,
  bearerToken,
  errorHandler,
  HttpError,
  httpMetrics,
  type Logger,
  notFoundHandler,
  requestId,
  type UpstreamError,
} from "@hearth/server-kit";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { z } from "zod";
import { decodeCursor, toList, toLookup } from "./directory.ts";
import { internalRoutes } from "./internal-routes.ts";
import type { MediaNodeStore } from "./media-nodes.ts";
import { openApiDocument } from "./openapi.ts";
import { pageCache } from "./page-cache.ts";
import type { ChatService, MediaService } from "./services.ts";
import { keyMatches, newPrivateId, newPublicId } from "./stream-key.ts";
import type { StreamRow, StreamStore } from "./stream-store.ts";
import type { ViewerCounts } from "./viewer-counts.ts";

export interface ManagerDeps {
  store: StreamStore;
  nodes: MediaNodeStore;
  media: MediaService;
  chat: ChatService;
  viewers: ViewerCounts;
  logger: Logger;
  internalToken: string;
  /** Base of watch links, e.g. http://localhost:8080. */
  publicWebUrl: string;
  /** How long a directory page may be served from memory. */
  directoryCacheMs: number;
  /** The manager's Prometheus registry; a fresh one when absent. */
  metrics?: AppMetrics;
}

const Limit = z.coerce.number().int().min(1).max(100).default(50);
const Bitrate = z.coerce.number().int().positive().max(1_000_000_000);

/** Reads a query/param value with a schema, answering 400 with the schema's message. */
function parseOr400<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new HttpError(400, "invalid_input", `${what}: ${r.error.issues[0]?.message ?? "invalid"}`);
  return r.data;
}

/** Builds the manager's Hono app from its dependencies. Opens nothing itself. */
export function createApp(deps: ManagerDeps): Hono {
  const { store, media, chat, logger } = deps;
  const app = new Hono();
  // Rendered pages cache per (limit, cursor); any write through this app drops them.
  const pages = pageCache(deps.directoryCacheMs);
  const invalidate = () => pages.clear();

  const metrics = deps.metrics ?? new AppMetrics("manager");
  app.use(requestId());
  app.use(httpMetrics(metrics));
  app.onError(errorHandler(logger));
  app.notFound(notFoundHandler);
  // The public API is called from browsers on other origins (the web tier, any player).
  app.use("*", cors({ origin: "*", allowHeaders: ["Authorization", "Content-Type"], maxAge: 600 }));

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/metrics", () => metrics.render());
  app.get("/readyz", async (c) => {
    try {
      await store.ping();
      return c.json({ ok: true });
    } catch {
      throw new HttpError(503, "database_unavailable", "the database is unreachable");
    }
  });
  app.get("/openapi.json", (c) => c.json(openApiDocument()));

  app.get("/streams", async (c) => {
    const limit = parseOr400(Limit, c.req.query("limit"), "limit");
    const rawCursor = c.req.query("cursor");
    const cursor = rawCursor ? decodeCursor(rawCursor) : undefined;
    const body = await pages.get(`${limit}|${rawCursor ?? ""}`, async () =>
      JSON.stringify(toList(await store.list(limit, cursor), limit, deps.publicWebUrl, deps.viewers)),
    );
    return c.body(body, 200, { "content-type": "application/json" });
  });

  allowOnly(app, "/start_stream", ["POST"]);
  app.post("/start_stream", async (c) => {
    let raw: unknown = c.req.query("name");
    if (raw === undefined && c.req.header("content-type")?.includes("application/json")) {
      const body = await c.req.json().catch(() => {
        throw new HttpError(400, "invalid_json", "request body is not valid JSON");
      });
      raw = (body as { name?: unknown } | null)?.name;
    }
    if (raw === undefined)
      throw new HttpError(400, "invalid_input", "name is required (?name= or JSON body)");
    const { name } = parseOr400(StartStreamBody, { name: raw }, "name");
    const publicId = newPublicId();
    const privateId = newPrivateId();

    // Both services first, the row last: a failure leaves nothing half-created behind.
    const [m, r] = await Promise.allSettled([media.create(publicId), chat.create(publicId)]);
    if (m.status === "rejected" || r.status === "rejected") {
      if (m.status === "fulfilled") await media.remove(publicId, m.value.node).catch(() => {});
      if (r.status === "fulfilled") await chat.remove(publicId).catch(() => {});
      const reason = m.status === "rejected" ? m.reason : r.status === "rejected" ? r.reason : undefined;
      logger.warn("start_stream failed upstream", { publicId, err: (reason as Error).message });
      throw new HttpError(503, "upstream_unavailable", (reason as Error).message, { "Retry-After": "2" });
    }
    let row: StreamRow;
    try {
      row = await store.create({
        publicId,
        privateId,
        name,
        mediaNode: m.value.node,
        rtmpServer: m.value.rtmpServer,
        whipUrl: m.value.whipUrl,
        hlsUrl: m.value.hlsUrl,
        chatUrl: r.value.chatUrl,
      });
    } catch (err) {
      await Promise.allSettled([media.remove(publicId, m.value.node), chat.remove(publicId)]);
      throw err;
    }
    invalidate();
    logger.info("stream created", { publicId });
    const out: StartedStream = {
      publicId,
      privateId,
      name: row.name,
      rtmp: { server: row.rtmpServer, streamKey: privateId },
      whipUrl: row.whipUrl,
      hlsUrl: row.hlsUrl,
      chatUrl: row.chatUrl,
      watchUrl: `${deps.publicWebUrl}/watch/${publicId}`,
    };
    return c.json(out, 201);
  });

  /** The stream named in the path, when the bearer key is its private id. */
  async function authorised(publicIdRaw: string, authorization: string | undefined): Promise<StreamRow> {
    const publicId = parseOr400(PublicId, publicIdRaw, "public id");
    const key = bearerToken(authorization);
    if (!key)
      throw new HttpError(401, "unauthorized", "send the stream key as Authorization: Bearer <private id>");
    const row = await store.get(publicId);
    if (!row) throw new HttpError(404, "not_found", "no stream with that public id");
    if (!keyMatches(key, row.keyHash))
      throw new HttpError(403, "forbidden", "that key does not belong to this stream");
    return row;
  }

  app.get("/stream/:publicId", async (c) => {
    const publicId = parseOr400(PublicId, c.req.param("publicId"), "public id");
    const rawBitrate = c.req.query("bitrate");
    const bitrate = rawBitrate === undefined ? undefined : parseOr400(Bitrate, rawBitrate, "bitrate");
    const row = await store.get(publicId);
    if (!row) throw new HttpError(404, "not_found", "no stream with that public id");
    return c.json(toLookup(row, bitrate));
  });

  allowOnly(app, "/stop_stream/:publicId", ["POST"]);
  app.post("/stop_stream/:publicId", async (c) => {
    const row = await authorised(c.req.param("publicId"), c.req.header("authorization"));
    if (await store.end(row.publicId)) {
      invalidate();
      // The row is ended first, so the key is already refused; the services clean up after.
      const results = await Promise.allSettled([
        media.remove(row.publicId, row.mediaNode),
        chat.remove(row.publicId),
      ]);
      for (const res of results) {
        if (res.status === "rejected") {
          const err = res.reason as UpstreamError;
          logger.warn("stop_stream: a service did not confirm", { publicId: row.publicId, err: err.message });
        }
      }
      logger.info("stream ended", { publicId: row.publicId });
    }
    return c.body(null, 204);
  });

  allowOnly(app, "/start_wrtc_stream/:publicId", ["POST"]);
  app.post("/start_wrtc_stream/:publicId", async (c) => {
    const row = await authorised(c.req.param("publicId"), c.req.header("authorization"));
    if (row.endedAt) throw new HttpError(409, "stream_ended", "this stream has ended; start a new one");
    return c.json({ whipUrl: row.whipUrl });
  });

  app.route(
    "/internal",
    internalRoutes({ store, nodes: deps.nodes, token: deps.internalToken, logger, onChange: invalidate }),
  );
  return app;
}
