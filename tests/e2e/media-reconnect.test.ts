/**
 * A streamer whose connection drops (ffmpeg SIGKILLed: an abrupt TCP close, no unpublish) and who comes back
 * with the same key within RECONNECT_GRACE_SECONDS continues the same playlists: the media sequence goes
 * on, a discontinuity marks the joint, the watch page's player resumes by itself and the directory never
 * shows the stream offline. A clean unpublish ends the stream at once; a drop past the grace ends it then.
 * The whole platform runs (manager, chat, media, web) with hls.js in headless Chromium on the watch page.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MediaStreamStatus, type StartedStream, StreamList } from "@hearth/contracts";
import HLS from "hls-parser";
import { createStream, lookup, reap } from "./media-harness.ts";
import { pollInBackground } from "./support/background-poll.ts";
import { type Browser, launchChromium, type Page } from "./support/chromium.ts";
import { lastMsn, mediaSequenceBase } from "./support/media-playlist.ts";
import { untilPlaybackAdvances, videoState } from "./support/player.ts";
import { publishSynthetic } from "./support/synthetic-source.ts";
import { startWebPlatform, until, type WebPlatform } from "./web-harness.ts";

/** Long enough for the 5 s drop, short enough that the drop past it keeps the suite light. */
const GRACE_SECONDS = 7;

let platform: WebPlatform;
let browser: Browser;

beforeAll(async () => {
  platform = await startWebPlatform({
    RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS),
    HLS_RETENTION_SECONDS: "30",
  });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await platform?.stop();
}, 30_000);

/** A 30 fps H.264/AAC publisher with a 1 s GOP (OBS for low latency) at `width`x`height`. */
function publish(s: StartedStream, width = 640, height = 360): Bun.Subprocess {
  return publishSynthetic(
    `${s.rtmp.server}/${s.rtmp.streamKey}`,
    { seconds: 600, width, height, videoKbps: 800 },
    "ignore",
  );
}

/** Drops the publisher as a lost connection does: no unpublish, the socket just closes. */
async function drop(p: Bun.Subprocess): Promise<void> {
  p.kill("SIGKILL");
  await p.exited;
}

async function mediaStatus(publicId: string): Promise<MediaStreamStatus> {
  const res = await fetch(`${platform.mediaUrl}/streams/${publicId}/status`);
  return MediaStreamStatus.parse(await res.json());
}

async function variant(publicId: string, rung: string): Promise<HLS.types.MediaPlaylist | null> {
  const res = await fetch(`${platform.mediaUrl}/hls/${publicId}/${rung}/index.m3u8`);
  if (res.status !== 200) return null;
  return HLS.parse(await res.text()) as HLS.types.MediaPlaylist;
}

/**
 * Watches one variant playlist (and the directory) in the background until stopped: every media sequence
 * seen, every joint, whether it ever ended, and whether the directory ever listed the stream offline.
 */
function observe(publicId: string, rung = "source") {
  const seen = {
    sequences: [] as number[],
    /** Media sequence numbers of segments that start after a discontinuity. */
    joints: new Set<number>(),
    /** EXT-X-MAP URIs seen, in order. */
    maps: [] as string[],
    ended: false,
    offlineInDirectory: 0,
    directoryPolls: 0,
  };
  const poll = pollInBackground(async () => {
    const [pl, dir] = await Promise.all([
      variant(publicId, rung),
      fetch(`${platform.managerUrl}/streams`).then(async (r) => StreamList.parse(await r.json())),
    ]);
    if (pl) {
      seen.sequences.push(mediaSequenceBase(pl));
      pl.segments.forEach((s, i) => {
        if (s.discontinuity) seen.joints.add(mediaSequenceBase(pl) + i);
        const uri = s.map?.uri;
        if (uri && !seen.maps.includes(uri)) seen.maps.push(uri);
      });
      if (pl.endlist) seen.ended = true;
    }
    seen.directoryPolls += 1;
    if (!dir.streams.find((s) => s.publicId === publicId)?.live) seen.offlineInDirectory += 1;
  }, 200);
  return {
    seen,
    async stop() {
      await poll.stop();
      return seen;
    },
  };
}

