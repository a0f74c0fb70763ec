/**
 * Recordings while the stream is live, on the real platform with an OBS-style publisher (ffmpeg over RTMP):
 * - live rewind: the watch page's −10 s control moves the playing date (program date-time, as the player
 *   reports it) back ~10 s, and "Go live" brings it back near the live edge;
 * - a 10 s clip made from the live stream (POST /clips) is a VOD of 10 s ± one segment that plays on
 *   /clips/<id>, and still plays once the recording it was cut from is deleted.
 * Each test broadcasts on its own stream.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Clip, clipPageUrl } from "@hearth/contracts";
import { type Browser, launchChromium, type Page } from "./support/chromium.ts";
import {
  deleteVideo,
  getClip,
  lookupStream,
  Publishers,
  type RecordingPlatform,
  startRecordingPlatform,
  startStream,
  stopPublisher,
  untilVideo,
} from "./support/recording-platform.ts";
import { probeSegment } from "./support/segment-probe.ts";
import { PAGE_POLL_MS, until } from "./support/until.ts";
import { play, untilPlayedToEnd, untilPlayingPast } from "./support/video-element.ts";
import { loadTimeline, loadTimelines } from "./support/vod-timeline.ts";

// ---- the watch and clip pages' hooks (apps/web) ----
/** Watch page: the player; it reports `data-wall-ms` (the playing date) and `data-mode` (live | dvr). */
const PLAYER = "[data-testid=player]";
/** Watch page: seek 10 s back into the broadcast's recording. */
const REWIND = "[data-testid=rewind]";
/** Watch page: back to the live edge. */
const GO_LIVE = "[data-testid=go-live]";
/** Clip page: the player's <video>. */
const CLIP_VIDEO = "[data-testid=player-video]";

const SHOTS = join(import.meta.dir, "..", "..", "artifacts", "screenshots");

let platform: RecordingPlatform;
let browser: Browser;
const publishers = new Publishers();

/** Starts a stream, publishes to it and waits until its recording (the DVR playlist) holds `seconds`. */
async function broadcast(name: string, seconds: number) {
  const s = await startStream(platform.managerUrl, name);
  const publisher = publishers.start(s, 600);
  const dvr = await until("the stream to be live with its DVR playlist", 90_000, async () => {
    const l = await lookupStream(platform.managerUrl, s.publicId);
    return l.live && l.dvr ? l.dvr : undefined;
  });
  await until(`the recording to hold ${seconds} s`, 120_000, async () => {
    const [tl] = await loadTimelines(dvr.hlsUrl).catch(() => []);
    return tl !== undefined && tl.duration >= seconds;
  });
  return { stream: s, publisher, dvr };
}

beforeAll(async () => {
  platform = await startRecordingPlatform();
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await publishers.killAll();
  await browser?.close().catch(() => {});
  await platform?.stop();
}, 60_000);

/**
 * The watch page's player as it reports itself: the wall-clock time of the frame on screen (`data-wall-ms`,
 * from the playlists' program date-times), its mode (`live` at the edge, `dvr` rewound) and the video's clock.
 */
function livePlayer(page: Page) {
  return page.evaluate(
    ([sel]) => {
      const root = document.querySelector<HTMLElement>(sel as string);
      const v = root?.querySelector("video");
      const wall = root?.dataset.wallMs ?? "";
      return {
        wallMs: wall === "" ? null : Number(wall),
        now: Date.now(),
        mode: root?.dataset.mode ?? "",
        t: v?.currentTime ?? 0,
        paused: v?.paused ?? true,
      };
    },
    [PLAYER] as const,
  );
}

