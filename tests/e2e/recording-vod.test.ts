/**
 * Past broadcasts on the real platform: an OBS-style publisher (ffmpeg over RTMP) broadcasts ~20 s while viewers
 * chat over WebSocket; when it ends, the recording is a VOD that GET /videos lists, whose playlists are a VOD
 * over every rung with program date-times, whose segments decode, and that hls.js plays in Chromium on
 * /videos/<id> from start to end and from the middle (at the moment broadcast then). The page replays the chat
 * beside it within 1 s of each message's server time, through a seek, without the message a moderator deleted.
 * Deleting a video (its own broadcast) takes its playlists and files with it.
 *
 * The broadcast is shared by the tests that only read it; the delete test makes its own.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  type ChatMessage,
  ChatReplay,
  type StartedStream,
  type Video,
  videoPageUrl,
  vodMasterUrl,
} from "@hearth/contracts";
import { BroadcastChat, chatToken } from "./support/broadcast-chat.ts";
import { type Browser, launchChromium, type Page } from "./support/chromium.ts";
import {
  deleteVideo,
  getVideo,
  lookupStream,
  Publishers,
  type RecordingPlatform,
  startRecordingPlatform,
  startStream,
  untilVideo,
  videosOf,
} from "./support/recording-platform.ts";
import { type Seen, seenSoFar, watchReplay } from "./support/replay-visibility.ts";
import { probeSegment } from "./support/segment-probe.ts";
import { until } from "./support/until.ts";
import { play, seek, untilPlayedToEnd, untilPlayingPast } from "./support/video-element.ts";
import {
  loadTimelines,
  playingTimeline,
  positionAt,
  type Timeline,
  wallClockAt,
} from "./support/vod-timeline.ts";

// ---- the video page's hooks (apps/web, /videos/<videoId>) ----
/** The player's <video>. */
const VOD_VIDEO = "[data-testid=player-video]";
/** The player: `data-wall-ms` is the playing date, `data-time` the position; `data-rung` when it says. */
const PLAYER = "[data-testid=player]";
/** One replayed chat message beside the video. */
const REPLAY_MESSAGE = "[data-testid=replay-message]";

const SHOTS = join(import.meta.dir, "..", "..", "artifacts", "screenshots");
/** How often the page samples which replayed messages it shows. */
const SAMPLE_MS = 50;

let platform: RecordingPlatform;
let browser: Browser;
let stream: StartedStream;
let video: Video;
let liveRungs: string[] = [];
let timelines: Timeline[] = [];
const publishers = new Publishers();
const chat = new BroadcastChat();
/** The messages that stayed, with their server times, in the order sent. */
const kept: ChatMessage[] = [];
let deleted: ChatMessage;

beforeAll(async () => {
  platform = await startRecordingPlatform();
  browser = await launchChromium();
  stream = await startStream(platform.managerUrl, "Sunday speedrun");
  const publisher = publishers.start(stream, 22);
  const live = await until("the stream to be live with its rungs", 90_000, async () => {
    const l = await lookupStream(platform.managerUrl, stream.publicId);
    return l.live && l.rungs.length > 0 ? l : undefined;
  });
  liveRungs = live.rungs.map((r) => r.name).sort();
  await untilVideo(platform.managerUrl, stream.publicId, 30_000, "recording");

  const mod = await chat.join(stream, "streamer");
  mod.send({ type: "auth", key: stream.privateId });
  await mod.next("auth_ok");
  const viewer = await chat.join(stream, "viewer");
  // Known moments a few seconds apart, all inside the broadcast; one is deleted by the moderator at once.
  await Bun.sleep(2000);
  kept.push(await chat.say(viewer, `first ${chatToken()}`));
  await Bun.sleep(2000);
  deleted = await chat.say(viewer, `doomed ${chatToken()}`);
  mod.send({ type: "delete", messageId: deleted.id });
  await viewer.next("delete");
  await Bun.sleep(2000);
  kept.push(await chat.say(mod, `second ${chatToken()}`));
  await Bun.sleep(3000);
  kept.push(await chat.say(viewer, `third ${chatToken()}`));

  await publisher.exited;
  video = await untilVideo(platform.managerUrl, stream.publicId, 60_000);
  timelines = await loadTimelines(video.hlsUrl);
}, 240_000);