/** Opens the watch page and waits until the video plays; counts master playlist loads (a player rebuild reloads it). */
async function watch(publicId: string): Promise<{ page: Page; masterLoads: () => number }> {
  const page = await browser.newPage();
  let masterLoads = 0;
  page.on("request", (r) => {
    if (r.url().includes(`/${publicId}/master.m3u8`)) masterLoads += 1;
  });
  await page.goto(`${platform.webUrl}/watch/${publicId}`);
  await untilPlaybackAdvances(page, "the video to play");
  return { page, masterLoads: () => masterLoads };
}

async function untilLive(s: StartedStream): Promise<void> {
  await until(
    "the manager shows the stream live",
    30_000,
    async () => (await lookup(platform.managerUrl, s.publicId)).live,
  );
}

describe("a publisher that drops and comes back within the grace", () => {
  test("drops of 1 s and 5 s: same playlists, sequence goes on, a joint each time, the player resumes, never offline", async () => {
    const s = await createStream(platform.managerUrl, "reconnect drops");
    let pub = publish(s);
    try {
      await untilLive(s);
      const viewer = await watch(s.publicId);
      const loadsAtStart = viewer.masterLoads();
      const watchList = observe(s.publicId);
      for (const gapMs of [1000, 5000]) {
        const before = (await variant(s.publicId, "source")) as HLS.types.MediaPlaylist;
        const msnBefore = lastMsn(before);
        await drop(pub);
        // The node waits for the publisher: reconnecting, the playlists open.
        const st = await until("the node to show reconnecting", 10_000, async () => {
          const x = await mediaStatus(s.publicId);
          return x.phase === "reconnecting" ? x : undefined;
        });
        expect(st.live).toBe(true);
        await Bun.sleep(gapMs);
        pub = publish(s);
        // New media continues the numbering past the joint.
        const after = await until("segments of the new publisher", 30_000, async () => {
          const pl = await variant(s.publicId, "source");
          return pl?.segments.some((x, i) => x.discontinuity && mediaSequenceBase(pl) + i > msnBefore)
            ? pl
            : undefined;
        });
        expect(lastMsn(after)).toBeGreaterThan(msnBefore);
        expect(after.endlist).toBe(false);
        await until(
          "the node to show live again",
          20_000,
          async () => (await mediaStatus(s.publicId)).phase === "live",
        );
        await untilPlaybackAdvances(viewer.page, `playback to resume after a ${gapMs} ms drop`);
        expect((await videoState(viewer.page)).state).not.toBe("offline");
      }
      const seen = await watchList.stop();
      // Never backwards under one URL; never ended; a joint per drop; the directory always listed it live.
      expect(seen.sequences).toEqual([...seen.sequences].sort((a, b) => a - b));
      expect(seen.ended).toBe(false);
      expect(seen.joints.size).toBeGreaterThanOrEqual(2);
      expect(seen.maps.length).toBeGreaterThanOrEqual(3);
      expect(seen.directoryPolls).toBeGreaterThan(10);
      expect(seen.offlineInDirectory).toBe(0);
      // The player was never rebuilt: the master playlist was loaded once, when the page opened.
      expect(viewer.masterLoads()).toBe(loadsAtStart);
      await viewer.page.close();
    } finally {
      pub.kill("SIGKILL");
      await reap(pub);
    }
  }, 180_000);

  test("a reconnect at another resolution plays on: a new init at the joint, the master tells the new size", async () => {
    const s = await createStream(platform.managerUrl, "reconnect resize");
    let pub = publish(s, 640, 360);
    try {
      await untilLive(s);
      const viewer = await watch(s.publicId);
      const msnBefore = lastMsn((await variant(s.publicId, "source")) as HLS.types.MediaPlaylist);
      await drop(pub);
      await until(
        "reconnecting",
        10_000,
        async () => (await mediaStatus(s.publicId)).phase === "reconnecting",
      );
      pub = publish(s, 426, 240);
      await until("live again", 30_000, async () => (await mediaStatus(s.publicId)).phase === "live");
      const pl = (await variant(s.publicId, "source")) as HLS.types.MediaPlaylist;
      const joint = pl.segments.findIndex((x, i) => x.discontinuity && mediaSequenceBase(pl) + i > msnBefore);
      expect(joint).toBeGreaterThanOrEqual(0);
      const maps = new Set(pl.segments.map((x) => x.map?.uri));
      expect(maps.size).toBeGreaterThanOrEqual(2);
      const master = await (await fetch(`${platform.mediaUrl}/hls/${s.publicId}/master.m3u8`)).text();
      expect(master).toContain("RESOLUTION=426x240,FRAME-RATE=30.000");
      // The scaled rung keeps its size (its URL and master entry stay valid), scaled from the new source. (A
      // 640x360 source's ladder is source + 160p: no rung at or near the source's own height.)
      expect(master).toMatch(/RESOLUTION=284x160,.*NAME="160p"/);
      await untilPlaybackAdvances(viewer.page, "playback at the new resolution");
      await viewer.page.close();
    } finally {
      pub.kill("SIGKILL");
      await reap(pub);
    }
  }, 120_000);
});

