/**
 * A WHIP publisher that drops and comes back with the same key within RECONNECT_GRACE_SECONDS continues the
 * same playlists, as an RTMP one does (media-reconnect.test.ts): the node notices the drop (a peer connection
 * closed without DELETE, or a browser killed outright, which says nothing at all), holds the stream in
 * `reconnecting` with its playlists open, and the next WHIP publish continues the media sequence after an
 * EXT-X-DISCONTINUITY. A WHIP DELETE is a clean stop: the stream ends without a grace. Real manager and
 * media node (main.ts's WHIP wiring), headless Chromium with the fake camera as the publisher.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MediaStreamStatus, type StartedStream } from "@hearth/contracts";
import HLS from "hls-parser";
import { createStream, lookup, type Platform, startPlatform, until } from "./media-harness.ts";
import { pollInBackground } from "./support/background-poll.ts";
import { childGroupLeaders, killGroup } from "./support/child-groups.ts";
import { ChromiumPublisher } from "./support/chromium-publisher.ts";
import { lastMsn, mediaSequenceBase } from "./support/media-playlist.ts";

/** Generous: a second Chromium is launched during one gap, on 2 cores shared with other suites. */
const GRACE_SECONDS = 20;

let p: Platform;
let browser: ChromiumPublisher;
/** Every stream key handed out here, to check that none reached a log line. */
const keys: string[] = [];

beforeAll(async () => {
  p = await startPlatform({ RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS), HLS_RETENTION_SECONDS: "60" });
  browser = await ChromiumPublisher.launch();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await p?.stop();
}, 30_000);

async function mediaStatus(publicId: string): Promise<MediaStreamStatus> {
  const res = await fetch(`${p.mediaUrl}/streams/${publicId}/status`);
  return MediaStreamStatus.parse(await res.json());
}

async function variant(publicId: string, rung = "source"): Promise<HLS.types.MediaPlaylist | null> {
  const res = await fetch(`${p.mediaUrl}/hls/${publicId}/${rung}/index.m3u8`);
  if (res.status !== 200) return null;
  return HLS.parse(await res.text()) as HLS.types.MediaPlaylist;
}

/** Publishes over WHIP from `from` with the stream's key; the endpoint must accept it. */
async function publish(from: ChromiumPublisher, s: StartedStream): Promise<void> {
  if (!keys.includes(s.privateId)) keys.push(s.privateId);
  const result = await from.publish({
    whipUrl: `${p.mediaUrl}/whip/${s.publicId}`,
    key: s.privateId,
    width: 640,
    height: 480,
  });
  expect(result.status, result.body).toBe(201);
}

/**
 * Stops as apps/web/src/client/whip.ts does: the peer connection is closed first (Chromium sends a DTLS
 * close_notify at once), then the WHIP DELETE goes out. Resolves with the DELETE's status.
 */
function closeThenDelete(from: ChromiumPublisher): Promise<number> {
  return from.page.evaluate(async () => {
    const whip = (
      globalThis as unknown as { whip?: { pc: RTCPeerConnection; location: string; key: string } }
    ).whip;
    if (!whip) return 0;
    whip.pc.close();
    const res = await fetch(whip.location, {
      method: "DELETE",
      headers: { authorization: `Bearer ${whip.key}` },
    });
    return res.status;
  });
}

/** Waits until the node shows the stream live with a few segments in its source playlist; returns the last msn. */
async function untilPlaying(s: StartedStream): Promise<number> {
  await until(
    "the node to show live",
    45_000,
    async () => (await mediaStatus(s.publicId)).phase === "live",
    200,
  );
  const pl = await until(
    "three source segments",
    30_000,
    async () => {
      const x = await variant(s.publicId);
      return x && x.segments.length >= 3 ? x : undefined;
    },
    200,
  );
  return lastMsn(pl);
}

/**
 * Watches the source playlist and the node's phase in the background until stopped: every media sequence
 * seen, every joint, whether the playlist ever ended, every phase the node reported.
 */
function observe(publicId: string) {
  const seen = { sequences: [] as number[], joints: new Set<number>(), ended: false, phases: [] as string[] };
  const poll = pollInBackground(async () => {
    const [pl, st] = await Promise.all([variant(publicId), mediaStatus(publicId)]);
    if (pl) {
      seen.sequences.push(mediaSequenceBase(pl));
      pl.segments.forEach((x, i) => {
        if (x.discontinuity) seen.joints.add(mediaSequenceBase(pl) + i);
      });
      if (pl.endlist) seen.ended = true;
    }
    const phase = st.phase ?? "none";
    if (seen.phases.at(-1) !== phase) seen.phases.push(phase);
  }, 150);
  return {
    seen,
    async stop() {
      await poll.stop();
      return seen;
    },
  };
}

/**
 * Drops the publisher with `drop`, then publishes again from `again` within the grace and checks that the
 * same playlists went on: reconnecting (not ended) in between, the playlists open, a joint after the old
 * media, the sequence never backwards, live again. Returns how long the node took to notice the drop.
 */
