import { ClipCutRequest, type ClipCutResult } from "@hearth/contracts";
import { internalAuth, internalClient } from "@hearth/server-kit";
import { Hono } from "hono";
import { freePort } from "../../../tests/e2e/support/ports.ts";
import { INTERNAL } from "./harness.ts";

/**
 * A stand-in for a media node's recording API and chat's message deletion, served over real HTTP on a loopback
 * port (the manager's clients make real calls): it holds the recordings it is told about, cuts clips from them
 * by arithmetic and records every call. The real cut is tested with the media node and in tests/e2e.
 */
export function recordingNode() {
  const calls: string[] = [];
  /** Recordings this node holds: id → first frame (ms) and length (s). */
  const recordings = new Map<string, { startedAt: number; durationSeconds: number }>();
  const cuts: ClipCutRequest[] = [];
  const app = new Hono();
  app.use(internalAuth(INTERNAL));
  app.post("/internal/clips", async (c) => {
    const req = ClipCutRequest.parse(await c.req.json());
    cuts.push(req);
    const rec = recordings.get(req.videoId);
    if (!rec) return c.json({ error: { code: "not_found", message: "no such recording" } }, 404);
    const start =
      req.range.kind === "offset"
        ? rec.startedAt + req.range.startSeconds * 1000
        : req.range.endAtMs - req.durationSeconds * 1000;
    const end = Math.min(start + req.durationSeconds * 1000, rec.startedAt + rec.durationSeconds * 1000);
    const from = Math.max(start, rec.startedAt);
    if (end <= from) return c.json({ error: { code: "empty", message: "no segment in range" } }, 422);
    const out: ClipCutResult = {
      clipId: req.clipId,
      startedAt: from,
      durationSeconds: (end - from) / 1000,
      bytes: 4096,
    };
    calls.push(`cut ${req.videoId} ${req.clipId}`);
    return c.json(out);
  });
  app.delete("/internal/recordings/:videoId", (c) => {
    calls.push(`delete recording ${c.req.param("videoId")}`);
    recordings.delete(c.req.param("videoId"));
    return c.body(null, 204);
  });
  app.delete("/internal/clips/:clipId", (c) => {
    calls.push(`delete clip ${c.req.param("clipId")}`);
    return c.body(null, 204);
  });
  app.delete("/internal/rooms/:publicId/messages", (c) => {
    calls.push(`delete messages ${c.req.param("publicId")} ${c.req.query("from")} ${c.req.query("to")}`);
    return c.body(null, 204);
  });
  const server = Bun.serve({ hostname: "127.0.0.1", port: freePort(), fetch: app.fetch });
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    calls,
    cuts,
    recordings,
    client: (baseUrl = url) => internalClient({ service: "media", baseUrl, token: INTERNAL }),
    stop: () => server.stop(true),
  };
}

/** An address on loopback where nothing listens: a node that is down. */
export function deadUrl(): string {
  return `http://127.0.0.1:${freePort()}`;
}
