/**
 * The recordings' pages in Chromium on the real platform (support/recording-platform.ts: manager, media node,
 * chat and web), on one short real broadcast: an OBS-style publisher (ffmpeg over RTMP) while two WebSocket
 * clients chat. What tests/e2e/recording-{vod,live}.test.ts do not already cover:
 * - the video page with JavaScript off: the server-rendered details and a <video> on the real VOD master;
 * - the chat replay through a pause: nothing later appears while paused, the rest on time once resumed;
 * - the video page's Clip button: a real clip whose page plays, and the manager's 429 (a small CLIP_BURST)
 *   shown with when to try again;
 * - the directory's "recent broadcasts" row and the offline watch page's latest-broadcast link to the video.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type ChatMessage, type StartedStream, type Video, vodMasterUrl } from "@hearth/contracts";
import HLS from "hls-parser";
import { BroadcastChat, chatToken } from "./support/broadcast-chat.ts";
import { type Browser, launchChromium, type Page } from "./support/chromium.ts";
import {
  getClip,
  lookupStream,
  type RecordingPlatform,
  startRecordingPlatform,
  startStream,
  untilVideo,
} from "./support/recording-platform.ts";
import { seenSoFar, watchReplay as watchReplayIn } from "./support/replay-visibility.ts";
import { publishSynthetic } from "./support/synthetic-source.ts";
import { PAGE_POLL_MS, until } from "./support/until.ts";
import { play, seek, untilPlayingPast, videoClock } from "./support/video-element.ts";
import type { Timeline } from "./support/vod-timeline.ts";
import { loadTimelines, playingTimeline, positionAt, wallClockAt } from "./support/vod-timeline.ts";

// ---- the pages' hooks (apps/web/README.md) ----
/** Video and clip pages: the player's <video>. */
const VOD_VIDEO = "[data-testid=player-video]";
/** The player: `data-wall-ms` is the playing date, `data-time` the position, `data-rung` the rung. */
const PLAYER = "[data-testid=player]";
/** One replayed chat message beside the video. */
const REPLAY_MESSAGE = "[data-testid=replay-message]";

/** How often the page samples which replayed messages it shows. */
const SAMPLE_MS = 50;
/**
 * The manager's clip bucket for this suite: two clips, then 429 (one token an hour back, so the refusal holds
 * for the rest of the run). Only the Clip test makes clips on this platform.
 */
const CLIP_LIMITS = { CLIP_BURST: "2", CLIP_RATE_PER_HOUR: "1" };

let platform: RecordingPlatform;
let browser: Browser;
let stream: StartedStream;
let video: Video;
let timelines: Timeline[] = [];
const publishers: Bun.Subprocess[] = [];
const chat = new BroadcastChat();
/** The chat of the broadcast with its server times, in the order sent. */
const said: ChatMessage[] = [];

beforeAll(async () => {
  platform = await startRecordingPlatform(CLIP_LIMITS);
  browser = await launchChromium();
  stream = await startStream(platform.managerUrl, "Tuesday trivia");
  const publisher = publishSynthetic(
    `${stream.rtmp.server}/${stream.rtmp.streamKey}`,
    { seconds: 24, width: 640, height: 360, videoKbps: 800 },
    "ignore",
  );
  publishers.push(publisher);
  await until("the stream to be live", 90_000, async () => {
    const l = await lookupStream(platform.managerUrl, stream.publicId);
    return l.live && l.rungs.length > 0;
  });
  await untilVideo(platform.managerUrl, stream.publicId, 60_000, "recording");

  const streamer = await chat.join(stream, "streamer");
  const viewer = await chat.join(stream, "viewer");
  // Messages several seconds apart inside the broadcast: a pause between two of them can be held long enough
  // that a replay following the wall clock instead of the position would show the next one.
  await Bun.sleep(2000);
  said.push(await chat.say(viewer, `hello ${chatToken()}`));
  await Bun.sleep(5000);
  said.push(await chat.say(streamer, `question one ${chatToken()}`));
  await Bun.sleep(4000);
  said.push(await chat.say(viewer, `answer ${chatToken()}`));

  await publisher.exited;
  video = await untilVideo(platform.managerUrl, stream.publicId, 90_000);
  timelines = await loadTimelines(video.hlsUrl);
  const last = said.at(-1) as ChatMessage;
  const tl = timelines[0] as Timeline;
  if (last.ts >= wallClockAt(tl, tl.duration))
    throw new Error(`the last message (${last.ts}) is after the recording's end:\n${tl.text}`);
}, 300_000);

