import type { StreamCreationPolicy } from "@hearth/contracts/mini";
import { AppMetrics, httpMetrics, type Logger, requestId } from "@hearth/server-kit";
import { type Context, Hono } from "hono";
import { type ComponentChildren, h } from "preact";
import type { ManagerApi } from "./manager-api.ts";
import * as notFound from "./routes/_404.tsx";
import * as errorPage from "./routes/_500.tsx";
import * as admin from "./routes/admin.tsx";
import * as broadcast from "./routes/broadcast.tsx";
import * as clip from "./routes/clip.tsx";
import * as home from "./routes/index.tsx";
import * as video from "./routes/video.tsx";
import * as watch from "./routes/watch.tsx";
import { type PageAssets, renderDocument } from "./runtime/render.tsx";
import type { PageHead, RouteContext, RouteModule } from "./runtime/route.ts";

/** A static or bundled file the app serves (loaded by main.ts; in memory so the app needs no filesystem). */
export interface Asset {
  body: string | Uint8Array;
  type: string;
  /** Content-hashed names can be cached for good. */
  immutable: boolean;
}

export interface WebDeps {
  manager: ManagerApi;
  /** The manager's public base URL, for islands. */
  managerUrl: string;
  /** The instance's STREAM_CREATION (the manager enforces it; pages only explain it). */
  streamCreation?: StreamCreationPolicy;
  logger: Logger;
  /** URL path → file; covers /islands/* and /static/*. */
  assets: Map<string, Asset>;
  pageAssets: PageAssets;
  /** The web tier's Prometheus registry; a fresh one when absent. */
  metrics?: AppMetrics;
}

/** Builds the web tier's Hono app: the pages (directory, watch, videos, clips, broadcast, operator), error pages and assets. */
export function createApp(deps: WebDeps): Hono {
  const app = new Hono();
  const metrics = deps.metrics ?? new AppMetrics("web");
  app.use(requestId());
  app.use(httpMetrics(metrics));
  app.use("*", async (c, next) => {
    await next();
    // Pages embed no third-party content; these keep them from being framed or sniffed.
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "strict-origin-when-cross-origin");
    if (!c.res.headers.has("X-Frame-Options")) c.header("X-Frame-Options", "DENY");
  });

  function html(c: Context, head: PageHead, body: ComponentChildren, status: number): Response {
    const doc = renderDocument(head, body, deps.pageAssets);
    return c.html(doc, status as 200, { "Cache-Control": "no-store" });
  }

  function page<D>(path: string, mod: RouteModule<D>, fallback?: () => D) {
    app.get(path, async (c) => {
      const ctx: RouteContext = {
        manager: deps.manager,
        managerUrl: deps.managerUrl,
        streamCreation: deps.streamCreation ?? "open",
        params: c.req.param() as Record<string, string>,
        url: new URL(c.req.url),
      };
      const result = mod.handler
        ? await mod.handler.GET(c.req.raw, ctx)
        : { data: (fallback as () => D)(), head: { title: "Hearth" } };
      if (result instanceof Response) return result;
      const Page = mod.default;
      return html(c, result.head, h(Page, { data: result.data }), result.status ?? 200);
    });
  }

  page("/", home);
  page("/watch/:publicId", watch);
  page("/videos/:videoId", video);
  page("/clips/:clipId", clip);
  page("/broadcast", broadcast);
  page("/admin", admin);

  app.get("/favicon.ico", (c) => c.redirect("/static/favicon.svg", 301));
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/metrics", () => metrics.render());
  app.on(["GET", "HEAD"], "/*", async (c, next) => {
    const asset = deps.assets.get(c.req.path);
    if (!asset) return next();
    return c.body(asset.body as string, 200, {
      "Content-Type": asset.type,
      "Cache-Control": asset.immutable ? "public, max-age=31536000, immutable" : "public, max-age=300",
    });
  });

  app.notFound((c) => {
    const NotFound = notFound.default;
    return html(c, { title: "Not found · Hearth" }, h(NotFound, { data: {} }), 404);
  });
  app.onError((err, c) => {
    const id = c.get("requestId" as never) as string | undefined;
    deps.logger.error("page failed", {
      requestId: id,
      path: c.req.path,
      err: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    const ErrorPage = errorPage.default;
    const data = {
      message: "This page could not be rendered. Please try again in a moment.",
      requestId: id,
      retry: c.req.path,
    };
    return html(c, { title: "Error · Hearth" }, h(ErrorPage, { data }), 500);
  });
  return app;
}
