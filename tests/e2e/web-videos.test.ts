/**
 * The recordings' pages in Chromium: the real web app (apps/web start()) and hls.js playing a real fMP4 HLS
 * recording made by ffmpeg, with EXT-X-PROGRAM-DATE-TIME on every segment. The video page's chat replay
 * follows the playback position through seeks and pauses, the Clip button posts what the contract says, the
 * page plays without JavaScript, and the watch page rewinds into a DVR playlist and goes back live.
 *
 * The manager's, chat's and media node's sides are answered by a loopback stand-in with the shapes of
 * packages/contracts (parsed with those schemas): the pages' own logic is checked on a recording and chat whose
 * times are known exactly, quickly and without a live session (it was written while those routes were being
 * built). tests/e2e/recording-*.test.ts run the same pages on the whole platform.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChatReplay, Clip, CreateClipBody, StreamLookup, Video } from "@hearth/contracts";
import type { RunningApp } from "@hearth/server-kit";
import HLS from "hls-parser";
import { start as startWeb } from "../../apps/web/src/main.ts";
import { capturingLogger } from "./support/capturing-logger.ts";
import { type Browser, launchChromium, type Page } from "./support/chromium.ts";
import { freePort } from "./support/ports.ts";
import { PAGE_POLL_MS, until } from "./support/until.ts";

const VIDEO_ID = "vidtest000000001";
const PUBLIC_ID = "rewindStream01";
const SECONDS = 24;

let dir: string;
let standIn: ReturnType<typeof Bun.serve>;
let web: RunningApp;
let webUrl: string;
let browser: Browser;
/** ms since 1970 of each segment's first frame, and its start on the player's timeline (from the playlist). */
let segments: Array<{ start: number; pdt: number }> = [];
const clipBodies: unknown[] = [];
const replayPages: string[] = [];

/** The wall time at player time `t`, from the playlist as hls-parser reads it. */
function wallAt(t: number): number {
  const seg =
    [...segments].reverse().find((s) => s.start <= t) ?? (segments[0] as { start: number; pdt: number });
  return seg.pdt + (t - seg.start) * 1000;
}

