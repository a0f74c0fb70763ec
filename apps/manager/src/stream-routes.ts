import { type StartedStream, StreamName } from "@hearth/contracts";
import { HttpError, type Logger } from "@hearth/server-kit";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  Bitrate,
  errorResponse,
  jsonResponse,
  ListQuery,
  PublicIdParam,
  StartedStream as StartedStreamSchema,
  StartStreamBody,
  StreamList,
  StreamLookup,
  WhipInfo,
} from "./api-schemas.ts";
import { decodeCursor, toList, toLookup } from "./directory.ts";
import type { PageCache } from "./page-cache.ts";
import { registerBearerScheme } from "./security-schemes.ts";
import type { ChatService, MediaService } from "./services.ts";
import { endStream } from "./stream-ending.ts";
import { newPrivateId, newPublicId } from "./stream-key.ts";
import { ownedStream } from "./stream-owner.ts";
import type { StreamRow, StreamStore } from "./stream-store.ts";
import { describeIssues, rejectInvalid } from "./validation-hook.ts";
import type { VideoStore } from "./video-store.ts";
import type { ViewerCounts } from "./viewer-counts.ts";

/** What a stream creation asks for, once its name has been validated. */
export interface CreationRequest {
  name: string;
  creationToken: string | undefined;
}

/** A creation the guard let through: who it counts against, and what to do once it is over. */
export interface CreationAdmission {
  /** The client key the stream counts against (stored as `creator_ip`); null when it counts against none. */
  creatorIp: string | null;
  /**
   * Called exactly once when the creation is over, `created` false when nothing was made (an upstream failed,
   * the insert failed): the guard gives back what it took (a creation token's use, a reserved slot).
   */
  settle?(created: boolean): Promise<void>;
}

/**
 * Decides whether this request may create a stream (the instance's creation policy, per-client limits): throws an
 * HttpError to refuse, else admits it. The start_stream route calls it once, before anything is made.
 */
export type CreationGuard = (c: Context, request: CreationRequest) => Promise<CreationAdmission>;

/** Anyone may create a stream; the creator is not recorded. */
export const openCreation: CreationGuard = async () => ({ creatorIp: null });

export interface StreamRouteDeps {
  store: StreamStore;
  media: MediaService;
  chat: ChatService;
  viewers: ViewerCounts;
  /** The live session's recording, for live rewind (dvr). */
  videos: Pick<VideoStore, "recordingOf">;
  logger: Logger;
  pages: PageCache;
  guardCreation: CreationGuard;
  /** Base of watch links, e.g. http://localhost:8080. */
  publicWebUrl: string;
}

const streamKey = [{ streamKey: [] }];

const listStreams = createRoute({
  method: "get",
  path: "/streams",
  summary: "Live and created streams, live first, newest first",
  request: { query: ListQuery },
  responses: {
    200: jsonResponse("a page of streams", StreamList),
    400: errorResponse("bad limit or cursor"),
  },
});

const startStream = createRoute({
  method: "post",
  path: "/start_stream",
  summary: "Create a stream; the only response that carries its private id",
  description:
    "The name comes from `?name=` or the body, JSON or form (the query wins). Who may create is the " +
    "instance's STREAM_CREATION policy: open, token (a creation token in the body's `creationToken` or the " +
    "X-Creation-Token header, never in the URL) or closed; the operator's admin bearer always may. Creations " +
    "are limited per client (a token bucket, a cap on streams not ended) and per instance.",
  request: {
    query: z.object({ name: z.string().optional().openapi({ description: "the stream's display name" }) }),
    headers: z.object({
      "x-creation-token": z
        .string()
        .optional()
        .openapi({ description: "a creation token (STREAM_CREATION=token); or the body's creationToken" }),
    }),
    // A form post works too (an HTML form, `curl -d`), and so does no body at all.
    body: {
      content: {
        "application/json": { schema: StartStreamBody },
        "application/x-www-form-urlencoded": { schema: StartStreamBody },
      },
      required: false,
    },
  },
  responses: {
    201: jsonResponse("created", StartedStreamSchema),
    400: errorResponse("bad name, or a creation token in the URL"),
    401: errorResponse("a creation token is required, or the admin bearer is wrong"),
    403: errorResponse("creation is closed, or the creation token is not valid"),
    413: errorResponse("the body is over 16 KiB"),
    429: {
      ...errorResponse("too many creations from this client, or too many open streams; see Retry-After"),
      headers: { "Retry-After": { description: "seconds to wait", schema: { type: "integer" as const } } },
    },
    503: errorResponse("media or chat unreachable; nothing was created"),
  },
});

const lookupStream = createRoute({
  method: "get",
  path: "/stream/{publicId}",
  summary: "Where to watch and chat; with bitrate, the best rung under it (the top rung for a large one)",
  request: { params: PublicIdParam, query: z.object({ bitrate: Bitrate.optional() }) },
  responses: {
    200: jsonResponse("the stream", StreamLookup),
    400: errorResponse("bad public id or bitrate"),
    404: errorResponse("unknown stream"),
  },
});

