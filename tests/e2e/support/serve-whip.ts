import type { WhipIngest } from "../../../apps/media/src/whip/index.ts";

/**
 * Serves a WHIP ingest's routes under /whip on a free loopback port, the way the media node's app
 * mounts them (tests and benchmarks sit outside the workspaces, so they cannot import hono here).
 * GET /bench/stats lists every session's forwarded packet and byte counters.
 */
export function serveWhip(ingest: WhipIngest): { url: string; stop(): void } {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/bench/stats") {
        const stats = [...ingest.sessions()].map(([publicId, s]) => ({ publicId, ...s.forwarded }));
        return Response.json(stats);
      }
      if (!url.pathname.startsWith("/whip/")) return new Response("not found", { status: 404 });
      url.pathname = url.pathname.slice("/whip".length);
      return ingest.routes.fetch(new Request(url, req));
    },
  });
  return { url: `http://127.0.0.1:${server.port}/whip`, stop: () => server.stop(true) };
}