/** One 360p rung, 2 s fMP4 segments, a date on each (ffmpeg stamps them with its wall clock). */
async function makeRecording(out: string): Promise<void> {
  mkdirSync(join(out, "360p"), { recursive: true });
  const args = [
    "-hide_banner",
    "-loglevel",
    "error",
    // A moving test picture and a tone: something to decode, and frames whose position is known.
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=640x360:rate=30:duration=${SECONDS}`,
    "-f",
    "lavfi",
    "-i",
    `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`,
    // Fastest x264 preset: the machine has 2 shared cores; the pages are tested, not quality.
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    // yuv420p: what every browser decodes.
    "-pix_fmt",
    "yuv420p",
    // A keyframe every second, so every 2 s segment starts with one.
    "-g",
    "30",
    "-c:a",
    "aac",
    "-f",
    "hls",
    "-hls_time",
    "2",
    // VOD + ENDLIST, as a finished recording is.
    "-hls_playlist_type",
    "vod",
    // CMAF segments, as the media node records.
    "-hls_segment_type",
    "fmp4",
    // EXT-X-PROGRAM-DATE-TIME on every segment: what maps the timeline to the wall clock.
    "-hls_flags",
    "program_date_time+independent_segments",
    "-hls_fmp4_init_filename",
    "init.mp4",
    "-hls_segment_filename",
    join(out, "360p", "seg-%d.m4s"),
    join(out, "360p", "index.m3u8"),
  ];
  const p = Bun.spawn(["ffmpeg", ...args], { stdout: "ignore", stderr: "pipe" });
  if ((await p.exited) !== 0) throw new Error(`ffmpeg failed: ${await new Response(p.stderr).text()}`);
  writeFileSync(
    join(out, "master.m3u8"),
    "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360\n360p/index.m3u8\n",
  );
  const media = HLS.parse(readFileSync(join(out, "360p", "index.m3u8"), "utf8")) as HLS.types.MediaPlaylist;
  let start = 0;
  segments = media.segments.map((s) => {
    const at = { start, pdt: (s.programDateTime as Date).getTime() };
    start += s.duration;
    return at;
  });
  // The same recording as a growing (EVENT) playlist, as a live session's DVR is: no ENDLIST.
  const event = readFileSync(join(out, "360p", "index.m3u8"), "utf8")
    .replace("#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-PLAYLIST-TYPE:EVENT")
    .replace("#EXT-X-ENDLIST\n", "");
  writeFileSync(join(out, "360p", "event.m3u8"), event);
  const eventMaster = readFileSync(join(out, "master.m3u8"), "utf8").replace("index", "event");
  writeFileSync(join(out, "event-master.m3u8"), eventMaster);
  // The "live" playlist of this stand-in is the same media under another URL (the platform's is LL-HLS).
  writeFileSync(join(out, "live-master.m3u8"), eventMaster);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hearth-web-videos-"));
  await makeRecording(join(dir, "vod"));
  const standInPort = freePort();
  const base = `http://127.0.0.1:${standInPort}`;
  const t0 = segments[0]?.pdt ?? 0;
  // Chat at 1 s, 5 s, 12 s and 18 s into the recording; two per page, to exercise `after`.
  const chat = [1, 5, 12, 18].map((s, i) => ({
    id: `m${i}`,
    userId: `viewer000${i}`,
    name: `viewer${i}`,
    text: `message at ${s} s`,
    ts: Math.round(wallAt(s)),
  }));
  const video = Video.parse({
    videoId: VIDEO_ID,
    publicId: PUBLIC_ID,
    title: "Synth jam rerun",
    state: "ready",
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(t0 + SECONDS * 1000).toISOString(),
    durationSeconds: SECONDS,
    peakViewers: 3,
    hlsUrl: `${base}/hls/vod/${VIDEO_ID}/master.m3u8`,
    thumbnailUrl: `${base}/hls/vod/${VIDEO_ID}/thumb.jpg`,
    watchUrl: `http://web/videos/${VIDEO_ID}`,
    chatReplayUrl: `${base}/rooms/${PUBLIC_ID}/replay?from=${t0}&to=${t0 + SECONDS * 1000}`,
  });
  const cors = { "access-control-allow-origin": "*", "access-control-allow-headers": "content-type" };
  standIn = Bun.serve({
    port: standInPort,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
      if (url.pathname === `/video/${VIDEO_ID}`) return Response.json(video, { headers: cors });
      if (url.pathname === "/videos")
        return Response.json({ videos: [video], nextCursor: null }, { headers: cors });
      if (url.pathname === `/stream/${PUBLIC_ID}`) {
        const lookup = StreamLookup.parse({
          publicId: PUBLIC_ID,
          name: "Synth jam",
          live: true,
          hlsUrl: `${base}/hls/vod/${VIDEO_ID}/live-master.m3u8`,
          chatUrl: `ws://127.0.0.1:${standInPort}/rooms/${PUBLIC_ID}`,
          rungs: [{ name: "360p", bandwidth: 900_000, width: 640, height: 360, playlist: "360p/event.m3u8" }],
          dvr: { videoId: VIDEO_ID, hlsUrl: `${base}/hls/vod/${VIDEO_ID}/event-master.m3u8` },
        });
        return Response.json(lookup, { headers: cors });
      }
      if (url.pathname === "/clips" && req.method === "POST") {
        const body = CreateClipBody.parse(await req.json());
        clipBodies.push(body);
        // The third clip is refused, as the manager's per-client rate limit does.
        if (clipBodies.length === 3) {
          return Response.json(
            { error: { code: "rate_limited", message: "too many clips" } },
            {
              status: 429,
              headers: { ...cors, "retry-after": "30", "access-control-expose-headers": "retry-after" },
            },
          );
        }
        const clip = Clip.parse({
          clipId: `clip${clipBodies.length}00000000001`,
          publicId: PUBLIC_ID,
          videoId: VIDEO_ID,
          title: "Synth jam",
          createdAt: new Date().toISOString(),
          startedAt: new Date(t0).toISOString(),
          durationSeconds: 30,
          hlsUrl: `${base}/hls/clips/x/master.m3u8`,
          thumbnailUrl: `${base}/hls/clips/x/thumb.jpg`,
          watchUrl: `http://web/clips/clip${clipBodies.length}00000000001`,
        });
        return Response.json(clip, { status: 201, headers: cors });
      }
      if (url.pathname === `/rooms/${PUBLIC_ID}/replay`) {
        replayPages.push(url.search);
        const after = Number(url.searchParams.get("after") ?? "0");
        const page = ChatReplay.parse({
          messages: chat.slice(after, after + 2),
          next: after + 2 < chat.length ? String(after + 2) : null,
        });
        return Response.json(page, { headers: cors });
      }
      const file = /^\/hls\/vod\/[a-z0-9]+\/(.+)$/.exec(url.pathname)?.[1];
      if (file && !file.includes("..")) {
        const f = Bun.file(join(dir, "vod", file));
        if (await f.exists()) return new Response(f, { headers: cors });
      }
      return Response.json(
        { error: { code: "not_found", message: "no such thing" } },
        { status: 404, headers: cors },
      );
    },
  });
  const webPort = freePort();
  web = await startWeb({
    env: { WEB_PORT: String(webPort), BIND_HOST: "127.0.0.1", MANAGER_URL: base },
    logger: capturingLogger([], { svc: "web" }),
  });
  webUrl = `http://127.0.0.1:${webPort}`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await web?.stop();
  standIn?.stop(true);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The player's published position and the replayed messages, read in one step in the page. */
function replayState(page: Page) {
  return page.evaluate(() => {
    const p = document.querySelector<HTMLElement>("[data-testid=player]");
    const v = document.querySelector("video");
    return {
      t: v?.currentTime ?? 0,
      paused: v?.paused ?? true,
      wallMs: p?.dataset.wallMs ? Number(p.dataset.wallMs) : null,
      ts: [...document.querySelectorAll<HTMLElement>("[data-testid=replay-message]")].map((m) =>
        Number(m.dataset.ts),
      ),
    };
  });
}

/** Waits until the replay shows exactly the messages sent up to the player's position. */
async function untilReplayMatches(page: Page, what: string) {
  return until(
    what,
    30_000,
    async () => {
      const s = await replayState(page);
      if (s.wallMs === null) return false;
      const expected = [1, 5, 12, 18]
        .map((x) => Math.round(wallAt(x)))
        .filter((ts) => ts <= (s.wallMs as number));
      return JSON.stringify(s.ts) === JSON.stringify(expected) ? s : false;
    },
    PAGE_POLL_MS,
  );
}

describe("the video page in Chromium", () => {
  test("plays the recording and replays the chat in step with the position, through seeks and pauses", async () => {
    const page = await browser.newPage();
    await page.goto(`${webUrl}/videos/${VIDEO_ID}`);
    expect(await page.getByTestId("video-title").textContent()).toBe("Synth jam rerun");
    expect(await page.getByTestId("video-duration").textContent()).toBe("0:24");
    await page.evaluate(() => {
      const v = document.querySelector("video") as HTMLVideoElement;
      v.muted = true;
      return v.play();
    });
    await until("playback to pass 2 s", 30_000, async () => (await replayState(page)).t > 2, PAGE_POLL_MS);
    // The published wall time is the playlist's date plus the offset in the segment.
    const s = await replayState(page);
    expect(Math.abs((s.wallMs as number) - wallAt(s.t))).toBeLessThan(1000);
    await untilReplayMatches(page, "the replay to show the first message");

    await page.evaluate(() => {
      const v = document.querySelector("video") as HTMLVideoElement;
      v.pause();
      v.currentTime = 14;
    });
    const forward = await untilReplayMatches(
      page,
      "the replay after a seek forward (pages loaded through `after`)",
    );
    expect(forward.ts.length).toBe(3);
    expect(replayPages.some((q) => q.includes("after=2"))).toBe(true);

    await page.evaluate(() => {
      (document.querySelector("video") as HTMLVideoElement).currentTime = 3;
    });
    const back = await untilReplayMatches(page, "the replay after a seek back");
    expect(back.ts.length).toBe(1);
    expect(back.paused).toBe(true);
    await page.close();
  });

  test("the Clip button cuts the 30 s before the position and shows the link; a 429 shows why", async () => {
    const page = await browser.newPage();
    await page.goto(`${webUrl}/videos/${VIDEO_ID}`);
    await until(
      "the player to load",
      30_000,
      async () => (await replayState(page)).wallMs !== null,
      PAGE_POLL_MS,
    );
    await page.evaluate(() => {
      (document.querySelector("video") as HTMLVideoElement).currentTime = 20;
    });
    await until(
      "the seek to land",
      30_000,
      async () => Math.abs((await replayState(page)).t - 20) < 0.5,
      PAGE_POLL_MS,
    );
    await page.getByTestId("clip-button").click();
    const href = await page.getByTestId("clip-link").getAttribute("href");
    expect(href).toBe("/clips/clip100000000001");
    const body = clipBodies[0] as { videoId: string; startSeconds: number; durationSeconds: number };
    expect(body.videoId).toBe(VIDEO_ID);
    expect(body.startSeconds).toBe(0);
    expect(body.durationSeconds).toBeCloseTo(20, 0);
    await page.getByTestId("clip-button").click();
    await page.getByTestId("clip-link").waitFor();
    await page.getByTestId("clip-button").click();
    const error = await page.getByTestId("clip-error").textContent();
    expect(error).toContain("too many clips; try again in 30 s");
    await page.close();
  });

  test("without JavaScript the page still has the details and a <video> on the master playlist", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${webUrl}/videos/${VIDEO_ID}`);
    expect(await page.getByTestId("video-title").textContent()).toBe("Synth jam rerun");
    expect(await page.getByTestId("player-video").getAttribute("src")).toEndWith(
      `/hls/vod/${VIDEO_ID}/master.m3u8`,
    );
    await context.close();
  });
});

describe("live rewind on the watch page", () => {
  test("−10 s plays the DVR playlist 10 s back, and Go live returns to the live playlist", async () => {
    const page = await browser.newPage();
    await page.goto(`${webUrl}/watch/${PUBLIC_ID}`);
    // hls.js starts a live playlist near its end (18 s of 24 here).
    await until(
      "the live player to play near the edge",
      30_000,
      async () => (await replayState(page)).t > 15,
      PAGE_POLL_MS,
    );
    const mode = () =>
      page.evaluate(() => document.querySelector<HTMLElement>("[data-testid=player]")?.dataset.mode);
    expect(await mode()).toBe("live");
    // Live, the Clip button asks for the 30 s up to the frame on screen.
    const shown = (await replayState(page)).wallMs as number;
    await page.getByTestId("clip-button").click();
    await page.getByTestId("clip-link").waitFor();
    const live = clipBodies.at(-1) as { stream: string; endAt: string; durationSeconds: number };
    expect(live.stream).toBe(PUBLIC_ID);
    expect(live.durationSeconds).toBe(30);
    expect(Math.abs(Date.parse(live.endAt) - shown)).toBeLessThan(3000);

    const before = (await replayState(page)).wallMs as number;
    await page.getByTestId("rewind").click();

    await until(
      "the player to play the DVR playlist",
      30_000,
      async () => (await mode()) === "dvr",
      PAGE_POLL_MS,
    );
    await page.getByTestId("go-live").waitFor();
    // Rewound: the frame on screen is about 10 s before the one that was (the playlist does not grow here).
    const rewound = await until(
      "the rewound position",
      30_000,
      async () => {
        const s = await replayState(page);
        return s.wallMs !== null && s.wallMs < before - 5000 ? s.wallMs : false;
      },
      PAGE_POLL_MS,
    );
    expect(rewound).toBeGreaterThan(before - 15_000);
    // Rewound, a clip is cut from the recording's own timeline.
    await page.getByTestId("clip-button").click();
    await until("the second clip", 30_000, () => clipBodies.length === 5, PAGE_POLL_MS);
    expect(clipBodies.at(-1)).toMatchObject({ videoId: VIDEO_ID, durationSeconds: 30 });
    await page.getByTestId("go-live").click();
    await until("the live playlist again", 30_000, async () => (await mode()) === "live", PAGE_POLL_MS);
    expect(await page.getByTestId("go-live").count()).toBe(0);
    await page.close();
  });
});