afterAll(async () => {
  chat.closeAll();
  await publishers.killAll();
  await browser?.close().catch(() => {});
  await platform?.stop();
}, 60_000);

/** The player's position as the page publishes it: `data-time` (s) and `data-wall-ms` (its playing date). */
function playerPosition(page: Page): Promise<{ time: number; wallMs: number }> {
  return until("the player to publish its playing date", 10_000, () =>
    page.evaluate((sel) => {
      const root = document.querySelector<HTMLElement>(sel);
      const wall = root?.dataset.wallMs ?? "";
      const time = root?.dataset.time ?? "";
      return wall === "" || time === "" ? undefined : { time: Number(time), wallMs: Number(wall) };
    }, PLAYER),
  );
}

async function openVideoPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
  await page.goto(`${platform.webUrl}/videos/${video.videoId}`);
  await page.locator(VOD_VIDEO).first().waitFor({ timeout: 20_000 });
  return page;
}

describe("a finished broadcast as a video", () => {
  test("GET /videos lists it ready; its playlists are a VOD over every live rung with program date-times", async () => {
    expect(video).toMatchObject({
      publicId: stream.publicId,
      title: "Sunday speedrun",
      state: "ready",
      hlsUrl: vodMasterUrl(`${platform.mediaUrl}/hls`, video.videoId),
      watchUrl: videoPageUrl(platform.webUrl, video.videoId),
    });
    expect(video.endedAt).not.toBeNull();
    expect(Date.parse(video.endedAt as string)).toBeGreaterThan(Date.parse(video.startedAt));
    expect(JSON.stringify(video)).not.toContain(stream.privateId);
    expect(await getVideo(platform.managerUrl, video.videoId)).toEqual(video);

    expect(timelines.map((t) => t.rung).sort()).toEqual(liveRungs);
    // The rungs cover the same moments (a player switching rungs mid-VOD must not jump): same first date.
    const firsts = timelines.map((t) => `${t.rung} ${new Date(t.segments[0]?.pdtMs ?? 0).toISOString()}`);
    const firstMs = timelines.map((t) => t.segments[0]?.pdtMs ?? 0);
    expect(Math.max(...firstMs) - Math.min(...firstMs), `first segments: ${firsts.join(", ")}`).toBeLessThan(
      250,
    );
    const startedAt = Date.parse(video.startedAt);
    for (const tl of timelines) {
      const at = `rung ${tl.rung}:\n${tl.text}`;
      expect(tl.playlistType, at).toBe("VOD");
      expect(tl.endlist, at).toBe(true);
      expect(tl.segments.length, at).toBeGreaterThan(5);
      expect(Math.abs(tl.duration - video.durationSeconds), at).toBeLessThanOrEqual(tl.targetDuration);
      for (const [i, s] of tl.segments.entries()) {
        expect(s.pdtMs, at).toBeDefined();
        const prev = tl.segments[i - 1];
        // One broadcast, no reconnect: each segment's date follows on from the previous one's end.
        if (prev && !s.discontinuity)
          expect(Math.abs((s.pdtMs ?? 0) - ((prev.pdtMs ?? 0) + prev.duration * 1000)), at).toBeLessThan(250);
      }
      expect(Math.abs((tl.segments[0]?.pdtMs ?? 0) - startedAt), at).toBeLessThanOrEqual(
        tl.targetDuration * 1000,
      );
    }
    const thumb = await fetch(video.thumbnailUrl);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get("content-type")).toContain("image/jpeg");
    await thumb.body?.cancel();
  }, 60_000);

  test("the VOD's segments (first, middle, last of every rung) decode with ffprobe", async () => {
    for (const tl of timelines) {
      const picks = [tl.segments[0], tl.segments[Math.floor(tl.segments.length / 2)], tl.segments.at(-1)];
      for (const s of picks) {
        if (!s?.initUrl) throw new Error(`rung ${tl.rung}: a segment without EXT-X-MAP\n${tl.text}`);
        const streams = await probeSegment(s.initUrl, s.url);
        const v = streams.find((x) => x.codec_type === "video");
        expect(v?.codec_name).toBe("h264");
        expect(Number(v?.nb_read_frames)).toBeGreaterThan(0);
      }
    }
  }, 60_000);

  test("hls.js plays it on /videos/<id> from start to end", async () => {
    const page = await openVideoPage();
    expect(await page.textContent("body")).toContain("Sunday speedrun");
    await play(page, 30_000, VOD_VIDEO);
    const first = await untilPlayingPast(page, "the video to play", 0, 30_000, VOD_VIDEO);
    // It starts at the start of the broadcast, not at some live edge.
    expect(first.t).toBeLessThan(3);
    expect(Math.abs(first.duration - video.durationSeconds)).toBeLessThanOrEqual(2);
    const end = await untilPlayedToEnd(page, "the video to play to its end", 120_000, VOD_VIDEO);
    expect(end.t).toBeGreaterThan(video.durationSeconds - 1.5);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, "video-page.png") });
    await page.close();
  }, 180_000);

  test("a seek to the middle plays the moment broadcast then (program date-time)", async () => {
    const page = await openVideoPage();
    await play(page, 30_000, VOD_VIDEO);
    await untilPlayingPast(page, "the video to play", 0, 30_000, VOD_VIDEO);
    const mid = Math.floor(video.durationSeconds / 2);
    await seek(page, mid, VOD_VIDEO);
    const after = await untilPlayingPast(
      page,
      "the video to play on from the middle",
      mid,
      30_000,
      VOD_VIDEO,
    );
    // It plays from where it was asked to, not from the start again or from a buffered spot elsewhere.
    expect(after.t).toBeLessThan(mid + 3);
    // The page's own playing date (what its chat replay follows) and, independently, the playlist's dates.
    const shown = await playerPosition(page);
    const expected = Date.parse(video.startedAt) + shown.time * 1000;
    const tl = await playingTimeline(page, PLAYER, timelines);
    expect(Math.abs(shown.wallMs - expected)).toBeLessThanOrEqual(tl.targetDuration * 1000);
    expect(Math.abs(wallClockAt(tl, shown.time) - expected)).toBeLessThanOrEqual(tl.targetDuration * 1000);
    await page.close();
  }, 120_000);
});

