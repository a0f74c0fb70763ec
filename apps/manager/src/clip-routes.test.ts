import { describe, expect, test } from "bun:test";
import { Clip, ClipList, ErrorBody, LIVE_CLIP_WINDOW_SECONDS } from "@hearth/contracts";
import { ADMIN, manualClock } from "../testing/harness.ts";
import { ready, recordingFixture, recordingManager, recordingOf } from "../testing/recording-manager.ts";
import { tokenBuckets } from "./rate-limit.ts";

const f = recordingFixture();

const code = async (res: Response) => ErrorBody.parse(await res.json()).error.code;

function manager(clock = manualClock()) {
  const buckets = tokenBuckets({ burst: 3, perHour: 60, clock: clock.now });
  const m = recordingManager(f.handle, f.node, { now: clock.now, override: { clipBuckets: buckets } });
  const clip = (body: unknown, headers: Record<string, string> = {}) =>
    m.req("/clips", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  return { ...m, clip, clock };
}

describe("clips", () => {
  test("from a video: the manager names it, the node cuts it, the row is kept; GET and lists find it", async () => {
    const m = manager();
    const s = await m.start("clipped");
    const r = recordingOf(s.publicId, 600_000, { startedAt: m.clock.now() - 600_000 });
    f.node.recordings.set(r.videoId, { startedAt: r.startedAt, durationSeconds: 300 });
    expect((await m.report(ready(r, 300))).status).toBe(204);

    const res = await m.clip({
      videoId: r.videoId,
      startSeconds: 30,
      durationSeconds: 20,
      title: "the goal",
    });
    expect(res.status).toBe(201);
    const c = Clip.parse(await res.json());
    expect(c.clipId).toMatch(/^[a-z0-9]{16}$/);
    expect(c).toMatchObject({
      publicId: s.publicId,
      videoId: r.videoId,
      title: "the goal",
      durationSeconds: 20,
      startedAt: new Date(r.startedAt + 30_000).toISOString(),
      hlsUrl: `http://localhost:8083/hls/clips/${c.clipId}/master.m3u8`,
      thumbnailUrl: `http://localhost:8083/hls/clips/${c.clipId}/thumb.jpg`,
      watchUrl: `http://localhost:8080/clips/${c.clipId}`,
    });
    expect(f.node.cuts.at(-1)).toEqual({
      clipId: c.clipId,
      videoId: r.videoId,
      range: { kind: "offset", startSeconds: 30 },
      durationSeconds: 20,
    });
    expect(Clip.parse(await (await m.req(`/clip/${c.clipId}`)).json())).toEqual(c);
    // Without a title, the video's.
    m.clock.advance(1000);
    const untitled = Clip.parse(
      await (await m.clip({ videoId: r.videoId, startSeconds: 100, durationSeconds: 5 })).json(),
    );
    expect(untitled.title).toBe("clipped");

    const byVideo = ClipList.parse(await (await m.req(`/clips?video=${r.videoId}&limit=1`)).json());
    expect(byVideo.clips.map((x) => x.clipId)).toEqual([untitled.clipId]);
    expect(byVideo.nextCursor).not.toBeNull();
    const next = ClipList.parse(
      await (await m.req(`/clips?video=${r.videoId}&limit=1&cursor=${byVideo.nextCursor}`)).json(),
    );
    expect(next.clips.map((x) => x.clipId)).toEqual([c.clipId]);
    const byStream = ClipList.parse(await (await m.req(`/clips?stream=${s.publicId}`)).json());
    expect(byStream.clips.map((x) => x.clipId)).toEqual([untitled.clipId, c.clipId]);
    expect(byStream.nextCursor).toBeNull();
    expect((await m.req("/clip/nosuchclip000000")).status).toBe(404);
  });

  test("from a live stream: the wall range before endAt, within the live window; refusals say why", async () => {
    const m = manager();
    const s = await m.start("live one");
    const body = { stream: s.publicId, durationSeconds: 30 };
    expect(await code(await m.clip(body))).toBe("stream_offline");
    expect((await m.phase(s.publicId, "live", "sess-live")).status).toBe(204);
    const refused = await m.clip(body);
    expect(refused.status).toBe(409);
    expect(await code(refused)).toBe("not_recorded");

    const r = recordingOf(s.publicId, 0, {
      session: "sess-live",
      startedAt: m.clock.now() + 20 * 60_000 - 300_000,
    });
    f.node.recordings.set(r.videoId, { startedAt: r.startedAt, durationSeconds: 300 });
    expect((await m.report(r)).status).toBe(204);
    m.clock.advance(20 * 60_000); // the refusals above spent the burst (every attempt counts)
    const now = await m.clip(body);
    expect(now.status).toBe(201);
    const c = Clip.parse(await now.json());
    expect(c).toMatchObject({ videoId: r.videoId, title: "live one", durationSeconds: 30 });
    expect(f.node.cuts.at(-1)?.range).toEqual({ kind: "wall", endAtMs: m.clock.now() });

    const endAt = new Date(m.clock.now() - 60_000).toISOString();
    const earlier = await m.clip({ ...body, endAt });
    expect(earlier.status).toBe(201);
    expect(f.node.cuts.at(-1)?.range).toEqual({ kind: "wall", endAtMs: m.clock.now() - 60_000 });

    m.clock.advance(20 * 60_000); // refill the bucket: these refusals must be about the range
    for (const at of [m.clock.now() - (LIVE_CLIP_WINDOW_SECONDS + 1) * 1000, m.clock.now() + 10_000]) {
      const res = await m.clip({ ...body, endAt: new Date(at).toISOString() });
      expect(res.status).toBe(422);
      expect(await code(res)).toBe("clip_out_of_window");
    }
  });

  test("bad bodies are 400; out of the video 422; unknown 404; the node's 422 passes through", async () => {
    const m = manager();
    const s = await m.start("validated");
    const r = recordingOf(s.publicId, 0, { startedAt: m.clock.now() - 100_000 });
    f.node.recordings.set(r.videoId, { startedAt: r.startedAt, durationSeconds: 40 });
    expect((await m.report(ready(r, 100))).status).toBe(204);
    const cases: [unknown, number][] = [
      [{ videoId: r.videoId, durationSeconds: 10 }, 400],
      [{ videoId: r.videoId, stream: s.publicId, startSeconds: 0, durationSeconds: 10 }, 400],
      [{ durationSeconds: 10 }, 400],
      [{ videoId: r.videoId, startSeconds: 0, durationSeconds: 3 }, 400],
      [{ videoId: r.videoId, startSeconds: 0, durationSeconds: 61 }, 400],
      [{ stream: s.publicId, endAt: "yesterday", durationSeconds: 10 }, 400],
      [{ videoId: r.videoId, startSeconds: 100, durationSeconds: 10 }, 422],
      [{ videoId: "nosuchvideo00001", startSeconds: 0, durationSeconds: 10 }, 404],
      [{ stream: "AAAAAAAAAAAA", durationSeconds: 10 }, 404],
    ];
    for (const [body, status] of cases) {
      m.clock.advance(20 * 60_000);
      const res = await m.clip(body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(await code(res)).toBeString();
    }
    // The manager's row says 100 s, the node holds 40 s: the node's "nothing there" is the answer.
    m.clock.advance(20 * 60_000);
    const empty = await m.clip({ videoId: r.videoId, startSeconds: 60, durationSeconds: 10 });
    expect(empty.status).toBe(422);
    expect(await code(empty)).toBe("clip_range_empty");
    const list = ClipList.parse(await (await m.req(`/clips?video=${r.videoId}`)).json());
    expect(list.clips).toEqual([]);
  });

  test("clips are rate-limited per client: a burst of 3, then 429 with Retry-After", async () => {
    const m = manager();
    const s = await m.start("popular");
    const r = recordingOf(s.publicId, 0, { startedAt: m.clock.now() - 100_000 });
    f.node.recordings.set(r.videoId, { startedAt: r.startedAt, durationSeconds: 100 });
    expect((await m.report(ready(r, 100))).status).toBe(204);
    const body = { videoId: r.videoId, startSeconds: 0, durationSeconds: 10 };
    for (let i = 0; i < 3; i++) expect((await m.clip(body)).status).toBe(201);
    const limited = await m.clip(body);
    expect(limited.status).toBe(429);
    expect(await code(limited)).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // X-Forwarded-For from an untrusted peer is not a way around it.
    expect((await m.clip(body, { "x-forwarded-for": "203.0.113.9" })).status).toBe(429);
    m.clock.advance(60_000);
    expect((await m.clip(body)).status).toBe(201);
  });

  test("DELETE /clip: the stream's key or the admin token; the node deletes the files", async () => {
    const m = manager();
    const s = await m.start("clip owner");
    const other = await m.start("not the owner");
    const r = recordingOf(s.publicId, 0, { startedAt: m.clock.now() - 100_000 });
    f.node.recordings.set(r.videoId, { startedAt: r.startedAt, durationSeconds: 100 });
    expect((await m.report(ready(r, 100))).status).toBe(204);
    const make = async () => {
      m.clock.advance(20 * 60_000);
      const res = await m.clip({ videoId: r.videoId, startSeconds: 0, durationSeconds: 10 });
      expect(res.status).toBe(201);
      return Clip.parse(await res.json()).clipId;
    };
    const del = (id: string, token?: string) =>
      m.req(`/clip/${id}`, {
        method: "DELETE",
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      });
    const a = await make();
    expect((await del(a)).status).toBe(401);
    expect((await del(a, other.privateId)).status).toBe(403);
    expect((await m.req(`/clip/${a}`)).status).toBe(200);
    expect((await del(a, s.privateId)).status).toBe(204);
    expect(f.node.calls).toContain(`delete clip ${a}`);
    expect((await m.req(`/clip/${a}`)).status).toBe(404);
    const b = await make();
    expect((await del(b, ADMIN)).status).toBe(204);
    expect((await m.req(`/clip/${b}`)).status).toBe(404);
  });
});
