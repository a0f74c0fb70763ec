import { describe, expect, test } from "bun:test";
import { ManagerUnavailable } from "../manager-api.ts";
import { emptyManager, testApp, video } from "../test-fixtures.ts";

const v = video({ title: "Friday <speedrun>" });
const app = testApp(emptyManager({ video: async (id) => (id === v.videoId ? v : null) }));

/** The JSON the page serialised for its islands. */
function islandProps(html: string): Array<{ name: string; props: Record<string, unknown> }> {
  const m = /<script type="application\/json" id="__hearth_islands">(.*?)<\/script>/s.exec(html);
  return m?.[1] ? JSON.parse(m[1]) : [];
}

describe("GET /videos/:videoId", () => {
  test("renders title, date, duration, stream link and a playable <video> before any JavaScript", async () => {
    const res = await app.request(`/videos/${v.videoId}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<title>Friday &lt;speedrun> · Past broadcast · Hearth</title>");
    expect(html).toContain('<h1 class="stream-title" data-testid="video-title">Friday &lt;speedrun></h1>');
    expect(html).toContain('<span data-testid="video-duration">1:02:03</span>');
    expect(html).toContain(
      '<time datetime="2026-11-28T20:00:00.000Z" data-testid="video-date">Nov 28, 2026</time>',
    );
    expect(html).toContain('href="/watch/abcdEFGH1234"');
    // Without JavaScript the browser's own player gets the master playlist.
    expect(html).toMatch(
      /<video[^>]* src="http:\/\/localhost:8083\/hls\/vod\/vid0000000000001\/master\.m3u8"[^>]* controls/,
    );
    expect(html).toContain('data-testid="player-video"');
    expect(html).toContain(
      'property="og:image" content="http://localhost:8083/hls/vod/vid0000000000001/thumb.jpg"',
    );
    const islands = islandProps(html);
    expect(islands.map((i) => i.name)).toEqual(["VodPlayer", "ChatReplay"]);
    expect(islands[0]?.props).toMatchObject({
      videoId: v.videoId,
      hlsUrl: v.hlsUrl,
      managerUrl: "http://manager.test",
    });
    expect(islands[1]?.props.replayUrl).toBe(v.chatReplayUrl);
    expect(islands[1]?.props.growing).toBe(false);
    expect(html).toContain('import I0 from "/islands/VodPlayer-x.js"');
    expect(html).not.toContain("/islands/Player-x.js");
  });

  test("an unknown or malformed id is the 404 page", async () => {
    for (const path of ["/videos/unknown000000001", "/videos/NOT-AN-ID"]) {
      const res = await app.request(path);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("This video does not exist");
    }
  });

  test("a manager that is down renders a clear 503 page", async () => {
    const down = testApp(
      emptyManager({
        video: async () => {
          throw new ManagerUnavailable("connection refused");
        },
      }),
    );
    const res = await down.request(`/videos/${v.videoId}`);
    expect(res.status).toBe(503);
    const html = await res.text();
    expect(html).toContain("The video service is not answering right now.");
    expect(html).toContain(`href="/videos/${v.videoId}"`);
  });

  test("a video still recording is marked live; the page carries no secrets", async () => {
    const live = video({ state: "recording", endedAt: null });
    const html = await (
      await testApp(emptyManager({ video: async () => live })).request(`/videos/${live.videoId}`)
    ).text();
    expect(html).toContain('<span class="badge badge-live">LIVE</span>');
    // Its chat still grows: the replay asks for more once it has read to the end.
    expect(islandProps(html).find((i) => i.name === "ChatReplay")?.props.growing).toBe(true);
    for (const secret of ["streamKey", "privateId", "Bearer", "token"]) expect(html).not.toContain(secret);
  });
});