afterAll(async () => {
  chat.closeAll();
  for (const p of publishers) {
    p.kill("SIGKILL");
    await p.exited;
  }
  await browser?.close().catch(() => {});
  await platform?.stop();
}, 60_000);

/** The player's published playing date (`data-wall-ms`), null before it has one. */
function playingDate(page: Page): Promise<number | null> {
  return page.evaluate((sel) => {
    const wall = document.querySelector<HTMLElement>(sel)?.dataset.wallMs ?? "";
    return wall === "" ? null : Number(wall);
  }, PLAYER);
}

async function openVideoPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
  await page.goto(`${platform.webUrl}/videos/${video.videoId}`);
  await page.locator(VOD_VIDEO).first().waitFor({ timeout: 30_000 });
  return page;
}

describe("the video page without JavaScript", () => {
  test("has the title, date and duration in its HTML and a <video> on the real VOD master", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      const res = await page.goto(`${platform.webUrl}/videos/${video.videoId}`);
      expect(res?.status()).toBe(200);
      expect(await page.getByTestId("video-title").textContent()).toBe("Tuesday trivia");
      const date = page.getByTestId("video-date");
      expect(await date.getAttribute("datetime")).toBe(video.startedAt);
      const day = new Date(video.startedAt).toLocaleDateString("en-US", {
        year: "numeric",
        month: "short",
        day: "numeric",
        timeZone: "UTC",
      });
      expect(await date.textContent()).toBe(day);
      const secs = Math.round(video.durationSeconds);
      expect(await page.getByTestId("video-duration").textContent()).toBe(
        `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`,
      );
      // No script ran: the <video> is the server's, on the media node's master playlist of this recording.
      const src = await page.locator(`video${VOD_VIDEO}`).getAttribute("src");
      expect(src).toBe(vodMasterUrl(`${platform.mediaUrl}/hls`, video.videoId));
      expect(src).toBe(video.hlsUrl);
      const master = await fetch(src as string);
      expect(master.status).toBe(200);
      const parsed = HLS.parse(await master.text());
      expect(parsed.isMasterPlaylist).toBe(true);
      expect((parsed as HLS.types.MasterPlaylist).variants.length).toBe(timelines.length);
      // The page carries nothing secret.
      expect(await page.content()).not.toContain(stream.privateId);
    } finally {
      await context.close();
    }
  }, 60_000);
});

const watchReplay = (page: Page, texts: string[]) =>
  watchReplayIn(page, texts, { message: REPLAY_MESSAGE, player: PLAYER, everyMs: SAMPLE_MS });

