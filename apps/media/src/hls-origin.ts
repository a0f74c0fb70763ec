import { join } from "node:path";
import { Hono } from "hono";

/**
 * The HLS origin: `/hls/<publicId>/master.m3u8`, `/<rung>/index.m3u8`, `/<rung>/seg_<tag>_<n>.ts`,
 * `/thumb.jpg`. Only these shapes are served (no traversal, no odd names); caching is set for a CDN.
 */

const PATH =
  /^([A-Za-z0-9_-]{8,32})\/(master\.m3u8|thumb\.jpg|[a-z0-9_-]{1,16}\/(?:index\.m3u8|seg_[a-z0-9]{1,16}_\d{1,10}\.ts))$/;

const PLAYLIST = "application/vnd.apple.mpegurl";

function kind(name: string): { type: string; cache: string } {
  if (name.endsWith(".m3u8")) return { type: PLAYLIST, cache: "public, max-age=1" };
  // Segment names are unique per live session, so a cached segment is never wrong.
  if (name.endsWith(".ts")) return { type: "video/mp2t", cache: "public, max-age=31536000, immutable" };
  // The preview is refreshed every 10 s while live.
  return { type: "image/jpeg", cache: "public, max-age=5" };
}

const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
  "Access-Control-Allow-Headers": "Range",
  "Access-Control-Expose-Headers": "Content-Length, Content-Range",
  "Access-Control-Max-Age": "86400",
};

function notFound(): Response {
  return new Response(JSON.stringify({ error: { code: "not_found", message: "no such HLS resource" } }), {
    status: 404,
    headers: { ...CORS, "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}

/** Routes for `/hls/*`, reading from `hlsDir`. */
export function hlsOrigin(hlsDir: string): Hono {
  const app = new Hono();
  app.options("/*", () => new Response(null, { status: 204, headers: CORS }));
  app.on(["GET", "HEAD"], "/*", async (c) => {
    const rel = c.req.path.replace(/^\/hls\//, "");
    const m = PATH.exec(rel);
    if (!m) return notFound();
    const file = Bun.file(join(hlsDir, rel));
    if (!(await file.exists())) return notFound();
    const { type, cache } = kind(rel);
    const headers = { ...CORS, "Content-Type": type, "Cache-Control": cache };
    if (c.req.method === "HEAD")
      return new Response(null, { headers: { ...headers, "Content-Length": String(file.size) } });
    // Read fully: ffmpeg renames files into place, so a stream of a replaced inode could end short.
    return new Response(await file.arrayBuffer(), { headers });
  });
  return app;
}