describe("chat replay beside the video", () => {
  test("the replay API has the kept messages with their server times and not the deleted one", async () => {
    const res = await fetch(video.chatReplayUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).not.toBeNull();
    const replay = ChatReplay.parse(await res.json());
    const byId = new Map(replay.messages.map((m) => [m.id, m]));
    for (const m of kept) expect(byId.get(m.id)).toEqual(m);
    expect(byId.has(deleted.id)).toBe(false);
    expect(JSON.stringify(replay)).not.toContain(deleted.text);
  }, 30_000);

  test("each message appears within 1 s of its video time, again after a seek back; the deleted one never", async () => {
    const page = await openVideoPage();
    const texts = [...kept.map((m) => m.text), deleted.text];
    await watchReplay(page, texts, { message: REPLAY_MESSAGE, player: PLAYER, everyMs: SAMPLE_MS });
    await play(page, 30_000, VOD_VIDEO);
    const tl = await playingTimeline(page, PLAYER, timelines);
    const last = kept.at(-1) as ChatMessage;
    const lastAt = positionAt(tl, last.ts);
    await untilPlayingPast(page, "the video to play past the last message", lastAt + 1.5, 90_000, VOD_VIDEO);
    const firstPass = await seenSoFar(page);

    /** Checks each message's first "visible" in `seen` happened when the video showed its moment, ±1 s. */
    const checkOnTime = (seen: Seen[], msgs: ChatMessage[], when: string) => {
      for (const m of msgs) {
        const shown = seen.find((s) => s.text === m.text && s.visible);
        if (!shown) throw new Error(`${when}: "${m.text}" never appeared; seen ${JSON.stringify(seen)}`);
        // The player's wall time when it appeared; the playlist's dates at that position must agree with it.
        const gapMs = shown.wall - m.ts;
        console.log(`${when}: "${m.text}" shown ${Math.round(gapMs)} ms after its moment`);
        expect(Math.abs(gapMs)).toBeLessThanOrEqual(1000 + SAMPLE_MS);
        expect(Math.abs(wallClockAt(tl, shown.t) - m.ts)).toBeLessThanOrEqual(1000 + 300);
      }
    };
    checkOnTime(firstPass, kept, "first pass");

    // Back to between the first and second messages: the first stays, the later ones come again on time.
    const [one, two] = kept as [ChatMessage, ChatMessage];
    const backTo = positionAt(tl, (one.ts + two.ts) / 2);
    const mark = firstPass.length;
    await seek(page, backTo, VOD_VIDEO);
    await untilPlayingPast(page, "the video to play on after the seek", backTo, 30_000, VOD_VIDEO);
    await untilPlayingPast(page, "the video to pass the last message again", lastAt + 1.5, 90_000, VOD_VIDEO);
    const all = await seenSoFar(page);
    const afterSeek = all.slice(mark);
    // The later messages were hidden by the seek (they lie ahead of the new position) and shown again.
    for (const m of kept.slice(1))
      expect(
        afterSeek.some((s) => s.text === m.text && !s.visible),
        `"${m.text}" hidden after the seek`,
      ).toBe(true);
    checkOnTime(
      afterSeek.filter((s) => s.t >= backTo - 0.5),
      kept.slice(1),
      "after the seek",
    );
    const stillFirst = await page.evaluate(
      ([sel, text]) =>
        [...document.querySelectorAll<HTMLElement>(sel as string)].some(
          (e) => e.textContent?.includes(text as string) && e.checkVisibility(),
        ),
      [REPLAY_MESSAGE, one.text] as const,
    );
    expect(stillFirst).toBe(true);
    expect(all.filter((s) => s.text === deleted.text)).toEqual([]);
    expect(await page.textContent("body")).not.toContain(deleted.text);
    await page.close();
  }, 300_000);
});