describe("chat replay through a pause", () => {
  test("paused, no later message appears; resumed, each appears within 1 s of its moment", async () => {
    const page = await openVideoPage();
    try {
      const [first, second] = said as [ChatMessage, ChatMessage];
      await watchReplay(
        page,
        said.map((m) => m.text),
      );
      await play(page, 30_000, VOD_VIDEO);
      const tl = await playingTimeline(page, PLAYER, timelines);
      await untilPlayingPast(
        page,
        "the video to play past the first message",
        positionAt(tl, first.ts),
        60_000,
        VOD_VIDEO,
      );
      await until(
        "the first message to appear",
        30_000,
        async () => (await seenSoFar(page)).some((s) => s.text === first.text && s.visible),
        PAGE_POLL_MS,
      );
      // The pause, at a known spot between the first and second messages (a loaded machine may have played
      // on past the second by the time the click lands; the seek while paused puts it back between them).
      await page.evaluate((sel) => document.querySelector<HTMLVideoElement>(sel)?.pause(), VOD_VIDEO);
      const pauseAt = positionAt(tl, first.ts + (second.ts - first.ts) / 3);
      await seek(page, pauseAt, VOD_VIDEO);
      const held = await until(
        "the paused player to publish the pause's date",
        30_000,
        async () => {
          const c = await videoClock(page, VOD_VIDEO);
          const wall = await playingDate(page);
          return c?.paused && !c.seeking && Math.abs(c.t - pauseAt) < 0.5 && wall !== null ? wall : false;
        },
        PAGE_POLL_MS,
      );
      expect(held).toBeLessThan(second.ts);
      const mark = (await seenSoFar(page)).length;
      // Held for longer than the second message lies ahead: a replay that followed the clock would show it.
      const aheadMs = second.ts - held;
      await Bun.sleep(aheadMs + 3000);
      const duringPause = (await seenSoFar(page)).slice(mark);
      expect(duringPause.filter((s) => s.visible)).toEqual([]);
      const shown = await page.evaluate(
        (sel) => [...document.querySelectorAll<HTMLElement>(sel)].map((m) => Number(m.dataset.ts)),
        REPLAY_MESSAGE,
      );
      expect(shown).toEqual([first.ts]);
      const still = await videoClock(page, VOD_VIDEO);
      expect(still?.paused).toBe(true);
      expect(await playingDate(page)).toBe(held);

      await page.evaluate((sel) => document.querySelector<HTMLVideoElement>(sel)?.play(), VOD_VIDEO);
      const last = said.at(-1) as ChatMessage;
      await untilPlayingPast(
        page,
        "the video to play past the last message",
        positionAt(tl, last.ts) + 1.5,
        90_000,
        VOD_VIDEO,
      );
      const afterResume = (await seenSoFar(page)).slice(mark);
      for (const m of said.slice(1)) {
        const at = afterResume.find((s) => s.text === m.text && s.visible);
        if (!at)
          throw new Error(`"${m.text}" never appeared after the resume; seen ${JSON.stringify(afterResume)}`);
        expect(at.paused).toBe(false);
        const gapMs = at.wall - m.ts;
        console.log(`"${m.text}" shown ${Math.round(gapMs)} ms after its moment`);
        expect(Math.abs(gapMs)).toBeLessThanOrEqual(1000 + SAMPLE_MS);
        expect(Math.abs(wallClockAt(tl, at.t) - m.ts)).toBeLessThanOrEqual(1000 + 300);
      }
    } finally {
      await page.close();
    }
  }, 240_000);
});

