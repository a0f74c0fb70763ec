/**
 * Capacity end to end with real ffmpeg on the real node (issue 14): a small transcode budget, more publishers
 * than it holds, a hard stream limit, a stop with a backlog, and a publisher faster than real time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MediaStreamStatus, type StartedStream } from "@hearth/contracts";
import { checkLlhlsPlaylist } from "../../apps/media/testing/playlist-conformance.ts";
import { createStream, lookup, type Platform, startPlatform, until } from "./media-harness.ts";
import { variantAttributes } from "./support/master-playlist.ts";
import { alive } from "./support/processes.ts";
import { FFMPEG_QUIET, publishSynthetic, syntheticSourceArgs } from "./support/synthetic-source.ts";

/**
 * For a 640x360 15 fps source: 240p + 160p encoded at ultrafast plus one decode costs 2.19 Mpx/s, without the
 * 240p 1.27. A budget of 3.5 holds one full ladder and one reduced one; the third stream gets source only.
 */
const LADDER = JSON.stringify({
  rungs: [
    { name: "240p", height: 240, videoKbps: 300, audioKbps: 64 },
    { name: "160p", height: 160, videoKbps: 182, audioKbps: 48 },
  ],
});
const LIGHT = { width: 640, height: 360, fps: 15, videoKbps: 500, audioKbps: 64 };

const status = async (p: Platform, id: string) =>
  MediaStreamStatus.parse(await (await fetch(`${p.mediaUrl}/streams/${id}/status`)).json());

/** The rung names of the master playlist, once every one lists a complete segment (strictly parsed). */
async function playable(p: Platform, id: string, strict = true): Promise<string[] | false> {
  const res = await fetch(`${p.mediaUrl}/hls/${id}/master.m3u8`);
  if (!res.ok) return false;
  const names = variantAttributes(await res.text()).map((a) => a.NAME ?? "?");
  if (names.length === 0) return false;
  for (const name of names) {
    const r = await fetch(`${p.mediaUrl}/hls/${id}/${name}/index.m3u8`);
    if (!r.ok) return false;
    const text = await r.text();
    const segments = strict
      ? checkLlhlsPlaylist(text).segments.length
      : text.split("\n").filter((l) => l.startsWith("#EXTINF:")).length;
    if (segments === 0) return false;
  }
  return names;
}

async function stopStream(p: Platform, s: StartedStream): Promise<void> {
  const res = await fetch(`${p.managerUrl}/stop_stream/${s.publicId}`, {
    method: "POST",
    headers: { authorization: `Bearer ${s.privateId}` },
  });
  expect(res.status).toBe(204);
}

describe("admission: more publishers than the budget", () => {
  let p: Platform;
  const pubs: Bun.Subprocess[] = [];

  beforeAll(async () => {
    p = await startPlatform({
      HLS_LADDER: LADDER,
      MEDIA_TRANSCODE_BUDGET: "3.5",
      MEDIA_MAX_STREAMS: "3",
      // Admission alone decides the rungs here (a loaded machine would otherwise cut them too).
      MEDIA_DEGRADE: "false",
    });
  });
  afterAll(async () => {
    for (const pub of pubs) pub.kill("SIGKILL");
    await p.stop();
  });

  test("first come first served: full, reduced, source only, every one playable; the fourth is refused", async () => {
    const streams: StartedStream[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await createStream(p.managerUrl, `capacity ${i}`);
      streams.push(s);
      pubs.push(
        publishSynthetic(`${s.rtmp.server}/${s.rtmp.streamKey}`, { ...LIGHT, seconds: 120 }, "ignore"),
      );
      // One at a time, so the order of admission is the order of publishing.
      await until(`stream ${i} live`, 60_000, async () => (await lookup(p.managerUrl, s.publicId)).live);
    }
    const rungs: string[][] = [];
    for (const s of streams)
      rungs.push(await until(`${s.publicId} playable`, 60_000, () => playable(p, s.publicId)));
    expect(rungs).toEqual([["source", "240p", "160p"], ["source", "160p"], ["source"]]);
    const levels = await Promise.all(streams.map(async (s) => (await status(p, s.publicId)).quality?.level));
    expect(levels).toEqual(["full", "reduced", "source"]);
    const reduced = (await status(p, streams[1]?.publicId as string)).quality;
    expect(reduced?.reason).toContain("budget");
    // The manager shows which quality each stream got.
    const view = await lookup(p.managerUrl, streams[2]?.publicId as string);
    expect(view.rungs.map((r) => r.name)).toEqual(["source"]);

    const fourth = await createStream(p.managerUrl, "capacity refused");
    const refused = publishSynthetic(
      `${fourth.rtmp.server}/${fourth.rtmp.streamKey}`,
      { ...LIGHT, seconds: 60 },
      "ignore",
    );
    pubs.push(refused);
    // The node drops the publish: the publisher's ffmpeg ends on its own.
    await until("the refused publisher to exit", 30_000, () => refused.exitCode !== null);
    expect(p.logLines.some((l) => l.includes("rtmp publish refused: node at capacity"))).toBe(true);
    // OBS only says "failed to connect": the manager tells the streamer why.
    const refusal = await until("the manager to show the refusal", 10_000, async () => {
      const view = await lookup(p.managerUrl, fourth.publicId);
      return view.refusal ?? undefined;
    });
    expect(refusal.code).toBe("at_capacity");
    expect(refusal.retryAfterSeconds).toBeGreaterThan(0);
    expect((await lookup(p.managerUrl, fourth.publicId)).live).toBe(false);
    const metrics = await (await fetch(`${p.mediaUrl}/metrics`)).text();
    expect(metrics).toContain('hearth_media_transcode_budget{kind="total"} 3.5');
  }, 240_000);
});