describe("live rewind on the watch page", () => {
  test("−10 s moves the playing date back ~10 s; Go live returns near the live edge", async () => {
    const { stream, publisher } = await broadcast("Rewind me", 20);
    const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    await page.goto(`${platform.webUrl}/watch/${stream.publicId}`);
    await untilPlayingPast(page, "the live stream to play", 0.5, 60_000);
    const live = await until(
      "the player to report its playing date at the live edge",
      30_000,
      async () => {
        const s = await livePlayer(page);
        return s.wallMs !== null && s.mode === "live" && !s.paused ? s : undefined;
      },
      PAGE_POLL_MS,
    );
    const liveLatencyMs = live.now - (live.wallMs as number);

    // In the page: the playing date at the click, and the one when the video first plays on from further back.
    const r = await page.evaluate(
      ([playerSel, buttonSel]) => {
        const root = () => document.querySelector<HTMLElement>(playerSel as string);
        const wall = () => Number(root()?.dataset.wallMs ?? Number.NaN);
        const before = wall();
        document.querySelector<HTMLElement>(buttonSel as string)?.click();
        const clickAt = performance.now();
        return new Promise<{ before: number; after: number; stallMs: number }>((resolve, reject) => {
          const timer = setInterval(() => {
            const v = root()?.querySelector("video");
            if (!v || v.seeking || v.paused || v.readyState < 3 || !(wall() < before - 5000)) return;
            const t = v.currentTime;
            setTimeout(() => {
              if (v.currentTime <= t) return;
              clearInterval(timer);
              resolve({ before, after: wall(), stallMs: performance.now() - clickAt });
            }, 40);
          }, 20);
          setTimeout(() => {
            clearInterval(timer);
            reject(new Error(`the video did not play again further back (${wall()} vs ${before})`));
          }, 60_000);
        });
      },
      [PLAYER, REWIND] as const,
    );
    const backS = (r.before - r.after) / 1000;
    console.log(`live latency ${liveLatencyMs} ms; −10 s took the playing date back ${backS.toFixed(2)} s`);
    // One segment for where the player lands, one second for how often the page publishes its position.
    expect(Math.abs(backS - 10)).toBeLessThanOrEqual(2);
    const rewound = await livePlayer(page);
    expect(rewound.mode).toBe("dvr");
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, "watch-rewind.png") });

    await page.locator(GO_LIVE).click();
    const near = await until(
      "the player to be back near the live edge",
      60_000,
      async () => {
        const s = await livePlayer(page);
        return s.mode === "live" && s.wallMs !== null && !s.paused && s.now - s.wallMs < liveLatencyMs + 3000
          ? s
          : undefined;
      },
      PAGE_POLL_MS,
    );
    console.log(`back live: ${near.now - (near.wallMs as number)} ms behind`);
    await page.close();
    await stopPublisher(publisher);
  }, 300_000);
});

describe("a clip of the live stream", () => {
  test("POST /clips {stream, 10 s}: a 10 s VOD that plays, and still plays after its recording is deleted", async () => {
    const { stream, publisher, dvr } = await broadcast("Clip that!", 25);
    const res = await fetch(`${platform.managerUrl}/clips`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ stream: stream.publicId, durationSeconds: 10 }),
    });
    expect(res.status).toBe(201);
    const clip = Clip.parse(await res.json());
    expect(clip).toMatchObject({
      publicId: stream.publicId,
      videoId: dvr.videoId,
      watchUrl: clipPageUrl(platform.webUrl, clip.clipId),
    });
    expect(await getClip(platform.managerUrl, clip.clipId)).toEqual(clip);

    const timelines = await loadTimelines(clip.hlsUrl);
    expect(timelines.length).toBeGreaterThan(0);
    for (const tl of timelines) {
      const at = `clip rung ${tl.rung}:\n${tl.text}`;
      expect(tl.playlistType, at).toBe("VOD");
      expect(tl.endlist, at).toBe(true);
      expect(Math.abs(tl.duration - 10), at).toBeLessThanOrEqual(tl.targetDuration);
      const s = tl.segments[0];
      if (!s?.initUrl) throw new Error(`no EXT-X-MAP in ${at}`);
      const v = (await probeSegment(s.initUrl, s.url)).find((x) => x.codec_type === "video");
      expect(Number(v?.nb_read_frames)).toBeGreaterThan(0);
    }
    expect(Math.abs(clip.durationSeconds - 10)).toBeLessThanOrEqual(timelines[0]?.targetDuration ?? 1);
    expect(existsSync(join(platform.dataDir, "clips", clip.clipId))).toBe(true);

    const watchClip = async (when: string): Promise<void> => {
      const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
      await page.goto(`${platform.webUrl}/clips/${clip.clipId}`);
      await page.locator(CLIP_VIDEO).first().waitFor({ timeout: 20_000 });
      await play(page, 30_000, CLIP_VIDEO);
      const first = await untilPlayingPast(page, `the clip to play (${when})`, 0, 30_000, CLIP_VIDEO);
      expect(first.t).toBeLessThan(3);
      expect(Math.abs(first.duration - 10)).toBeLessThanOrEqual(timelines[0]?.targetDuration ?? 1);
      const end = await untilPlayedToEnd(page, `the clip to play to its end (${when})`, 90_000, CLIP_VIDEO);
      expect(end.t).toBeGreaterThan(8);
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `clip-page-${when}.png`) });
      await page.close();
    };
    await watchClip("live");

    await stopPublisher(publisher);
    const video = await untilVideo(platform.managerUrl, stream.publicId, 60_000);
    expect(video.videoId).toBe(dvr.videoId);
    expect((await deleteVideo(platform.managerUrl, video.videoId, stream.privateId)).status).toBe(204);
    await until("the recording's files to be gone", 30_000, () => {
      return !existsSync(join(platform.dataDir, "recordings", video.videoId));
    });
    expect((await getClip(platform.managerUrl, clip.clipId)).videoId).toBeNull();
    for (const tl of timelines)
      expect((await loadTimeline(tl.variantUrl)).segments.length).toBe(tl.segments.length);
    await watchClip("after-delete");
  }, 420_000);
});