describe("the Clip button on the video page", () => {
  test("makes a real clip whose page plays; once the manager's clip limit answers 429 it says when to retry", async () => {
    const page = await openVideoPage();
    try {
      await play(page, 30_000, VOD_VIDEO);
      await untilPlayingPast(page, "the video to play", 0, 60_000, VOD_VIDEO);
      // Paused at 12 s: the button asks for the 12 s up to the frame on screen (less than 30 s into it).
      await page.evaluate((sel) => document.querySelector<HTMLVideoElement>(sel)?.pause(), VOD_VIDEO);
      await seek(page, 12, VOD_VIDEO);
      await until(
        "the seek to 12 s to land",
        30_000,
        async () => {
          const c = await videoClock(page, VOD_VIDEO);
          return c !== null && !c.seeking && Math.abs(c.t - 12) < 0.5;
        },
        PAGE_POLL_MS,
      );
      // The manager's answers to the page's POST /clips, in order: one per click.
      const answers: number[] = [];
      page.on("response", (r) => {
        if (r.request().method() === "POST" && new URL(r.url()).pathname === "/clips")
          answers.push(r.status());
      });
      const button = page.getByTestId("clip-button");
      const click = async () => {
        const before = answers.length;
        await button.click();
        await until("the manager's answer to the click", 60_000, () => answers.length > before, PAGE_POLL_MS);
      };
      await click();
      const link = page.getByTestId("clip-link");
      await link.waitFor({ timeout: 30_000 });
      const href = (await link.getAttribute("href")) as string;
      const clipId = /^\/clips\/([a-z0-9]+)$/.exec(href)?.[1];
      if (!clipId) throw new Error(`the clip link is ${href}`);
      const clip = await getClip(platform.managerUrl, clipId);
      const tl = timelines[0] as Timeline;
      expect(clip.videoId).toBe(video.videoId);
      expect(clip.publicId).toBe(stream.publicId);
      expect(Math.abs(clip.durationSeconds - 12)).toBeLessThanOrEqual(tl.targetDuration * 2);
      expect(existsSync(join(platform.dataDir, "clips", clipId))).toBe(true);

      // Clicking on until the manager refuses (its bucket holds two): the error, with its Retry-After.
      while (!answers.includes(429)) {
        if (answers.length >= 6) throw new Error(`no 429 after ${answers.length} clicks: ${answers}`);
        await click();
      }
      expect(answers).toEqual([201, 201, 429]);
      const error = page.getByTestId("clip-error");
      await error.waitFor({ timeout: 30_000 });
      const text = (await error.textContent()) ?? "";
      console.log(`after ${answers.length} clicks: ${text}`);
      expect(text).toContain("(429)");
      expect(text).toMatch(/try again in \d+ (s|min|h)/);

      // The first clip's page plays it.
      // hls.js swaps the <video>'s src for a MediaSource blob: what it loaded is what the page asked the origin for.
      const masterLoaded = page.waitForResponse((r) => r.url() === clip.hlsUrl && r.status() === 200, {
        timeout: 30_000,
      });
      await page.goto(`${platform.webUrl}${href}`);
      await masterLoaded;
      await page.locator(VOD_VIDEO).first().waitFor({ timeout: 30_000 });
      await play(page, 30_000, VOD_VIDEO);
      await untilPlayingPast(page, "the clip to play", 1, 60_000, VOD_VIDEO);
    } finally {
      await page.close();
    }
  }, 240_000);
});

describe("links to the video", () => {
  test("the directory's recent broadcasts and the offline watch page's latest broadcast lead to it", async () => {
    await until("the stream to be offline", 90_000, async () => {
      const l = await lookupStream(platform.managerUrl, stream.publicId);
      return !l.live && !l.reconnecting;
    });
    const page = await browser.newPage();
    try {
      await page.goto(`${platform.webUrl}/`);
      const card = page.locator(`[data-testid=recent-broadcasts] a[data-video-id="${video.videoId}"]`);
      await card.waitFor({ timeout: 30_000 });
      expect(await card.getAttribute("href")).toBe(`/videos/${video.videoId}`);
      expect(await card.textContent()).toContain("Tuesday trivia");
      await card.click();
      await page.waitForURL(`**/videos/${video.videoId}`, { timeout: 30_000 });
      expect(await page.getByTestId("video-title").textContent()).toBe("Tuesday trivia");

      await page.goto(`${platform.webUrl}/watch/${stream.publicId}`);
      const latest = page.getByTestId("latest-broadcast");
      await latest.waitFor({ timeout: 30_000 });
      expect(await latest.getAttribute("href")).toBe(`/videos/${video.videoId}`);
      const masterLoaded = page.waitForResponse((r) => r.url() === video.hlsUrl && r.status() === 200, {
        timeout: 30_000,
      });
      await latest.click();
      await page.waitForURL(`**/videos/${video.videoId}`, { timeout: 30_000 });
      await masterLoaded;
      expect(await page.getByTestId("video-title").textContent()).toBe("Tuesday trivia");
    } finally {
      await page.close();
    }
  }, 180_000);
});
