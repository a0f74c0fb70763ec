import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { checkLlhlsPlaylist } from "../../testing/playlist-conformance.ts";
import { feedFragments, SYNTHETIC_INIT } from "../../testing/test-feed.ts";
import { llhlsRoutes } from "./llhls-routes.ts";
import { LlhlsRegistry, LlhlsStream } from "./llhls-stream.ts";

const ID = "stream_abcdef01";

/** Yields to the event loop until `ok()` holds (a request reaches its hold); at most 200 turns. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await Bun.sleep(1);
  if (!ok()) throw new Error("condition not reached");
}

/** A hold timer the test fires by hand: no real waiting for the three target durations. */
function manualHolds() {
  const pending = new Set<() => void>();
  return {
    timer: (_ms: number, fn: () => void) => {
      pending.add(fn);
      return () => pending.delete(fn);
    },
    /** Lets every running hold time out. */
    expire() {
      for (const fn of [...pending]) {
        pending.delete(fn);
        fn();
      }
    },
    get count() {
      return pending.size;
    },
  };
}

function setup() {
  const holds = manualHolds();
  const registry = new LlhlsRegistry();
  const stream = registry.add(
    new LlhlsStream(
      ID,
      "s1",
      [
        { name: "source", bandwidth: 2_000_000, width: 1280, height: 720, frameRate: 30 },
        { name: "360p", bandwidth: 800_000, width: 640, height: 360 },
      ],
      { targetDuration: 1, partTarget: 0.2, windowSegments: 8, partSegments: 2 },
    ),
  );
  const app = new Hono().route("/hls", llhlsRoutes(registry, { holdTimer: holds.timer }));
  const src = stream.rendition("source");
  const low = stream.rendition("360p");
  if (!src || !low) throw new Error("renditions missing");
  src.beginInput(SYNTHETIC_INIT);
  low.beginInput(SYNTHETIC_INIT);
  feedFragments(src, 12);
  feedFragments(low, 11);
  const get = async (path: string): Promise<Response> => app.request(`http://localhost/hls/${ID}/${path}`);
  return { registry, stream, app, src, low, get, holds };
}

describe("llhlsRoutes", () => {
  test("master playlist: every rung with size, frame rate and codecs from what its packager parsed", async () => {
    const { get } = setup();
    const res = await get("master.m3u8");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const text = await res.text();
    expect(text).toContain(
      // Peak bitrate over the 2 Mb/s floor would win; the synthetic fragments are 2 bytes each (80 b/s), so the floor stays.
      // The size is the init segment's (160x90), not the planned 1280x720; the frame rate the fragments'.
      '#EXT-X-STREAM-INF:BANDWIDTH=2000000,AVERAGE-BANDWIDTH=80,RESOLUTION=160x90,FRAME-RATE=30.000,CODECS="avc1.42c00c",NAME="source"\nsource/index.m3u8',
    );
    expect(text).toContain("360p/index.m3u8");
  });

  test("variant playlist: conformant, short cache, rendition report for the other rung", async () => {
    const { get } = setup();
    const res = await get("source/index.m3u8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=1");
    const pl = checkLlhlsPlaylist(await res.text());
    expect(pl.renditionReports).toEqual([{ uri: "../360p/index.m3u8", lastMSN: 2, lastPart: 0 }]);
  });

  test("parts, segments and init are immutable and byte-exact; unknown names are 404", async () => {
    const { get, src, app } = setup();
    const part = await get("source/part-s1-3.m4s");
    expect(part.status).toBe(200);
    expect(part.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(Array.from(new Uint8Array(await part.arrayBuffer()))).toEqual(
      Array.from(src.part(3)?.bytes ?? []),
    );
    const seg = await get("source/seg-s1-1.m4s");
    expect(new Uint8Array(await seg.arrayBuffer()).length).toBe(10);
    expect((await get("source/init-s1-0.mp4")).status).toBe(200);
    const head = await app.request(`http://localhost/hls/${ID}/source/seg-s1-1.m4s`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    for (const bad of [
      "source/seg-s1-2.m4s",
      "source/part-s1-99.m4s",
      "source/seg-zz-1.m4s",
      "nope/index.m3u8",
      "source/../x",
    ]) {
      expect((await get(bad)).status).toBe(404);
    }
  });

  test("blocking reload answers only once the requested part exists", async () => {
    const { get, src } = setup();
    // The open segment 2 has parts 0 and 1; ask for part 3.
    let settled = false;
    const pending = get("source/index.m3u8?_HLS_msn=2&_HLS_part=3").then((r) => {
      settled = true;
      return r;
    });
    await Bun.sleep(50);
    feedFragments(src, 1, { t0: 2.4, keyEvery: 0 });
    await Bun.sleep(50);
    expect(settled).toBe(false);
    feedFragments(src, 1, { t0: 2.6, keyEvery: 0 });
    const res = await pending;
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("part-s1-13.m4s");
    expect(res.headers.get("cache-control")).toBe("public, max-age=3");
    // Already there: no wait at all.
    const now = await get("source/index.m3u8?_HLS_msn=1");
    expect(now.status).toBe(200);
  });

  test("a part index past a complete segment's last part means part 0 of the next segment", async () => {
    const { get, src } = setup();
    let settled = false;
    const pending = get("source/index.m3u8?_HLS_msn=1&_HLS_part=5").then((r) => {
      settled = true;
      return r;
    });
    await Bun.sleep(30);
    // Segment 1 has parts 0-4 and segment 2 has started, so (1, 5) = (2, 0) exists already.
    expect(settled).toBe(true);
    expect((await pending).status).toBe(200);
    void src;
  });

  test("invalid combinations are 400; too far ahead is 400; never-arriving parts are 503", async () => {
    const { get, holds } = setup();
    expect((await get("source/index.m3u8?_HLS_part=1")).status).toBe(400);
    expect((await get("source/index.m3u8?_HLS_msn=abc")).status).toBe(400);
    expect((await get("source/index.m3u8?_HLS_skip=NO")).status).toBe(400);
    expect((await get("source/index.m3u8?_HLS_msn=5")).status).toBe(400);
    expect((await get("source/index.m3u8?_HLS_msn=2&_HLS_part=40")).status).toBe(400);
    const late = get("source/index.m3u8?_HLS_msn=4");
    await until(() => holds.count === 1);
    holds.expire();
    expect((await late).status).toBe(503);
  });

  test("the preload-hinted part is held until complete; other missing parts are 404 at once", async () => {
    const { get, src } = setup();
    const hinted = get(`source/part-s1-${src.nextPartId}.m4s`);
    expect((await get(`source/part-s1-${src.nextPartId + 1}.m4s`)).status).toBe(404);
    await Bun.sleep(30);
    feedFragments(src, 1, { t0: 2.4, keyEvery: 0 });
    const res = await hinted;
    expect(res.status).toBe(200);
    expect(Array.from(new Uint8Array(await res.arrayBuffer()))).toEqual([12, 0xaa]);
  });

  test("a delta update is served for _HLS_skip=YES; an ended stream ignores directives", async () => {
    const { get, src, stream } = setup();
    feedFragments(src, 50, { t0: 2.4 });
    const delta = await get("source/index.m3u8?_HLS_skip=YES");
    expect(await delta.text()).toContain("#EXT-X-SKIP:SKIPPED-SEGMENTS=");
    stream.end();
    const ended = await get("source/index.m3u8?_HLS_msn=999");
    expect(ended.status).toBe(200);
    expect(await ended.text()).toContain("#EXT-X-ENDLIST");
  });
});