describe("the end of a stream", () => {
  test("a clean RTMP unpublish (ffmpeg's SIGINT sends FCUnpublish/deleteStream) ends it without a grace", async () => {
    const s = await createStream(platform.managerUrl, "clean stop");
    const pub = publish(s);
    try {
      await untilLive(s);
      // One clock for every rung: a segment of the encoded rung starts at the same wall time as the copied
      // rung's segment that starts with the same frame (both cut at the publisher's 1 s keyframes).
      const dates = async (rung: string) =>
        ((await variant(s.publicId, rung))?.segments ?? [])
          .map((x) => x.programDateTime?.getTime())
          .filter((t): t is number => t !== undefined);
      // The encoded rung of a 640x360 source's ladder is 160p (no rung at or near the source's own height).
      await until("four dated segments", 20_000, async () => (await dates("160p")).length >= 4);
      const [srcDates, lowDates] = await Promise.all([dates("source"), dates("160p")]);
      const offsets = lowDates.map((t) => Math.min(...srcDates.map((u) => Math.abs(u - t))));
      console.log(`program date-time, 160p vs source at the same frame: ${offsets.join(", ")} ms apart`);
      expect(Math.max(...offsets)).toBeLessThanOrEqual(2);
      const stoppedAt = Date.now();
      pub.kill("SIGINT");
      await until(
        "the manager shows offline",
        10_000,
        async () => !(await lookup(platform.managerUrl, s.publicId)).live,
      );
      const offlineMs = Date.now() - stoppedAt;
      await until(
        "the playlist ends",
        10_000,
        async () => (await variant(s.publicId, "source"))?.endlist === true,
      );
      console.log(`clean unpublish → manager offline after ${offlineMs} ms`);
      // Never through reconnecting: the node logged the end, not a drop.
      const log = (platform.logs.media ?? []).filter((l) => l.includes(s.publicId));
      expect(log.some((l) => l.includes("stream reconnecting"))).toBe(false);
      expect(log.some((l) => l.includes("stream ended"))).toBe(true);
    } finally {
      pub.kill("SIGKILL");
      await reap(pub);
    }
  }, 60_000);

  test("a drop past the grace ends it then; a new session later never numbers backwards", async () => {
    const s = await createStream(platform.managerUrl, "gone for good");
    let pub = publish(s);
    try {
      await untilLive(s);
      const msnBefore = lastMsn((await variant(s.publicId, "source")) as HLS.types.MediaPlaylist);
      const watchList = observe(s.publicId);
      await drop(pub);
      const droppedAt = Date.now();
      await until(
        "reconnecting",
        10_000,
        async () => (await mediaStatus(s.publicId)).phase === "reconnecting",
      );
      await until("the manager shows offline", GRACE_SECONDS * 1000 + 10_000, async () => {
        return !(await lookup(platform.managerUrl, s.publicId)).live;
      });
      const offlineAfter = Date.now() - droppedAt;
      await until(
        "the playlist ends",
        10_000,
        async () => (await variant(s.publicId, "source"))?.endlist === true,
      );
      const seen = await watchList.stop();
      console.log(`drop past the grace (${GRACE_SECONDS} s) → offline after ${offlineAfter} ms`);
      // Listed live for the whole grace: it went offline only when the grace expired.
      expect(seen.offlineInDirectory).toBeLessThan(seen.directoryPolls);
      expect(offlineAfter).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000);
      // The same key later starts a new session under the same URL: its numbers continue upwards.
      pub = publish(s);
      await untilLive(s);
      const fresh = (await variant(s.publicId, "source")) as HLS.types.MediaPlaylist;
      expect(fresh.endlist).toBe(false);
      expect(mediaSequenceBase(fresh)).toBeGreaterThan(msnBefore);
    } finally {
      pub.kill("SIGKILL");
      await reap(pub);
    }
  }, 90_000);
});