const stopStream = createRoute({
  method: "post",
  path: "/stop_stream/{publicId}",
  summary: "End a stream (kept in history)",
  security: streamKey,
  request: { params: PublicIdParam },
  responses: {
    204: { description: "ended" },
    401: errorResponse("no key"),
    403: errorResponse("wrong key"),
    404: errorResponse("unknown stream"),
  },
});

const startWrtcStream = createRoute({
  method: "post",
  path: "/start_wrtc_stream/{publicId}",
  summary: "Ready WebRTC (WHIP) ingest; returns the WHIP URL",
  security: streamKey,
  request: { params: PublicIdParam },
  responses: {
    200: jsonResponse("WHIP endpoint", WhipInfo),
    401: errorResponse("no key"),
    403: errorResponse("wrong key"),
    404: errorResponse("unknown stream"),
    409: errorResponse("the stream has ended"),
  },
});

/** The public streams API: each route defined once, with the schemas it parses and documents. */
export function streamRoutes(deps: StreamRouteDeps): OpenAPIHono {
  const { store, media, chat, logger, pages } = deps;
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });
  registerBearerScheme(app, "streamKey");

  app.openapi(listStreams, async (c) => {
    const { limit, cursor: rawCursor } = c.req.valid("query");
    const cursor = rawCursor ? decodeCursor(rawCursor) : undefined;
    const body = await pages.get(`${limit}|${rawCursor ?? ""}`, async () =>
      JSON.stringify(toList(await store.list(limit, cursor), limit, deps.publicWebUrl, deps.viewers)),
    );
    // The page is cached as its JSON text (rendered once per refresh), so it is sent as is.
    return c.body(body, 200, { "content-type": "application/json" }) as never;
  });

  /** Makes the stream in media, chat and the table, in that order; on failure nothing is left behind. */
  async function create(
    c: Context,
    s: { publicId: string; privateId: string; name: string; creatorIp: string | null },
  ): Promise<StreamRow> {
    const { publicId } = s;
    // Both services first, the row last: a failure leaves nothing half-created behind.
    const [m, r] = await Promise.allSettled([media.create(publicId), chat.create(publicId)]);
    if (m.status === "rejected" || r.status === "rejected") {
      if (m.status === "fulfilled") await media.remove(publicId, m.value.node).catch(() => {});
      if (r.status === "fulfilled") await chat.remove(publicId).catch(() => {});
      const reason = m.status === "rejected" ? m.reason : r.status === "rejected" ? r.reason : undefined;
      const requestId = c.get("requestId" as never);
      logger.warn("start_stream failed upstream", { requestId, publicId, err: (reason as Error).message });
      // The upstream's words (host names, errors) go to the log only; the public gets the request id.
      throw new HttpError(
        503,
        "upstream_unavailable",
        `a service needed to create the stream is unavailable; nothing was created (request ${requestId})`,
        { "Retry-After": "2" },
      );
    }
    try {
      return await store.create({
        ...s,
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
  }

  app.openapi(startStream, async (c) => {
    const json = c.req.valid("json");
    const form = c.req.valid("form");
    const body = { name: json.name ?? form.name, creationToken: json.creationToken ?? form.creationToken };
    const raw = c.req.valid("query").name ?? body.name;
    if (raw === undefined)
      throw new HttpError(400, "invalid_input", "name is required (?name= or JSON body)");
    const parsed = StreamName.safeParse(raw);
    if (!parsed.success) throw new HttpError(400, "invalid_input", describeIssues(parsed.error, "name"));
    const name = parsed.data;
    const publicId = newPublicId();
    const privateId = newPrivateId();
    const admission = await deps.guardCreation(c, { name, creationToken: body.creationToken });
    let row: StreamRow | undefined;
    try {
      row = await create(c, { publicId, privateId, name, creatorIp: admission.creatorIp });
    } finally {
      await admission.settle?.(row !== undefined);
    }
    pages.clear();
    logger.info("stream created", { publicId, node: row.mediaNode });
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

  app.openapi(lookupStream, async (c) => {
    const { publicId } = c.req.valid("param");
    const { bitrate } = c.req.valid("query");
    const row = await store.get(publicId);
    if (!row) throw new HttpError(404, "not_found", "no stream with that public id");
    const recording =
      row.live && row.stateSession ? await deps.videos.recordingOf(publicId, row.stateSession) : undefined;
    return c.json(toLookup(row, bitrate, recording), 200);
  });

  const authorised = (publicId: string, authorization: string | undefined) =>
    ownedStream(store, publicId, authorization);

  app.openapi(stopStream, async (c) => {
    const row = await authorised(c.req.valid("param").publicId, c.req.header("authorization"));
    await endStream(deps, row, "owner", () => pages.clear());
    return c.body(null, 204);
  });

  app.openapi(startWrtcStream, async (c) => {
    const row = await authorised(c.req.valid("param").publicId, c.req.header("authorization"));
    if (row.endedAt) throw new HttpError(409, "stream_ended", "this stream has ended; start a new one");
    return c.json({ whipUrl: row.whipUrl }, 200);
  });

  return app;
}
