import { join } from "node:path";
import { PUBLIC_ID_CHARS } from "@hearth/contracts";
import { Hono } from "hono";
import { HLS_CORS, hlsNotFound } from "./hls-responses.ts";

/**
 * The one HLS-path object read from disk: `/hls/<publicId>/thumb.jpg`, the preview written every 10 s while
 * a stream is live (playlists, parts and segments come from the packager's memory, mounted before this).
 * Only that shape is served (no traversal, no odd names); anything else under /hls is a 404.
 */

const PATH = new RegExp(`^${PUBLIC_ID_CHARS}/thumb\\.jpg$`);

/**
 * Routes for `/hls/*` after the packager's (which also answers every CORS preflight under /hls): the preview
 * from `hlsDir`, 404 for everything else.
 */
export function thumbnailOrigin(hlsDir: string): Hono {
  const app = new Hono();
  app.on(["GET", "HEAD"], "/*", async (c) => {
    const rel = c.req.path.replace(/^\/hls\//, "");
    if (!PATH.test(rel)) return hlsNotFound();
    const file = Bun.file(join(hlsDir, rel));
    if (!(await file.exists())) return hlsNotFound();
    // Refreshed every 10 s while live: a CDN may keep it briefly.
    const headers = { ...HLS_CORS, "Content-Type": "image/jpeg", "Cache-Control": "public, max-age=5" };
    if (c.req.method === "HEAD")
      return new Response(null, { headers: { ...headers, "Content-Length": String(file.size) } });
    // Read fully: the preview is renamed into place, so a stream of a replaced inode could end short.
    return new Response(await file.arrayBuffer(), { headers });
  });
  return app;
}
