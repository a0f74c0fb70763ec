import { describe, expect, test } from "bun:test";
import { type RecordingReport, StreamLookup, StreamSettings, VideoList } from "@hearth/contracts";
import { clips } from "@hearth/db";
import { eq } from "drizzle-orm";
import { ADMIN } from "../testing/harness.ts";
import { ready, recordingFixture, recordingManager, recordingOf } from "../testing/recording-manager.ts";
import { deadUrl } from "../testing/recording-node.ts";

const kinds = ["postgres", "pglite"] as const;

describe.each(kinds)("recording reports on %s", (kind) => {
  const f = recordingFixture(kind);

  test("upserts in any order: the first report names it, growth never shrinks, ready is never undone", async () => {
    const m = recordingManager(f.handle, f.node);
    const s = await m.start("Friday night");
    expect((await m.phase(s.publicId, "live")).status).toBe(204);
    m.viewers.now = 7;
    const first = recordingOf(s.publicId, 60_000, { durationSeconds: 4, bytes: 400 });
    expect((await m.report(first)).status).toBe(204);
    let v = await m.video(first.videoId);
    if (typeof v === "number") throw new Error(`GET /video answered ${v}`);
    expect(v).toMatchObject({
      title: "Friday night",
      publicId: s.publicId,
      state: "recording",
      endedAt: null,
      durationSeconds: 4,
      peakViewers: 7,
      // The single node's HLS base: the one the stream's own playlist lives under.
      hlsUrl: `http://localhost:8083/hls/vod/${first.videoId}/master.m3u8`,
      thumbnailUrl: `http://localhost:8083/hls/vod/${first.videoId}/thumb.jpg`,
      watchUrl: `http://localhost:8080/videos/${first.videoId}`,
      chatReplayUrl: `http://localhost:8082/rooms/${s.publicId}/replay?from=${first.startedAt}`,
    });
    expect(v.startedAt).toBe(new Date(first.startedAt).toISOString());

    m.viewers.now = 3;
    expect((await m.report({ ...first, durationSeconds: 12, bytes: 1200 })).status).toBe(204);
    // A report that was overtaken by a newer one arrives late: nothing shrinks, the peak stays.
    expect((await m.report({ ...first, durationSeconds: 8, bytes: 800 })).status).toBe(204);
    v = await m.video(first.videoId);
    expect(v).toMatchObject({ state: "recording", durationSeconds: 12, peakViewers: 7 });

    const done = ready(first, 14, 1400);
    expect((await m.report(done)).status).toBe(204);
    expect((await m.report({ ...first, durationSeconds: 20, bytes: 2000 })).status).toBe(204);
    v = await m.video(first.videoId);
    if (typeof v === "number") throw new Error(`GET /video answered ${v}`);
    expect(v).toMatchObject({ state: "ready", durationSeconds: 14, peakViewers: 7 });
    expect(v.endedAt).toBe(new Date(done.endedAt ?? 0).toISOString());
    expect(v.chatReplayUrl).toBe(
      `http://localhost:8082/rooms/${s.publicId}/replay?from=${first.startedAt}&to=${done.endedAt}`,
    );
    // The ready report repeated (a restarted node finalising again) is idempotent.
    expect((await m.report(done)).status).toBe(204);
    expect(await m.video(first.videoId)).toEqual(v);
  });

  test("a registered node's HLS base; unknown stream 404; a body for another video 400; token required", async () => {
    const m = recordingManager(f.handle, f.node);
    const s = await m.start("on a node");
    const hb = await m.internal("/internal/nodes/heartbeat", "POST", {
      id: "edge-a",
      rtmpServer: "rtmp://a.example/live",
      whipBase: "http://a.example/whip",
      hlsBase: "http://cdn.example/hls/a",
      internalUrl: f.node.url,
      capacity: 10,
      load: 0,
    });
    expect(hb.status).toBe(204);
    const r = recordingOf(s.publicId, 1000, { node: "edge-a" });
    expect((await m.report(r)).status).toBe(204);
    const v = await m.video(r.videoId);
    expect(typeof v === "number" ? v : v.hlsUrl).toBe(
      `http://cdn.example/hls/a/vod/${r.videoId}/master.m3u8`,
    );

    const unknown = await m.report(recordingOf("AAAAAAAAAAAA"));
    expect(unknown.status).toBe(404);
    const other = await m.internal(`/internal/recordings/${r.videoId}`, "PUT", {
      ...r,
      videoId: "othervideo0001",
    });
    expect(other.status).toBe(400);
    const noToken = await m.req(`/internal/recordings/${r.videoId}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(r),
    });
    expect(noToken.status).toBe(401);
    expect(await m.video("nosuchvideo00001")).toBe(404);
    expect(await m.video("NOT-AN-ID")).toBe(400);
  });
});

describe("videos API", () => {
  const f = recordingFixture();

  test("GET /videos pages newest first; every stream's ready ones, or one stream's with its recording", async () => {
    const m = recordingManager(f.handle, f.node);
    const a = await m.start("stream a");
    const b = await m.start("stream b");
    const made: RecordingReport[] = [];
    // Seven finished broadcasts, an hour apart, alternating streams; then one recording now on a.
    for (let i = 0; i < 7; i++) {
      const r = recordingOf(i % 2 === 0 ? a.publicId : b.publicId, (10 - i) * 3_600_000);
      made.push(r);
      expect((await m.report(ready(r, 60))).status).toBe(204);
    }
    const live = recordingOf(a.publicId, 5_000);
    expect((await m.report(live)).status).toBe(204);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await m.req(`/videos?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const page = VideoList.parse(await res.json());
      seen.push(...page.videos.map((v) => v.videoId));
      for (const v of page.videos) expect(v.state).toBe("ready");
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    const expected = [...made].reverse().map((r) => r.videoId);
    // Other tests' videos are older (this database is shared by the file); ours come first, newest first.
    expect(seen.slice(0, 7)).toEqual(expected);
    expect(seen).not.toContain(live.videoId);

    const ofA = VideoList.parse(await (await m.req(`/videos?stream=${a.publicId}&limit=100`)).json());
    expect(ofA.videos.map((v) => v.videoId)).toEqual([
      live.videoId,
      ...expected.filter((id) => made.find((r) => r.videoId === id)?.publicId === a.publicId),
    ]);
    expect(ofA.videos[0]?.state).toBe("recording");
    expect(ofA.nextCursor).toBeNull();

    for (const bad of [
      "/videos?cursor=garbage",
      "/videos?limit=0",
      "/videos?limit=101",
      "/videos?stream=!",
    ]) {
      const res = await m.req(bad);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBeString();
    }
  });

  test("DELETE /video: the stream's key or the admin token; files, chat and row go; clips stay", async () => {
    const m = recordingManager(f.handle, f.node);
    const s = await m.start("to delete");
    const other = await m.start("someone else");
    const r = recordingOf(s.publicId, 120_000);
    f.node.recordings.set(r.videoId, { startedAt: r.startedAt, durationSeconds: 60 });
    expect((await m.report(r)).status).toBe(204);
    const del = (id: string, token?: string) =>
      m.req(`/video/${id}`, {
        method: "DELETE",
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      });

    // Still recording: not deletable yet.
    expect((await del(r.videoId, s.privateId)).status).toBe(409);
    const done = ready(r, 60);
    expect((await m.report(done)).status).toBe(204);
    // A clip of it, which must survive it.
    const clip = await m.req("/clips", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ videoId: r.videoId, startSeconds: 10, durationSeconds: 20 }),
    });
    expect(clip.status).toBe(201);
    const { clipId } = (await clip.json()) as { clipId: string };

    expect((await del(r.videoId)).status).toBe(401);
    expect((await del(r.videoId, "not-the-key-0123456789")).status).toBe(403);
    expect((await del(r.videoId, other.privateId)).status).toBe(403);
    expect(f.node.calls.filter((c) => c.includes(r.videoId) && c.startsWith("delete"))).toEqual([]);
    expect(await m.video(r.videoId)).not.toBe(404);

    expect((await del(r.videoId, s.privateId)).status).toBe(204);
    expect(f.node.calls).toContain(`delete recording ${r.videoId}`);
    expect(f.node.calls).toContain(`delete messages ${s.publicId} ${r.startedAt} ${done.endedAt}`);
    expect(await m.video(r.videoId)).toBe(404);
    expect((await del(r.videoId, s.privateId)).status).toBe(404);
    const [kept] = await f.handle.db.select().from(clips).where(eq(clips.id, clipId));
    expect(kept?.videoId).toBeNull();
    const got = await m.req(`/clip/${clipId}`);
    expect(got.status).toBe(200);
    expect(((await got.json()) as { videoId: string | null }).videoId).toBeNull();

    // The operator may delete any video.
    const r2 = recordingOf(s.publicId, 60_000);
    expect((await m.report(ready(r2, 30))).status).toBe(204);
    expect((await del(r2.videoId, ADMIN)).status).toBe(204);
    expect(await m.video(r2.videoId)).toBe(404);
  });

  test("wrong tokens are limited per client like the admin token: 10, then 429 even for the right one", async () => {
    const m = recordingManager(f.handle, f.node);
    const s = await m.start("guessed at");
    const r = recordingOf(s.publicId, 60_000);
    expect((await m.report(ready(r, 30))).status).toBe(204);
    const del = (token: string) =>
      m.req(`/video/${r.videoId}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 10; i++) expect((await del(`guess-${i}-0123456789abcdef`)).status).toBe(403);
    const refused = await del(ADMIN);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await m.video(r.videoId)).not.toBe(404);
  });

  test("media node or chat unreachable: 503 and the video is kept; asked again once they are back, it goes", async () => {
    const m = recordingManager(f.handle, f.node);
    const s = await m.start("node down");
    const hb = (internalUrl: string) =>
      m.internal("/internal/nodes/heartbeat", "POST", {
        id: "down-node",
        rtmpServer: "rtmp://d.example/live",
        whipBase: "http://d.example/whip",
        hlsBase: "http://cdn.example/hls/d",
        internalUrl,
        capacity: 10,
        load: 0,
      });
    expect((await hb(deadUrl())).status).toBe(204);
    const r = recordingOf(s.publicId, 60_000, { node: "down-node" });
    expect((await m.report(ready(r, 30))).status).toBe(204);
    const before = f.node.calls.length;
    const del = () =>
      m.req(`/video/${r.videoId}`, { method: "DELETE", headers: { authorization: `Bearer ${s.privateId}` } });
    const refused = await del();
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("upstream_unavailable");
    expect(await m.video(r.videoId)).not.toBe(404);
    // Nothing else was asked to delete: the chat of a kept video stays.
    expect(f.node.calls.slice(before)).toEqual([]);
    expect((await hb(f.node.url)).status).toBe(204);
    // Chat away: the files went, the row (and the chat) stay; asking again completes it.
    m.state.chatDown = true;
    expect((await del()).status).toBe(503);
    expect(f.node.calls.slice(before)).toEqual([`delete recording ${r.videoId}`]);
    expect(await m.video(r.videoId)).not.toBe(404);
    m.state.chatDown = false;
    expect((await del()).status).toBe(204);
    expect(f.node.calls.slice(before).filter((c) => c.startsWith("delete messages"))).toHaveLength(1);
    expect(await m.video(r.videoId)).toBe(404);
  });

  test("GET /stream shows the live session's recording as dvr, and only while it records", async () => {
    const m = recordingManager(f.handle, f.node);
    const s = await m.start("rewindable");
    const lookup = async () => StreamLookup.parse(await (await m.req(`/stream/${s.publicId}`)).json());
    expect((await lookup()).dvr).toBeNull();
    expect((await m.phase(s.publicId, "live", "sess-1")).status).toBe(204);
    expect((await lookup()).dvr).toBeNull();
    const r = recordingOf(s.publicId, 5000, { session: "sess-1" });
    expect((await m.report(r)).status).toBe(204);
    expect((await lookup()).dvr).toEqual({
      videoId: r.videoId,
      hlsUrl: `http://localhost:8083/hls/vod/${r.videoId}/master.m3u8`,
    });
    // A recording of an older session is not this broadcast's rewind.
    const old = recordingOf(s.publicId, 50_000, { session: "sess-0" });
    expect((await m.report(old)).status).toBe(204);
    expect((await lookup()).dvr?.videoId).toBe(r.videoId);
    expect((await m.report(ready(r, 5))).status).toBe(204);
    expect((await lookup()).dvr).toBeNull();
    expect((await m.phase(s.publicId, "ended", "sess-1")).status).toBe(204);
    expect((await lookup()).dvr).toBeNull();
  });

  test("PUT /stream/:id/settings with the stream key turns recording off; the key check answers it", async () => {
    const m = recordingManager(f.handle, f.node);
    const s = await m.start("private");
    const other = await m.start("other");
    const put = (body: unknown, token?: string) =>
      m.req(`/stream/${s.publicId}/settings`, {
        method: "PUT",
        headers: {
          "content-type": "application/json",
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify(body),
      });
    const verify = async () =>
      (await (await m.internal("/internal/keys/verify", "POST", { key: s.privateId })).json()) as {
        recording: boolean;
      };
    expect((await verify()).recording).toBe(true);
    expect((await put({ recording: false })).status).toBe(401);
    expect((await put({ recording: false }, other.privateId)).status).toBe(403);
    expect((await put({ recording: "no" }, s.privateId)).status).toBe(400);
    expect((await verify()).recording).toBe(true);
    const off = await put({ recording: false }, s.privateId);
    expect(off.status).toBe(200);
    expect(StreamSettings.parse(await off.json())).toEqual({ recording: false });
    expect((await verify()).recording).toBe(false);
    const unknown = await m.req("/stream/AAAAAAAAAAAA/settings", {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.privateId}` },
      body: JSON.stringify({ recording: true }),
    });
    expect(unknown.status).toBe(404);
    const on = await put({ recording: true }, s.privateId);
    expect(StreamSettings.parse(await on.json())).toEqual({ recording: true });
    expect((await verify()).recording).toBe(true);
  });

  test("the new routes are in /openapi.json; the internal report is not", async () => {
    const m = recordingManager(f.handle, f.node);
    const doc = (await (await m.req("/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.paths["/videos"] ?? {})).toEqual(["get"]);
    expect(Object.keys(doc.paths["/video/{videoId}"] ?? {}).sort()).toEqual(["delete", "get"]);
    expect(Object.keys(doc.paths["/clips"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/clip/{clipId}"] ?? {}).sort()).toEqual(["delete", "get"]);
    expect(Object.keys(doc.paths["/stream/{publicId}/settings"] ?? {})).toEqual(["put"]);
    expect(Object.keys(doc.paths).some((p) => p.includes("recordings"))).toBe(false);
  });
});
