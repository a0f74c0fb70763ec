import { PUBLIC_ID_CHARS } from "@hearth/contracts";
import { Hono } from "hono";
import { HLS_CORS, hlsError, hlsNotFound } from "../hls-responses.ts";
import { isReady, isTooFarAhead, parseReloadRequest, ReloadError } from "./blocking-reload.ts";
import type { LlhlsStream } from "./llhls-stream.ts";
import { renderMediaPlaylist } from "./media-playlist.ts";
import { type HoldTimer, type RenditionPackager, realHoldTimer } from "./rendition-packager.ts";
import { parseResourceName } from "./resource-names.ts";

/** What the routes need from the registry. */
export interface LlhlsLookup {
  get(publicId: string): LlhlsStream | undefined;
}

const PLAYLIST = "application/vnd.apple.mpegurl";
const IMMUTABLE = "public, max-age=31536000, immutable";
const ID = new RegExp(`^${PUBLIC_ID_CHARS}$`);
const RUNG = /^[a-z0-9_-]{1,16}$/;

function media(bytes: Uint8Array, type = "video/mp4"): Response {
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    headers: { ...HLS_CORS, "Content-Type": type, "Cache-Control": IMMUTABLE },
  });
}

/** Blocking waits give up after three target durations (RFC 8216bis 6.2.5.2 asks for 503 then). */
const holdMs = (p: RenditionPackager) => p.o.targetDuration * 3000;

async function playlist(
  req: Request,
  query: (k: string) => string | undefined,
  s: LlhlsStream,
  name: string,
  after: HoldTimer,
) {
  const p = s.rendition(name);
  if (!p) return hlsNotFound();
  let directives: ReturnType<typeof parseReloadRequest>;
  try {
    directives = parseReloadRequest(query);
  } catch (err) {
    if (err instanceof ReloadError) return hlsError(400, "invalid_input", err.message);
    throw err;
  }
  const { msn, part } = directives;
  // 6.2.5.2: directives are ignored once the playlist has EXT-X-ENDLIST.
  const blocking = msn !== null && !p.ended;
  if (blocking) {
    if (isTooFarAhead(p, msn, part))
      return hlsError(400, "too_far_ahead", "requested segment or part is too far ahead");
    const ok = await p.waitFor(() => isReady(p, msn, part), holdMs(p), req.signal, after);
    if (!ok) return hlsError(503, "not_available", "the requested part did not appear in time");
  }
  if (p.currentInitSeq < 0) return hlsNotFound();
  const body = renderMediaPlaylist(p, {
    sessionTag: s.sessionTag,
    skip: directives.skip,
    reports: s.reportsFor(name),
  });
  // A blocking response names a state that never goes back, so a CDN may keep it a while (the query is in the key).
  const cache = blocking ? `public, max-age=${p.o.targetDuration * 3}` : "public, max-age=1";
  return new Response(body, { headers: { ...HLS_CORS, "Content-Type": PLAYLIST, "Cache-Control": cache } });
}

async function partResponse(
  req: Request,
  p: RenditionPackager,
  id: number,
  after: HoldTimer,
): Promise<Response> {
  const have = p.part(id);
  if (have) return media(have.bytes, "video/mp4");
  // Only the preload-hinted part is waited for; anything else missing is a plain 404 (6.2.6).
  if (id !== p.nextPartId || p.ended) return hlsNotFound();
  const ok = await p.waitFor(() => p.part(id) !== undefined || p.ended, holdMs(p), req.signal, after);
  const part = p.part(id);
  if (ok && part) return media(part.bytes, "video/mp4");
  return hlsError(503, "not_available", "the hinted part did not appear in time");
}

/** LL-HLS routes: `/<publicId>/master.m3u8` and `/<publicId>/<rung>/{index.m3u8,init-*.mp4,seg-*.m4s,part-*.m4s}`. */
export function llhlsRoutes(registry: LlhlsLookup, o: { holdTimer?: HoldTimer } = {}): Hono {
  const after = o.holdTimer ?? realHoldTimer;
  const app = new Hono();
  app.options("/*", () => new Response(null, { status: 204, headers: HLS_CORS }));
  app.get("/:publicId/master.m3u8", (c) => {
    const id = c.req.param("publicId");
    const s = ID.test(id) ? registry.get(id) : undefined;
    if (!s) return hlsNotFound();
    return new Response(s.renderMaster(), {
      headers: { ...HLS_CORS, "Content-Type": PLAYLIST, "Cache-Control": "public, max-age=1" },
    });
  });
  app.get("/:publicId/:rung/:file", async (c) => {
    const id = c.req.param("publicId");
    const rung = c.req.param("rung");
    const s = ID.test(id) && RUNG.test(rung) ? registry.get(id) : undefined;
    const p = s?.rendition(rung);
    if (!s || !p) return hlsNotFound();
    const ref = parseResourceName(c.req.param("file"), s.sessionTag);
    if (!ref) return hlsNotFound();
    if (ref.kind === "playlist") return playlist(c.req.raw, (k) => c.req.query(k), s, rung, after);
    if (ref.kind === "part") return partResponse(c.req.raw, p, ref.id, after);
    if (ref.kind === "segment") {
      const seg = p.segment(ref.msn);
      return seg?.bytes ? media(seg.bytes) : hlsNotFound();
    }
    const init = p.inits.get(ref.seq);
    return init ? media(init.bytes) : hlsNotFound();
  });
  return app;
}