describe("a publisher faster than real time", () => {
  let p: Platform;
  let dir: string;
  let clip: string;

  beforeAll(async () => {
    // 1 MiB of input may wait for ffmpeg: anything more is dropped to the next keyframe.
    p = await startPlatform({ MEDIA_FEED_MAX_MIB: "1", MEDIA_FEED_MAX_SECONDS: "2", MEDIA_DEGRADE: "true" });
    dir = mkdtempSync(join(tmpdir(), "hearth-capacity-"));
    clip = join(dir, "clip.mp4");
    // A pre-encoded 720p30 clip: the publisher copies it (no -re), so it sends as fast as the socket takes it.
    const make = Bun.spawn(
      ["ffmpeg", ...syntheticSourceArgs({ seconds: 6, realtime: false, videoKbps: 3000 }), "-y", clip],
      { stdout: "ignore", stderr: "inherit" },
    );
    expect(await make.exited).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await p.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("memory stays bounded while it floods, and the stop kills a backlogged ffmpeg within 3 s", async () => {
    const s = await createStream(p.managerUrl, "flood");
    const pub = Bun.spawn(
      [
        "ffmpeg",
        ...FFMPEG_QUIET,
        ...["-stream_loop", "-1", "-i", clip, "-c", "copy", "-f", "flv"],
        `${s.rtmp.server}/${s.rtmp.streamKey}`,
      ],
      { stdin: "ignore", stdout: "ignore", stderr: "ignore" },
    );
    try {
      await until("the flood to be live", 60_000, async () => (await lookup(p.managerUrl, s.publicId)).live);
      const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) * 1024;
      Bun.gc(true);
      const before = rss();
      let peak = before;
      const dropped = async () => {
        const m = await (await fetch(`${p.mediaUrl}/metrics`)).text();
        return Number(
          new RegExp(`hearth_media_input_dropped_bytes_total\\{stream="${s.publicId}"\\} (\\d+)`).exec(
            m,
          )?.[1] ?? 0,
        );
      };
      // Flood until far more has been dropped than the bound lets through (the publisher is many times real time).
      await until(
        "200 MB of flood input dropped",
        90_000,
        async () => {
          peak = Math.max(peak, rss());
          return (await dropped()) > 200 * 1024 * 1024;
        },
        250,
      );
      console.log(
        `flood: ${((await dropped()) / 1048576).toFixed(0)} MiB dropped; process RSS ${(before / 1048576).toFixed(0)} -> peak ${(peak / 1048576).toFixed(0)} MiB`,
      );
      // Unbounded, 200 MB of input would sit in memory; bounded, the growth is the 1 MiB queue plus noise.
      expect(peak - before).toBeLessThan(150 * 1024 * 1024);

      // (Not strictly parsed: after whole-GOP drops the copied rung's newest part can be short; see the report.)
      // ffmpeg cannot keep up with a flood: the stream is made cheaper step by step down to source only, under
      // the same public id; the rungs that went away leave the master and are no longer served.
      const q = await until("the flood to be degraded to source only", 90_000, async () => {
        const st = await status(p, s.publicId);
        return st.quality?.level === "source" ? st.quality : undefined;
      });
      expect(q.rungs).toEqual(["source"]);
      expect(q.reason).toContain("overflowed");
      expect(
        await until("the master without the dropped rungs", 30_000, () => playable(p, s.publicId, false)),
      ).toEqual(["source"]);
      expect((await fetch(`${p.mediaUrl}/hls/${s.publicId}/480p/index.m3u8`)).status).toBe(404);
      const m = await (await fetch(`${p.mediaUrl}/metrics`)).text();
      const degradations = Number(
        new RegExp(`hearth_media_degradations_total\\{stream="${s.publicId}"\\} (\\d+)`).exec(m)?.[1],
      );
      expect(degradations).toBeGreaterThanOrEqual(2);
      expect(p.logLines.some((l) => l.includes("stream degraded to stay real-time"))).toBe(true);
      await until("the manager to show the source-only quality", 15_000, async () => {
        const v = await lookup(p.managerUrl, s.publicId);
        return v.rungs.length === 1 && v.rungs[0]?.name === "source";
      });

      const pid = (await status(p, s.publicId)).transcoder?.pid as number;
      expect(pid).toBeGreaterThan(0);
      const stoppedAt = Date.now();
      // Polled while the stop request is under way: the bound is 3 s from the stop, however long the request
      // itself takes (the cap is slightly above 3 s for the polling and the request's own start).
      const stopping = stopStream(p, s);
      await until("the stream's ffmpeg to be gone", 3_500, () => !alive(pid), 20);
      console.log(`ffmpeg gone ${Date.now() - stoppedAt} ms after stop_stream was sent`);
      await stopping;
    } finally {
      pub.kill("SIGKILL");
    }
  }, 240_000);
});
