import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { StartedStream, StreamList, StreamLookup, StreamSummary } from "@hearth/contracts";
import { type DatabaseHandle, streams } from "@hearth/db";
import { freshDatabase, INTERNAL, managerFor } from "../testing/harness.ts";

const kinds = ["postgres", "pglite"] as const;

describe.each(kinds)("manager on %s", (kind) => {
  let handle: DatabaseHandle;
  let m: ReturnType<typeof managerFor>;
  beforeAll(async () => {
    handle = await freshDatabase(kind);
    m = managerFor(handle);
  });
  afterAll(async () => {
    await handle.close();
  });

  const req = (path: string, init?: RequestInit) => m.app.request(`http://localhost${path}`, init);
  const start = async (name: string) => {
    const res = await req(`/start_stream?name=${encodeURIComponent(name)}`, { method: "POST" });
    expect(res.status).toBe(201);
    return StartedStream.parse(await res.json());
  };
  let seq = 0;
  const setLive = (publicId: string, live: boolean, rungs: unknown[] = []) =>
    req(`/internal/streams/${publicId}/state`, {
      method: "POST",
      headers: { authorization: `Bearer ${INTERNAL}`, "content-type": "application/json" },
      body: JSON.stringify({
        phase: live ? "live" : "ended",
        origin: { node: "default", session: "test", epoch: 1, seq: seq++ },
        rungs,
      }),
    });

  test("create → list → lookup by bitrate → stop", async () => {
    const s = await start("  My first stream  ");
    expect(s.name).toBe("My first stream");
    expect(s.publicId).toMatch(/^[A-Za-z0-9_-]{12}$/);
    // 192 bits of randomness, base64url: 32 characters after the prefix.
    expect(s.privateId).toMatch(/^live_[A-Za-z0-9_-]{32}$/);
    expect(s.rtmp).toEqual({ server: "rtmp://localhost:1935/live", streamKey: s.privateId });
    expect(s.watchUrl).toBe(`http://localhost:8080/watch/${s.publicId}`);
    expect(m.calls).toContain(`media.create ${s.publicId}`);
    expect(m.calls).toContain(`chat.create ${s.publicId}`);

    const list = StreamList.parse(await (await req("/streams")).json());
    const found = list.streams.find((x) => x.publicId === s.publicId);
    expect(found).toMatchObject({ name: "My first stream", live: false, viewers: 0, startedAt: null });
    expect(found?.thumbnailUrl).toBe(`http://localhost:8083/hls/${s.publicId}/thumb.jpg`);

    const rungs = [
      { name: "source", bandwidth: 4_000_000, width: 1280, height: 720, playlist: "source/index.m3u8" },
      { name: "480p", bandwidth: 1_100_000, width: 854, height: 480, playlist: "480p/index.m3u8" },
      { name: "360p", bandwidth: 700_000, width: 640, height: 360, playlist: "360p/index.m3u8" },
    ];
    expect((await setLive(s.publicId, true, rungs)).status).toBe(204);
    const live = StreamList.parse(await (await req("/streams")).json()).streams[0];
    expect(live?.publicId).toBe(s.publicId);
    expect(live?.live).toBe(true);
    expect(live?.viewers).toBe(3);
    expect(live?.startedAt).not.toBeNull();

    const master = StreamLookup.parse(await (await req(`/stream/${s.publicId}`)).json());
    expect(master.hlsUrl).toBe(s.hlsUrl);
    expect(master.rungs.map((r) => r.name)).toEqual(["source", "480p", "360p"]);
    const fits = StreamLookup.parse(await (await req(`/stream/${s.publicId}?bitrate=1500000`)).json());
    expect(fits.hlsUrl).toBe(`http://localhost:8083/hls/${s.publicId}/480p/index.m3u8`);
    const tiny = StreamLookup.parse(await (await req(`/stream/${s.publicId}?bitrate=1000`)).json());
    expect(tiny.hlsUrl).toBe(`http://localhost:8083/hls/${s.publicId}/360p/index.m3u8`);
    const huge = StreamLookup.parse(await (await req(`/stream/${s.publicId}?bitrate=99000000`)).json());
    expect(huge.hlsUrl).toBe(`http://localhost:8083/hls/${s.publicId}/source/index.m3u8`);
    // Any positive bitrate: far beyond every rung (even beyond 2^53) picks the top rung, a fraction is fine.
    const enormous = await req(`/stream/${s.publicId}?bitrate=${"9".repeat(40)}`);
    expect(enormous.status).toBe(200);
    expect(StreamLookup.parse(await enormous.json()).hlsUrl).toBe(huge.hlsUrl);
    const fraction = await req(`/stream/${s.publicId}?bitrate=1500000.5`);
    expect(StreamLookup.parse(await fraction.json()).hlsUrl).toBe(fits.hlsUrl);
    const exponent = await req(`/stream/${s.publicId}?bitrate=1.5e6`);
    expect(StreamLookup.parse(await exponent.json()).hlsUrl).toBe(fits.hlsUrl);

    const stop = await req(`/stop_stream/${s.publicId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${s.privateId}` },
    });
    expect(stop.status).toBe(204);
    expect(m.calls).toContain(`media.remove ${s.publicId}`);
    expect(m.calls).toContain(`chat.remove ${s.publicId}`);
    const after = StreamList.parse(await (await req("/streams")).json());
    expect(after.streams.some((x) => x.publicId === s.publicId)).toBe(false);
    // History is kept: the stream is still known, and offline.
    const ended = StreamLookup.parse(await (await req(`/stream/${s.publicId}`)).json());
    expect(ended.live).toBe(false);
    // An ended stream's key no longer verifies.
    const verify = await req("/internal/keys/verify", {
      method: "POST",
      headers: { authorization: `Bearer ${INTERNAL}`, "content-type": "application/json" },
      body: JSON.stringify({ key: s.privateId }),
    });
    expect(verify.status).toBe(403);
  });

  test("JSON body works as well as the query", async () => {
    const res = await req("/start_stream", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "from json" }),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { name: string }).name).toBe("from json");
  });

  test("wrong or missing key changes nothing", async () => {
    const s = await start("guarded");
    const other = await start("other");
    const missing = await req(`/stop_stream/${s.publicId}`, { method: "POST" });
    expect(missing.status).toBe(401);
    const wrong = await req(`/stop_stream/${s.publicId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${other.privateId}` },
    });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    const wrtc = await req(`/start_wrtc_stream/${s.publicId}`, {
      method: "POST",
      headers: { authorization: "Bearer nope" },
    });
    expect(wrtc.status).toBe(403);
    const list = StreamList.parse(await (await req("/streams?limit=100")).json());
    expect(list.streams.some((x) => x.publicId === s.publicId)).toBe(true);
    const ok = await req(`/start_wrtc_stream/${s.publicId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${s.privateId}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ whipUrl: s.whipUrl });
  });

  test("unknown ids are 404, malformed ones 400", async () => {
    const unknown = await req("/stream/AAAAAAAAAAAA");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: { code: "not_found", message: "no stream with that public id" },
    });
    expect((await req("/stream/bad!id")).status).toBe(400);
    expect(
      (await req("/stop_stream/AAAAAAAAAAAA", { method: "POST", headers: { authorization: "Bearer x" } }))
        .status,
    ).toBe(404);
    for (const bad of ["abc", "0", "0.0", "-5", "1e-3", ""]) {
      const res = await req(`/stream/AAAAAAAAAAAA?bitrate=${bad}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("invalid_input");
      expect(body.error.message).toStartWith("bitrate");
    }
    expect((await req("/streams?limit=0")).status).toBe(400);
    expect((await req("/streams?cursor=garbage")).status).toBe(400);
  });

  test("a form body works too (an empty one as curl -d sends it); another body type is 415", async () => {
    const form = await req("/start_stream", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "name=from+a+form",
    });
    expect(form.status).toBe(201);
    expect(((await form.json()) as { name: string }).name).toBe("from a form");
    // What `curl -X POST '...?name=x' -d ''` sends.
    const curl = await req("/start_stream?name=curl", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "",
    });
    expect(curl.status).toBe(201);
    const xml = await req("/start_stream?name=x", {
      method: "POST",
      headers: { "content-type": "text/xml" },
      body: "<name>x</name>",
    });
    expect(xml.status).toBe(415);
    expect(((await xml.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
  });

  test("names: empty, oversize and control characters are refused", async () => {
    for (const bad of ["", "   ", "x".repeat(81), "bad\u0007name", "tab\there", "nul\u0000"]) {
      const res = await req(`/start_stream?name=${encodeURIComponent(bad)}`, { method: "POST" });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("invalid_input");
      expect(body.error.message.length).toBeGreaterThan(0);
    }
    expect((await req("/start_stream", { method: "POST" })).status).toBe(400);
    const badJson = await req("/start_stream", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(badJson.status).toBe(400);
    // 80 characters is the limit, inclusive.
    expect((await req(`/start_stream?name=${"y".repeat(80)}`, { method: "POST" })).status).toBe(201);
  });

  test("GET on a state-changing path is 405 with Allow", async () => {
    for (const path of ["/start_stream", "/stop_stream/AAAAAAAAAAAA", "/start_wrtc_stream/AAAAAAAAAAAA"]) {
      const res = await req(path);
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toContain("POST");
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
    }
    const post = await req("/streams", { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toContain("GET");
  });

  test("a row whose playlist URL is not in the usual layout still lists (no 500 for the directory)", async () => {
    const publicId = `odd${Date.now().toString(36)}`.slice(0, 12).padEnd(12, "x");
    await handle.db.insert(streams).values({
      publicId,
      name: "odd row",
      keyHash: `hash-${publicId}`,
      rtmpServer: "rtmp://127.0.0.1/live",
      whipUrl: "http://127.0.0.1/whip",
      hlsUrl: "http://127.0.0.1/hls",
      chatUrl: "ws://127.0.0.1/rooms",
    });
    const res = await req("/streams?limit=100");
    expect(res.status).toBe(200);
    const odd = StreamList.parse(await res.json()).streams.find((s) => s.publicId === publicId);
    expect(odd?.thumbnailUrl).toBe("http://127.0.0.1/thumb.jpg");
  });

  test("/metrics counts requests by route pattern, never by raw path", async () => {
    await req("/stream/AAAAAAAAAAAA");
    const text = await (await req("/metrics")).text();
    expect(text).toContain('route="/stream/:publicId"');
    expect(text).not.toContain("AAAAAAAAAAAA");
  });

  test("bodies over the limit are 413; every answer carries a request id", async () => {
    const res = await req("/start_stream", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x", creationToken: "y".repeat(64 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    expect(res.headers.get("x-request-id")).toMatch(/^[\w-]+$/);
    const kept = await req("/healthz", { headers: { "x-request-id": "abc-123" } });
    expect(kept.headers.get("x-request-id")).toBe("abc-123");
    const hostile = await req("/healthz", { headers: { "x-request-id": 'a b"c' } });
    expect(hostile.headers.get("x-request-id")).not.toContain(" ");
  });

  test("readiness: 200 only when the database, media and chat are all there; each check reported", async () => {
    const ok = await req("/readyz");
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { ready: boolean; checks: Record<string, { ok: boolean }> };
    expect(body.ready).toBe(true);
    expect(Object.keys(body.checks).sort()).toEqual(["chat", "database", "media"]);
    m.state.chatDown = true;
    const noChat = await req("/readyz");
    m.state.chatDown = false;
    expect(noChat.status).toBe(503);
    const nb = (await noChat.json()) as { checks: Record<string, { ok: boolean }>; error: { code: string } };
    expect(nb.checks.chat?.ok).toBe(false);
    expect(nb.checks.media?.ok).toBe(true);
    expect(nb.error.code).toBe("chat_unavailable");
    m.state.mediaNotReady = true;
    const noMedia = await req("/readyz");
    m.state.mediaNotReady = false;
    expect(noMedia.status).toBe(503);
    expect(((await noMedia.json()) as { error: { code: string } }).error.code).toBe("media_unavailable");
  });

  test("an unreachable service leaves no half-created stream", async () => {
    const before = StreamList.parse(await (await req("/streams?limit=100")).json()).streams.length;
    m.state.chatDown = true;
    const res = await req("/start_stream?name=doomed", { method: "POST" });
    m.state.chatDown = false;
    expect(res.status).toBe(503);
    // The media node had accepted it: the manager must have taken it back.
    const created = m.calls
      .filter((c) => c.startsWith("media.create"))
      .at(-1)
      ?.split(" ")[1];
    expect(m.calls).toContain(`media.remove ${created}`);
    m.state.mediaDown = true;
    expect((await req("/start_stream?name=doomed2", { method: "POST" })).status).toBe(503);
    m.state.mediaDown = false;
    const after = StreamList.parse(await (await req("/streams?limit=100")).json()).streams.length;
    expect(after).toBe(before);
  });

  test("cursor pagination walks every stream exactly once", async () => {
    for (let i = 0; i < 7; i++) await start(`page ${i}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 50; guard++) {
      const q: string = cursor ? `&cursor=${cursor}` : "";
      const page = StreamList.parse(await (await req(`/streams?limit=3${q}`)).json());
      seen.push(...page.streams.map((s) => s.publicId));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    const all = StreamList.parse(await (await req("/streams?limit=100")).json()).streams.map(
      (s) => s.publicId,
    );
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(seen.length);
  });

  test("the private id never appears in a public response", async () => {
    const s = await start("secret keeper");
    await setLive(s.publicId, true);
    const bodies = await Promise.all(
      [
        "/streams",
        `/stream/${s.publicId}`,
        `/stream/${s.publicId}?bitrate=1`,
        "/openapi.json",
        "/healthz",
      ].map(async (p) => await (await req(p)).text()),
    );
    for (const b of bodies) expect(b).not.toContain(s.privateId);
    const raw = await handle.db.execute("select * from streams" as never);
    expect(JSON.stringify(raw)).not.toContain(s.privateId);
  });

  test("a media node's refusal is shown on the offline stream until it goes live; never on a live one", async () => {
    const s = await start("refused");
    const refuse = (code: string) =>
      req(`/internal/streams/${s.publicId}/refusal`, {
        method: "POST",
        headers: { authorization: `Bearer ${INTERNAL}`, "content-type": "application/json" },
        body: JSON.stringify({
          node: "default",
          code,
          message: "This media node is at capacity; try again in 30 s.",
          retryAfterSeconds: 30,
        }),
      });
    const lookup = async () => StreamLookup.parse(await (await req(`/stream/${s.publicId}`)).json());
    expect((await lookup()).refusal).toBeNull();
    expect((await refuse("at_capacity")).status).toBe(204);
    expect((await lookup()).refusal).toMatchObject({
      code: "at_capacity",
      message: "This media node is at capacity; try again in 30 s.",
      retryAfterSeconds: 30,
    });
    expect((await refuse("not_a_code")).status).toBe(400);
    expect((await setLive(s.publicId, true)).status).toBe(204);
    expect((await lookup()).refusal).toBeNull();
    // A second publisher refused while the stream is live says nothing about the live one.
    expect((await refuse("already_live")).status).toBe(204);
    expect((await setLive(s.publicId, false)).status).toBe(204);
    expect((await lookup()).refusal).toBeNull();
    const unknown = await req("/internal/streams/unknownStream1/refusal", {
      method: "POST",
      headers: { authorization: `Bearer ${INTERNAL}`, "content-type": "application/json" },
      body: JSON.stringify({
        node: "default",
        code: "no_media",
        message: "no video",
        retryAfterSeconds: null,
      }),
    });
    expect(unknown.status).toBe(204);
  });

  test("internal routes need the internal token", async () => {
    const s = await start("internal");
    expect((await req(`/internal/streams/${s.publicId}/state`, { method: "POST" })).status).toBe(401);
    const wrong = await req("/internal/keys/verify", {
      method: "POST",
      headers: { authorization: "Bearer wrong", "content-type": "application/json" },
      body: JSON.stringify({ key: s.privateId }),
    });
    expect(wrong.status).toBe(403);
    const ok = await req("/internal/keys/verify", {
      method: "POST",
      headers: { authorization: `Bearer ${INTERNAL}`, "content-type": "application/json" },
      body: JSON.stringify({ key: s.privateId, publicId: s.publicId }),
    });
    expect(await ok.json()).toEqual({ publicId: s.publicId, recording: true });
  });

  test("openapi.json lists every route", async () => {
    const doc = (await (await req("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toStartWith("3.");
    for (const p of [
      "/streams",
      "/start_stream",
      "/stream/{publicId}",
      "/stop_stream/{publicId}",
      "/start_wrtc_stream/{publicId}",
      "/healthz",
      "/readyz",
    ]) {
      expect(doc.paths[p]).toBeDefined();
    }
    // Service-to-service routes are not part of the public document.
    expect(Object.keys(doc.paths).some((p) => p.startsWith("/internal"))).toBe(false);
    // Generated from the contracts the routes parse with: every field of the contract is in the document.
    const full = doc as unknown as {
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    };
    const listed = JSON.stringify(full.components.schemas.StreamList);
    for (const field of Object.keys(StreamSummary.shape)) expect(listed).toContain(`"${field}"`);
    expect(Object.keys(full.components.schemas.StreamLookup?.properties ?? {}).sort()).toEqual(
      Object.keys(StreamLookup.shape).sort(),
    );
    const params = full.paths["/stream/{publicId}"]?.get?.parameters ?? [];
    expect(params.map((p) => `${p.in}:${p.name}`).sort()).toEqual(["path:publicId", "query:bitrate"]);
    expect((await req("/readyz")).status).toBe(200);
  });
});
