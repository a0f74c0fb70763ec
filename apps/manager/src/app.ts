import {
  AppMetrics,
  errorHandler,
  errorResponse,
  HttpError,
  httpMetrics,
  type Logger,
  notFoundHandler,
  requestId,
} from "@hearth/server-kit";
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { methodNotAllowed } from "hono/method-not-allowed";
import { clipRoutes } from "./clip-routes.ts";
import type { ClipStore } from "./clip-store.ts";
import { healthRoutes } from "./health-routes.ts";
import { internalRoutes } from "./internal-routes.ts";
import type { LiveStateStore } from "./live-state.ts";
import type { MediaNodeStore } from "./media-nodes.ts";
import type { OwnerCheck } from "./owner-auth.ts";
import { type PageCache, pageCache } from "./page-cache.ts";
import type { Clock, TokenBuckets } from "./rate-limit.ts";
import type { RecordingFiles } from "./recording-files.ts";
import type { ChatService, MediaService } from "./services.ts";
import { type CreationGuard, openCreation, streamRoutes } from "./stream-routes.ts";
import { streamSettingsRoutes } from "./stream-settings-routes.ts";
import type { StreamStore } from "./stream-store.ts";
import { rejectInvalid } from "./validation-hook.ts";
import { videoRoutes } from "./video-routes.ts";
import type { VideoStore } from "./video-store.ts";
import type { ViewerCounts } from "./viewer-counts.ts";

export interface ManagerDeps {
  store: StreamStore;
  nodes: MediaNodeStore;
  liveState: LiveStateStore;
  media: MediaService;
  chat: ChatService;
  viewers: ViewerCounts;
  /** Recordings (past broadcasts) and clips: their rows, and their files on the media nodes. */
  videos: VideoStore;
  clips: ClipStore;
  files: RecordingFiles;
  /** Who may delete a video or clip besides its stream's owner: the admin token, wrong guesses limited. */
  owners: OwnerCheck;
  /** Clips made per client (POST /clips). */
  clipBuckets: TokenBuckets;
  logger: Logger;
  internalToken: string;
  /** Base of watch links, e.g. http://localhost:8080. */
  publicWebUrl: string;
  /** How long a directory page may be served from memory. */
  directoryCacheMs: number;
  /** Who may create streams (creation policy, rate limits); anyone when absent. */
  guardCreation?: CreationGuard;
  /** The operator's API (admin-routes.ts), mounted at /admin when given; its routes join /openapi.json. */
  admin?: OpenAPIHono;
  /** The manager's Prometheus registry; a fresh one when absent. */
  metrics?: AppMetrics;
  /** The cached public lists, shared with the sweepers that change them; one of directoryCacheMs when absent. */
  pages?: PageCache;
  clock?: Clock;
}

// Public bodies are a name and a token; a heartbeat lists every stream of a node (up to 10 000).
const PUBLIC_BODY_LIMIT = 16 * 1024;
const INTERNAL_BODY_LIMIT = 8 * 1024 * 1024;

const tooLarge = (max: number) =>
  bodyLimit({
    maxSize: max,
    onError: () => {
      throw new HttpError(413, "payload_too_large", `request bodies here are at most ${max} bytes`);
    },
  });

/** Builds the manager's app from its dependencies. Opens nothing itself. */
export function createApp(deps: ManagerDeps): OpenAPIHono {
  const { logger } = deps;
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });
  // Rendered pages cache per (limit, cursor); any write through this app drops them.
  const pages = deps.pages ?? pageCache(deps.directoryCacheMs);
  const clock = deps.clock ?? Date.now;

  const metrics = deps.metrics ?? new AppMetrics("manager");
  app.use(requestId());
  app.use(httpMetrics(metrics));
  app.onError(errorHandler(logger));
  app.notFound(notFoundHandler);
  // A path that exists with another method: 405 with Allow, in the house error shape.
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) => {
        c.header("Allow", methods.join(", "));
        return errorResponse(
          c,
          405,
          "method_not_allowed",
          `${c.req.method} is not allowed here; use ${methods.filter((m) => m !== "HEAD").join(" or ")}`,
        );
      },
    }),
  );
  // The public API is called from browsers on other origins (the web tier, any player).
  app.use(
    "*",
    cors({
      origin: "*",
      allowHeaders: ["Authorization", "Content-Type", "X-Creation-Token"],
      // The broadcast page tells a refused streamer when to try again.
      exposeHeaders: ["Retry-After"],
      maxAge: 600,
    }),
  );
  const small = tooLarge(PUBLIC_BODY_LIMIT);
  const large = tooLarge(INTERNAL_BODY_LIMIT);
  app.use((c, next) => (c.req.path.startsWith("/internal/") ? large(c, next) : small(c, next)));

  // Operational, not part of the public API document.
  app.get("/metrics", () => metrics.render());

  app.route(
    "/",
    healthRoutes({
      logger,
      checks: {
        database: async () => {
          await deps.store.ping();
          return "the database answers";
        },
        media: () => deps.media.ready(),
        chat: () => deps.chat.ready(),
      },
    }),
  );
  app.route(
    "/",
    streamRoutes({
      store: deps.store,
      media: deps.media,
      chat: deps.chat,
      viewers: deps.viewers,
      videos: deps.videos,
      logger,
      pages,
      guardCreation: deps.guardCreation ?? openCreation,
      publicWebUrl: deps.publicWebUrl,
    }),
  );
  app.route("/", streamSettingsRoutes({ store: deps.store }));
  app.route(
    "/",
    videoRoutes({
      videos: deps.videos,
      store: deps.store,
      files: deps.files,
      chat: deps.chat,
      owners: deps.owners,
      pages,
      logger,
      clock,
      publicWebUrl: deps.publicWebUrl,
    }),
  );
  app.route(
    "/",
    clipRoutes({
      clips: deps.clips,
      videos: deps.videos,
      store: deps.store,
      files: deps.files,
      owners: deps.owners,
      buckets: deps.clipBuckets,
      logger,
      clock,
      publicWebUrl: deps.publicWebUrl,
    }),
  );
  app.route(
    "/internal",
    internalRoutes({
      store: deps.store,
      nodes: deps.nodes,
      liveState: deps.liveState,
      videos: deps.videos,
      viewers: deps.viewers,
      token: deps.internalToken,
      logger,
      clock,
      onChange: () => pages.clear(),
    }),
  );
  if (deps.admin) {
    // The operator may end streams there: a write through /admin drops the cached pages, as one here does.
    app.use("/admin/*", async (c, next) => {
      await next();
      if (c.req.method !== "GET" && c.res.ok) pages.clear();
    });
    app.route("/admin", deps.admin);
  }

  // Generated from the routes above: the document cannot drift from what they parse.
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Hearth manager",
      version: "1.0.0",
      description: "Streams: create, list, look up, stop; their past broadcasts and clips.",
    },
  });
  return app;
}