async function dropAndReturn(
  s: StartedStream,
  drop: () => Promise<void>,
  again: ChromiumPublisher,
): Promise<number> {
  const msnBefore = await untilPlaying(s);
  const watching = observe(s.publicId);
  const droppedAt = performance.now();
  await drop();
  await until(
    "the node to show reconnecting",
    GRACE_SECONDS * 1000,
    async () => (await mediaStatus(s.publicId)).phase === "reconnecting",
    100,
  );
  const noticedMs = Math.round(performance.now() - droppedAt);
  // The manager keeps it listed live, flagged reconnecting; the playlists stay open.
  const during = await until(
    "the manager to show reconnecting",
    10_000,
    async () => {
      const l = await lookup(p.managerUrl, s.publicId);
      return l.reconnecting ? l : undefined;
    },
    100,
  );
  expect(during.live).toBe(true);
  expect((await variant(s.publicId))?.endlist).toBe(false);

  await publish(again, s);
  const after = await until(
    "segments of the new publisher after a joint",
    45_000,
    async () => {
      const pl = await variant(s.publicId);
      return pl?.segments.some((x, i) => x.discontinuity && mediaSequenceBase(pl) + i > msnBefore)
        ? pl
        : undefined;
    },
    200,
  );
  expect(lastMsn(after)).toBeGreaterThan(msnBefore);
  expect(after.endlist).toBe(false);
  await until(
    "the node to show live again",
    30_000,
    async () => (await mediaStatus(s.publicId)).phase === "live",
  );
  await until(
    "the manager to show live, not reconnecting",
    10_000,
    async () => {
      const l = await lookup(p.managerUrl, s.publicId);
      return l.live && !l.reconnecting;
    },
    100,
  );
  // The watcher polls on its own pace: let it see what the checks above saw before it stops.
  await until(
    "the watcher to see the joint and the node live",
    10_000,
    () => [...watching.seen.joints].some((m) => m > msnBefore) && watching.seen.phases.at(-1) === "live",
  );
  const seen = await watching.stop();
  expect(seen.sequences.length).toBeGreaterThan(5);
  expect(seen.sequences).toEqual([...seen.sequences].sort((a, b) => a - b));
  expect(seen.ended).toBe(false);
  // Live, reconnecting for the gap, live again: never ended, never gone.
  expect(seen.phases).toEqual(["live", "reconnecting", "live"]);
  return noticedMs;
}

describe("a WHIP publisher that drops and comes back within the grace", () => {
  test("a peer connection closed without DELETE: reconnecting, then the same playlists continue", async () => {
    const s = await createStream(p.managerUrl, "whip reconnect closed");
    await publish(browser, s);
    const noticed = await dropAndReturn(s, () => browser.vanish(), browser);
    console.log(`whip reconnect: peer connection closed → reconnecting after ${noticed} ms`);
    expect(await browser.unpublish()).toBe(200);
    await until("offline", 15_000, async () => !(await lookup(p.managerUrl, s.publicId)).live);
  }, 180_000);

  test("a browser killed outright (no DTLS close, no DELETE): noticed, reconnecting, then the same playlists continue", async () => {
    const s = await createStream(p.managerUrl, "whip reconnect killed");
    const before = new Set(childGroupLeaders("chromium"));
    const doomed = await ChromiumPublisher.launch();
    try {
      const pid = childGroupLeaders("chromium").find((x) => !before.has(x));
      if (pid === undefined) throw new Error("cannot find the second Chromium's process group");
      await publish(doomed, s);
      const noticed = await dropAndReturn(s, () => killGroup(pid), browser);
      console.log(`whip reconnect: browser killed → reconnecting after ${noticed} ms`);
    } finally {
      await doomed.close();
    }
    expect(await browser.unpublish()).toBe(200);
    await until("offline", 15_000, async () => !(await lookup(p.managerUrl, s.publicId)).live);
  }, 180_000);
});

describe("a clean WHIP stop", () => {
  test("DELETE ends the stream at once: no grace, every playlist ends", async () => {
    const s = await createStream(p.managerUrl, "whip clean stop");
    await publish(browser, s);
    await untilPlaying(s);
    const watching = observe(s.publicId);
    const stoppedAt = performance.now();
    expect(await browser.unpublish()).toBe(200);
    await until("offline", 15_000, async () => !(await lookup(p.managerUrl, s.publicId)).live, 100);
    const offlineMs = Math.round(performance.now() - stoppedAt);
    await until("the playlist ends", 10_000, async () => (await variant(s.publicId))?.endlist === true);
    const seen = await watching.stop();
    console.log(`whip reconnect: DELETE → manager offline after ${offlineMs} ms`);
    expect(seen.phases).not.toContain("reconnecting");
    const log = p.logLines.filter((l) => l.includes(s.publicId));
    expect(log.some((l) => l.includes("stream reconnecting"))).toBe(false);
    expect(log.some((l) => l.includes("stream ended"))).toBe(true);
  }, 120_000);

  test("closing the peer connection, then DELETE (the order Hearth's web client stops in) is a clean stop too", async () => {
    const s = await createStream(p.managerUrl, "whip close then delete");
    await publish(browser, s);
    await untilPlaying(s);
    const watching = observe(s.publicId);
    expect(await closeThenDelete(browser)).toBe(200);
    await until("offline", 15_000, async () => !(await lookup(p.managerUrl, s.publicId)).live, 100);
    await until("the playlist ends", 10_000, async () => (await variant(s.publicId))?.endlist === true);
    const seen = await watching.stop();
    expect(seen.phases).not.toContain("reconnecting");
    const log = p.logLines.filter((l) => l.includes(s.publicId));
    expect(log.some((l) => l.includes("stream reconnecting"))).toBe(false);
  }, 120_000);

  test("the stream keys never appear in a log line", () => {
    expect(keys).toHaveLength(4);
    expect(p.logLines.some((l) => l.includes("whip session ended"))).toBe(true);
    const all = p.logLines.join("\n");
    for (const key of keys) expect(all).not.toContain(key);
  });
});