describe("deleting a video", () => {
  test("DELETE /video/:id with the stream key: 404 for its playlists and segments, its files gone", async () => {
    const s = await startStream(platform.managerUrl, "Short one");
    const p = publishers.start(s, 8);
    await p.exited;
    const v = await untilVideo(platform.managerUrl, s.publicId, 90_000);
    const [tl] = await loadTimelines(v.hlsUrl);
    if (!tl) throw new Error("a VOD without rungs");
    const seg = tl.segments[0]?.url as string;
    const dir = join(platform.dataDir, "recordings", v.videoId);
    expect(existsSync(dir)).toBe(true);

    // Without a key, or with another stream's key: refused, nothing deleted.
    expect([401, 403]).toContain((await deleteVideo(platform.managerUrl, v.videoId)).status);
    expect([401, 403]).toContain(
      (await deleteVideo(platform.managerUrl, v.videoId, stream.privateId)).status,
    );
    expect(existsSync(dir)).toBe(true);
    const res = await deleteVideo(platform.managerUrl, v.videoId, s.privateId);
    expect(res.status).toBe(204);

    expect(await getVideo(platform.managerUrl, v.videoId)).toBeNull();
    expect((await videosOf(platform.managerUrl, s.publicId)).map((x) => x.videoId)).not.toContain(v.videoId);
    await until("the video's files to be gone", 30_000, () => !existsSync(dir));
    for (const url of [v.hlsUrl, tl.variantUrl, seg]) {
      const r = await fetch(url);
      await r.body?.cancel();
      expect(r.status, url).toBe(404);
    }
    // The shared broadcast's video is untouched.
    expect((await getVideo(platform.managerUrl, video.videoId))?.state).toBe("ready");
  }, 180_000);
});
