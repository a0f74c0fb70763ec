/**
 * The media node end to end with the real manager and chat: a real ffmpeg publishes 720p30 H.264/AAC
 * over RTMP, the node transcodes the ladder, and the HLS output, the manager's live flag, refusals,
 * crash recovery and the end of the stream are checked from the outside.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MediaStreamStatus, type StartedStream } from "@hearth/contracts";
import { checkLlhlsPlaylist, partUris } from "../../apps/media/testing/playlist-conformance.ts";
import {
  createStream,
  lookup,
  type Platform,
  probeVideo,
  publish,
  reap,
  startPlatform,
  until,
} from "./media-harness.ts";
import { variantAttributes } from "./support/master-playlist.ts";

let p: Platform;
const scratch = mkdtempSync(join(tmpdir(), "hearth-media-probe-"));

beforeAll(async () => {
  p = await startPlatform({ HLS_RETENTION_SECONDS: "3" });
}, 30_000);
afterAll(async () => {
  await p?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const rtmpUrl = (key: string) => `rtmp://127.0.0.1:${p.ports.rtmp}/live/${key}`;
const hls = (path: string) => fetch(`${p.mediaUrl}/hls/${path}`);
async function status(publicId: string): Promise<MediaStreamStatus> {
  return MediaStreamStatus.parse(await (await fetch(`${p.mediaUrl}/streams/${publicId}/status`)).json());
}
async function variant(publicId: string, rung: string): Promise<string> {
  const res = await hls(`${publicId}/${rung}/index.m3u8`);
  return res.status === 200 ? await res.text() : "";
}
function sequences(playlist: string): number[] {
  const seq = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)?.[1] ?? "0");
  const count = segmentUris(playlist).length;
  return Array.from({ length: count }, (_, i) => seq + i);
}

/** The (CMAF) segment URIs of a variant playlist. */
function segmentUris(playlist: string): string[] {
  return playlist.split("\n").filter((l) => /^[^#].*\.m4s$/.test(l));
}

/**
 * A segment as a file ffprobe can read on its own: the CMAF segment prefixed with the init segment of the
 * last EXT-X-MAP before it (fMP4 media segments carry no codec configuration).
 */
async function decodableSegment(publicId: string, rung: string, playlist: string, seg: string) {
  const res = await hls(`${publicId}/${rung}/${seg}`);
  expect(res.status).toBe(200);
  expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  const body = new Uint8Array(await res.arrayBuffer());
  const lines = playlist.split("\n");
  const map = lines
    .slice(0, lines.indexOf(seg))
    .filter((l) => l.startsWith("#EXT-X-MAP:"))
    .at(-1);
  const uri = /URI="([^"]+)"/.exec(map ?? "")?.[1];
  expect(uri).toBeDefined();
  const init = await hls(`${publicId}/${rung}/${uri}`);
  expect(init.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  const head = new Uint8Array(await init.arrayBuffer());
  const both = new Uint8Array(head.length + body.length);
  both.set(head);
  both.set(body, head.length);
  return both;
}

describe("RTMP → ABR HLS through the real manager", () => {
  let stream: StartedStream;
  let pub: ReturnType<typeof publish>;

  test("a 720p30 publish is listed live with source, 480p, 360p and 160p (no second 720p)", async () => {
    stream = await createStream(p.managerUrl, "e2e ladder");
    expect(stream.rtmp.server).toBe(`rtmp://127.0.0.1:${p.ports.rtmp}/live`);
    pub = publish(`${stream.rtmp.server}/${stream.rtmp.streamKey}`, 40);

    await until("manager shows live", 20_000, async () => (await lookup(p.managerUrl, stream.publicId)).live);
    const infs = variantAttributes(await (await hls(`${stream.publicId}/master.m3u8`)).text());
    expect(infs.map((a) => a.NAME)).toEqual(["source", "480p", "360p", "160p"]);
    expect(infs.map((a) => a.RESOLUTION)).toEqual(["1280x720", "854x480", "640x360", "284x160"]);
    for (const a of infs) {
      expect(a["FRAME-RATE"]).toBe("30.000");
      expect(a.CODECS).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
      expect(Number(a.BANDWIDTH)).toBeGreaterThanOrEqual(Number(a["AVERAGE-BANDWIDTH"]));
      expect(Number(a["AVERAGE-BANDWIDTH"])).toBeGreaterThan(100_000);
    }
    // Encoded rungs stay near their targets (1000/600/182 kb/s video + audio).
    expect(Number(infs[2]?.["AVERAGE-BANDWIDTH"])).toBeLessThan(1_200_000);

    const managerView = await lookup(p.managerUrl, stream.publicId);
    expect(managerView.rungs.map((r) => r.name)).toEqual(["source", "480p", "360p", "160p"]);
  }, 40_000);

  test("every variant's segments decode at the stated resolution", async () => {
    const want: Record<string, [number, number]> = {
      source: [1280, 720],
      "480p": [854, 480],
      "360p": [640, 360],
      "160p": [284, 160],
    };
    for (const [rung, [w, h]] of Object.entries(want)) {
      const playlist = await variant(stream.publicId, rung);
      expect(playlist).toContain("#EXT-X-PROGRAM-DATE-TIME:");
      expect(playlist).toContain("#EXT-X-INDEPENDENT-SEGMENTS");
      // Keyframes every second on every rung (the publisher sends a 1 s GOP for the copied one): 1 s segments.
      const durations = playlist.split("\n").filter((l) => l.startsWith("#EXTINF:"));
      expect(durations.length).toBeGreaterThan(0);
      for (const d of durations) expect(d).toMatch(/^#EXTINF:1\.0+,$/);
      const seg = segmentUris(playlist).at(-1) as string;
      const file = join(scratch, `${rung}-${seg}`);
      await Bun.write(file, await decodableSegment(stream.publicId, rung, playlist, seg));
      const v = await probeVideo(file);
      expect([v.codec_name, v.width, v.height]).toEqual(["h264", w, h]);
    }
    const thumb = await hls(`${stream.publicId}/thumb.jpg`);
    expect(thumb.headers.get("content-type")).toBe("image/jpeg");
    await Bun.write(join(scratch, "thumb.jpg"), await thumb.arrayBuffer());
    const t = await probeVideo(join(scratch, "thumb.jpg"));
    expect(t.width).toBeLessThanOrEqual(640);
    expect(t.width).toBeGreaterThan(0);
    const st = await status(stream.publicId);
    expect(st.live).toBe(true);
    expect(st.input).toMatchObject({ videoCodec: "h264", width: 1280, height: 720, audio: true });
    expect(st.input?.bitrate).toBeGreaterThan(500_000);
    expect(st.transcoder?.pid).toBeGreaterThan(0);
    // ffmpeg's own progress report reaches the status: a live input runs at about real time.
    const progressed = await until("ffmpeg's speed in the status", 10_000, async () => {
      const t = (await status(stream.publicId)).transcoder;
      return t?.speed ? t : undefined;
    });
    expect(progressed.speed).toBeGreaterThan(0.5);
    expect(progressed.droppedFrames).toBeGreaterThanOrEqual(0);
  }, 30_000);

  test("LL-HLS: every rung passes strict conformance; blocking reload and the hinted part wait for the part", async () => {
    const rungs = ["source", "480p", "360p", "160p"];
    for (const rung of rungs) {
      const res = await hls(`${stream.publicId}/${rung}/index.m3u8`);
      expect(res.headers.get("cache-control")).toBe("public, max-age=1");
      const text = await res.text();
      const pl = checkLlhlsPlaylist(text);
      expect(pl.partTargetDuration).toBeCloseTo(0.2, 5);
      // Every other rung is reported, so a player can switch at the live edge.
      for (const other of rungs.filter((r) => r !== rung))
        expect(text).toContain(`#EXT-X-RENDITION-REPORT:URI="../${other}/index.m3u8"`);
      const parts = partUris(pl);
      expect(parts.length).toBeGreaterThan(5);
      const last = parts.at(-1) as (typeof parts)[number];
      // The next part (index past the end: the spec's "part 0 of the next segment" when this one is full).
      const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(text)?.[1] as string;
      expect(hint).toMatch(/^part-[a-z0-9]+-\d+\.m4s$/);
      const asked = Date.now();
      const [blocked, hinted] = await Promise.all([
        hls(`${stream.publicId}/${rung}/index.m3u8?_HLS_msn=${last.msn}&_HLS_part=${last.index + 1}`),
        hls(`${stream.publicId}/${rung}/${hint}`),
      ]);
      const waited = Date.now() - asked;
      expect(blocked.status).toBe(200);
      expect(blocked.headers.get("cache-control")).toBe("public, max-age=3");
      const next = checkLlhlsPlaylist(await blocked.text());
      // The answer lists the hinted part, which did not exist when it was asked for.
      expect(partUris(next).map((x) => x.uri)).toContain(hint);
      expect(hinted.status).toBe(200);
      expect(hinted.headers.get("content-type")).toBe("video/mp4");
      expect(hinted.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect((await hinted.arrayBuffer()).byteLength).toBeGreaterThan(100);
      expect(waited).toBeLessThan(3_000);
    }
  }, 30_000);

  test("refused: unknown key, malformed key, a second publisher on a live key", async () => {
    for (const key of ["live_notAKeyTheManagerKnows12345678", "bad.key!"]) {
      const other = publish(rtmpUrl(key), 5);
      const code = await reap(other, 15_000);
      expect(code).not.toBe(0);
    }
    const second = publish(`${stream.rtmp.server}/${stream.rtmp.streamKey}`, 10);
    expect(await reap(second, 15_000)).not.toBe(0);
    const log = p.logLines.join("\n");
    expect(log).toContain("rtmp publish refused: unknown or ended stream key");
    expect(log).toContain("rtmp publish refused: malformed path");
    expect(log).toMatch(/rtmp publish refused: (the stream already has a publisher|stream already live)/);
    // Refused publishes produce no output: the only HLS directory is the live stream's.
    expect(readdirSync(join(p.dataDir, "hls"))).toEqual([stream.publicId]);
    // The first publisher is unaffected.
    expect((await status(stream.publicId)).live).toBe(true);
    expect(pub.exitCode).toBeNull();
  }, 60_000);

  test("SIGKILLed ffmpeg is replaced within 2 s and the media sequence continues", async () => {
    const before = await status(stream.publicId);
    const oldPid = before.transcoder?.pid as number;
    const lastBefore = Math.max(...sequences(await variant(stream.publicId, "360p")));
    const killedAt = Date.now();
    process.kill(oldPid, "SIGKILL");
    const newPid = await until("a new ffmpeg", 5_000, async () => {
      const pid = (await status(stream.publicId)).transcoder?.pid;
      return pid && pid !== oldPid ? pid : undefined;
    });
    const restartMs = Date.now() - killedAt;
    expect(newPid).not.toBe(oldPid);
    expect(restartMs).toBeLessThan(2_000);
    const after = await until(
      "new segments",
      15_000,
      async () => {
        const text = await variant(stream.publicId, "360p");
        return Math.max(...sequences(text)) > lastBefore + 1 ? text : undefined;
      },
      50,
    );
    // A new segment (numbered past the crash) is listed: ffmpeg's start-up plus one segment length.
    const servingMs = Date.now() - killedAt;
    console.log(`ffmpeg restart: new pid after ${restartMs} ms, new segment listed after ${servingMs} ms`);
    // Generous for a shared 2-core machine; the bound the issue sets (2 s) is what the log line reports.
    expect(servingMs).toBeLessThan(4_000);
    const seqs = sequences(after);
    expect(seqs.at(-1)).toBeGreaterThan(lastBefore);
    // Continuous numbering: the playlist still spans the crash, nothing went backwards.
    expect(Math.min(...seqs)).toBeLessThanOrEqual(lastBefore + 1);
    expect(after).toContain("#EXT-X-DISCONTINUITY");
    expect((await status(stream.publicId)).transcoder?.restarts).toBe(1);
    const metrics = await (await fetch(`${p.mediaUrl}/metrics`)).text();
    expect(metrics).toContain(`hearth_media_ffmpeg_restarts_total{stream="${stream.publicId}"} 1`);
  }, 30_000);

  test("stopping the publisher marks the stream offline within 3 s and ends every playlist", async () => {
    const pid = (await status(stream.publicId)).transcoder?.pid as number;
    // SIGINT: ffmpeg closes its RTMP output as OBS's "Stop Streaming" does (FCUnpublish, deleteStream); a
    // killed publisher is a drop, which the stream waits out (tests/e2e/media-reconnect.test.ts).
    pub.kill("SIGINT");
    const stoppedAt = Date.now();
    await until(
      "manager shows offline",
      10_000,
      async () => !(await lookup(p.managerUrl, stream.publicId)).live,
      50,
    );
    const offlineMs = Date.now() - stoppedAt;
    expect(offlineMs).toBeLessThan(3_000);
    // The manager hears "offline" at once; the playlists end when ffmpeg has flushed its last fragments,
    // which the node allows up to 3 s (then SIGKILL): so shortly after, not necessarily before.
    await until(
      "every playlist ends",
      10_000,
      async () => {
        const texts = await Promise.all(
          ["source", "480p", "360p", "160p"].map((r) => variant(stream.publicId, r)),
        );
        return texts.every((t) => t.trimEnd().endsWith("#EXT-X-ENDLIST"));
      },
      50,
    );
    const endedMs = Date.now() - stoppedAt;
    console.log(
      `publisher gone → manager offline after ${offlineMs} ms, every playlist ended after ${endedMs} ms`,
    );
    expect(endedMs).toBeLessThan(3_000 + 3_000);
    expect(() => process.kill(pid, 0)).toThrow();
    expect((await status(stream.publicId)).live).toBe(false);
  }, 20_000);

  test("the same key goes live again with the same public id; an ended stream's key is refused", async () => {
    const again = publish(`${stream.rtmp.server}/${stream.rtmp.streamKey}`, 20);
    await until("live again", 20_000, async () => (await lookup(p.managerUrl, stream.publicId)).live);
    const stop = await fetch(`${p.managerUrl}/stop_stream/${stream.publicId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${stream.privateId}` },
    });
    expect(stop.status).toBe(204);
    // The manager's DELETE kicks the publisher.
    expect(await reap(again, 10_000)).not.toBe(0);
    const ended = publish(`${stream.rtmp.server}/${stream.rtmp.streamKey}`, 5);
    expect(await reap(ended, 15_000)).not.toBe(0);
    expect((await status(stream.publicId)).live).toBe(false);
    // Ended: the segments are removed once the retention period (3 s here) has passed.
    await until(
      "segments removed",
      15_000,
      async () => (await hls(`${stream.publicId}/master.m3u8`)).status === 404,
      250,
    );
    expect(readdirSync(join(p.dataDir, "hls"))).toEqual([]);
  }, 60_000);

  test("no admin console or key-listing API anywhere on the node", async () => {
    for (const path of ["/admin", "/api/v1/streams", "/api/v1/sessions", "/live/x.flv"]) {
      expect((await fetch(`${p.mediaUrl}${path}`)).status, path).toBe(404);
    }
    // The RTMP port speaks RTMP only: an HTTP request gets no HTTP answer.
    const http = await fetch(`http://127.0.0.1:${p.ports.rtmp}/api/v1/streams`, {
      signal: AbortSignal.timeout(3000),
    }).then(
      (r) => r.status,
      () => "no http",
    );
    expect(http).toBe("no http");
  });

  test("no stream key in any log line", () => {
    const all = p.logLines.join("\n");
    expect(all).toContain(stream.publicId);
    expect(all).not.toContain(stream.privateId);
  });
});
