import { describe, expect, test } from "bun:test";
import { ManagerUnavailable } from "../manager-api.ts";
import { clip, emptyManager, testApp } from "../test-fixtures.ts";

describe("GET /clips/:clipId", () => {
  test("renders the player, title, duration and links to its stream and its video", async () => {
    const c = clip({ title: "That jump" });
    const app = testApp(emptyManager({ clip: async (id) => (id === c.clipId ? c : null) }));
    const res = await app.request(`/clips/${c.clipId}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<title>That jump · Clip · Hearth</title>");
    expect(html).toContain('<span data-testid="video-duration">0:30</span>');
    expect(html).toMatch(
      /<video[^>]* src="http:\/\/localhost:8083\/hls\/clips\/clip000000000001\/master\.m3u8"/,
    );
    expect(html).toContain('<a href="/watch/abcdEFGH1234" data-testid="stream-link">');
    expect(html).toContain('<a href="/videos/vid0000000000001" data-testid="video-link">');
    // A clip is not clipped again: no video id for the Clip button.
    expect(html).not.toContain('data-testid="clip-button"');
  });

  test("a clip whose video was deleted keeps playing, without the video link", async () => {
    const c = clip({ videoId: null });
    const html = await (
      await testApp(emptyManager({ clip: async () => c })).request(`/clips/${c.clipId}`)
    ).text();
    expect(html).toContain("master.m3u8");
    expect(html).not.toContain('data-testid="video-link"');
  });

  test("unknown ids are 404; a manager that is down is a 503 page", async () => {
    const res = await testApp(emptyManager()).request("/clips/unknown000000001");
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("This clip does not exist");
    const down = testApp(
      emptyManager({
        clip: async () => {
          throw new ManagerUnavailable("timeout");
        },
      }),
    );
    const failed = await down.request("/clips/clip000000000001");
    expect(failed.status).toBe(503);
    expect(await failed.text()).toContain("not answering");
  });
});
