/**
 * Recordings while the stream is live, on the real platform with an OBS-style publisher (ffmpeg over RTMP):
 * - live rewind: the watch page's −10 s control moves the playing date (program date-time, as the stats overlay
 *   reads it) back ~10 s, and "Go live" brings it back near the live edge;
 * - a 10 s clip made from the live stream (POST /clips) is a VOD of 10 s ± one segment that plays on
 *   /clips/<id>, and still plays once the recording it was cut from is deleted.
 * Each test broadcasts on its own stream.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Clip, clipPageUrl, type StartedStream } from "@hearth/contracts";
import { type Browser, launchChromium, type Page } from "./support/chromium.ts";
import {
  deleteVideo,
  getClip,
  lookupStream,
  type RecordingPlatform,
  startRecordingPlatform,
  startStream,
  stopPublisher,
  untilVideo,
} from "./support/recording-platform.ts";
import { probeSegment } from "./support/segment-probe.ts";
import { publishSynthetic } from "./support/synthetic-source.ts";
import { PAGE_POLL_MS, until } from "./support/until.ts";
import { play, untilPlayingPast, videoClock } from "./support/video-element.ts";
import { loadTimeline, loadTimelines } from "./support/vod-timeline.ts";

// ---- the watch and clip pages' hooks (apps/web) ----
/** Watch page: seek 10 s back into the broadcast's recording. */
const REWIND_10 = "[data-testid=rewind-10]";
/** Watch page: back to the live edge. */
const GO_LIVE = "[data-testid=go-live]";
/** Clip page: the player's <video>. */
const CLIP_VIDEO = "video";

const SHOTS = join(import.meta.dir, "..", "..", "artifacts", "screenshots");

let platform: RecordingPlatform;
let browser: Browser;
const publishers: Bun.Subprocess[] = [];

function publish(s: StartedStream, seconds: number): Bun.Subprocess {
  const p = publishSynthetic(
    `${s.rtmp.server}/${s.rtmp.streamKey}`,
    { seconds, width: 640, height: 360, videoKbps: 800 },
    "ignore",
  );
  publishers.push(p);
  return p;
}

/** Starts a stream, publishes to it and waits until its recording (the DVR playlist) holds `seconds`. */
async function broadcast(name: string, seconds: number) {
  const s = await startStream(platform.managerUrl, name);
  const publisher = publish(s, 600);
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
  for (const p of publishers) {
    p.kill("SIGKILL");
    await p.exited;
  }
  await browser?.close().catch(() => {});
  await platform?.stop();
}, 60_000);

/** The watch page's player, sampled in the page: latency (now − playing date, the stats overlay's) and clock. */
function livePlayer(page: Page) {
  return page.evaluate(() => {
    const v = document.querySelector("video");
    const cell = document.querySelector<HTMLElement>("[data-testid=stats-latency]");
    const ms = cell?.dataset.ms ?? "";
    return {
      latencyMs: ms === "" ? null : Number(ms),
      t: v?.currentTime ?? 0,
      paused: v?.paused ?? true,
      state: document.querySelector<HTMLElement>("[data-testid=player]")?.dataset.state ?? "",
    };
  });
}

/** Waits for a latency figure that has held still for 2 s of playback (the overlay refreshes once a second). */
async function steadyLatency(page: Page, what: string): Promise<number> {
  let prev: number | null = null;
  return until(
    what,
    60_000,
    async () => {
      const s = await livePlayer(page);
      const ok = s.latencyMs !== null && prev !== null && Math.abs(s.latencyMs - prev) < 400 && !s.paused;
      const out = ok ? s.latencyMs : undefined;
      prev = s.latencyMs;
      return out ?? undefined;
    },
    2000,
  );
}

describe("live rewind on the watch page", () => {
  test("−10 s moves the playing date back ~10 s; Go live returns near the live edge", async () => {
    const { stream, publisher } = await broadcast("Rewind me", 20);
    const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    await page.goto(`${platform.webUrl}/watch/${stream.publicId}`);
    await untilPlayingPast(page, "the live stream to play", 0.5, 60_000);
    await page.getByTestId("stats-toggle").click();
    const liveLatency = await steadyLatency(page, "a steady live latency");

    // In the page: the moment of the click, and the first moment the video advances again after it.
    const stallMs = await page.evaluate(async (sel) => {
      const clickAt = performance.now();
      document.querySelector<HTMLElement>(sel)?.click();
      const v0 = document.querySelector("video");
      const from = v0?.currentTime ?? 0;
      return new Promise<number>((resolve) => {
        let seeked = false;
        const timer = setInterval(() => {
          const v = document.querySelector("video");
          if (!v) return;
          if (v.seeking || v !== v0 || Math.abs(v.currentTime - from) > 5) seeked = true;
          if (seeked && !v.seeking && !v.paused && v.readyState >= 3) {
            const t = v.currentTime;
            setTimeout(() => {
              if (v.currentTime > t) {
                clearInterval(timer);
                resolve(performance.now() - clickAt);
              }
            }, 30);
          }
        }, 20);
        setTimeout(() => {
          clearInterval(timer);
          resolve(-1);
        }, 60_000);
      });
    }, REWIND_10);
    if (stallMs < 0) throw new Error("the video did not play again after −10 s");
    const rewound = await steadyLatency(page, "a steady latency after −10 s");
    // Latency after = latency before + the stall + 10 s: what the click took back, net of the wait to play again.
    const back = (rewound - liveLatency - stallMs) / 1000;
    console.log(
      `live ${liveLatency} ms, after −10 s ${rewound} ms, stall ${Math.round(stallMs)} ms: back ${back.toFixed(2)} s`,
    );
    expect(Math.abs(back - 10)).toBeLessThanOrEqual(2.5);
    expect((await livePlayer(page)).state).toBe("live");
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, "watch-rewind.png") });

    await page.locator(GO_LIVE).click();
    const near = await until(
      "the player to be back near the live edge",
      60_000,
      async () => {
        const s = await livePlayer(page);
        return s.latencyMs !== null && !s.paused && s.latencyMs < liveLatency + 3000 ? s : undefined;
      },
      PAGE_POLL_MS,
    );
    console.log(`back live: ${near.latencyMs} ms`);
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
      const end = await until(
        `the clip to play to its end (${when})`,
        90_000,
        async () => {
          const c = await videoClock(page, CLIP_VIDEO);
          if (c && c.error !== 0) throw new Error(`MediaError ${c.error}`);
          return c && (c.ended || c.t >= c.duration - 0.3) ? c : undefined;
        },
        PAGE_POLL_MS,
      );
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
