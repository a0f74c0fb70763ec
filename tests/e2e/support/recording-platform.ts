/**
 * The whole platform (tests/e2e/web-harness.ts) with a DATA_DIR the recording suites can look into
 * (`<dataDir>/recordings/<videoId>`, `<dataDir>/clips/<clipId>`), and the manager calls they share.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Clip, StartedStream, StreamLookup, Video, VideoList } from "@hearth/contracts";
import { startWebPlatform, type WebPlatform } from "../web-harness.ts";
import { publishSynthetic } from "./synthetic-source.ts";
import { until } from "./until.ts";

export interface RecordingPlatform extends WebPlatform {
  /** The media node's DATA_DIR. */
  dataDir: string;
}

/** Starts the platform with its own DATA_DIR (removed by stop()); `env` adds to every app's. */
export async function startRecordingPlatform(env: Record<string, string> = {}): Promise<RecordingPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), "hearth-recording-e2e-"));
  let platform: WebPlatform;
  try {
    platform = await startWebPlatform({ DATA_DIR: dataDir, ...env });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...platform,
    dataDir,
    async stop() {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POST /start_stream: a new stream (its key is `privateId`, also the RTMP stream key). */
export async function startStream(managerUrl: string, name: string): Promise<StartedStream> {
  const res = await fetch(`${managerUrl}/start_stream`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`start_stream answered ${res.status}: ${await res.text()}`);
  return StartedStream.parse(await res.json());
}

/** GET /stream/:publicId. */
export async function lookupStream(managerUrl: string, publicId: string): Promise<StreamLookup> {
  return StreamLookup.parse(await (await fetch(`${managerUrl}/stream/${publicId}`)).json());
}

/** GET /videos?stream=: the stream's videos, newest first. */
export async function videosOf(managerUrl: string, publicId: string): Promise<Video[]> {
  const res = await fetch(`${managerUrl}/videos?stream=${publicId}`);
  if (res.status !== 200) throw new Error(`GET /videos answered ${res.status}: ${await res.text()}`);
  return VideoList.parse(await res.json()).videos;
}

/** Waits until GET /videos?stream= lists a video of the stream in `state` (ready by default) and returns it. */
export function untilVideo(
  managerUrl: string,
  publicId: string,
  timeoutMs: number,
  state: Video["state"] = "ready",
): Promise<Video> {
  return until(`a ${state} video of ${publicId} in GET /videos`, timeoutMs, async () =>
    (await videosOf(managerUrl, publicId)).find((v) => v.state === state),
  );
}

/** GET /video/:videoId (null on 404). */
export async function getVideo(managerUrl: string, videoId: string): Promise<Video | null> {
  const res = await fetch(`${managerUrl}/video/${videoId}`);
  if (res.status === 404) return null;
  if (res.status !== 200) throw new Error(`GET /video/${videoId} answered ${res.status}`);
  return Video.parse(await res.json());
}

/** GET /clip/:clipId. */
export async function getClip(managerUrl: string, clipId: string): Promise<Clip> {
  const res = await fetch(`${managerUrl}/clip/${clipId}`);
  if (res.status !== 200) throw new Error(`GET /clip/${clipId} answered ${res.status}`);
  return Clip.parse(await res.json());
}

/** DELETE /video/:videoId with a Bearer token (the stream key or the admin token). */
export function deleteVideo(managerUrl: string, videoId: string, bearer?: string): Promise<Response> {
  return fetch(`${managerUrl}/video/${videoId}`, {
    method: "DELETE",
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
  });
}

/** Stops a publisher as OBS's "Stop streaming" does (SIGINT: ffmpeg ends the RTMP session cleanly). */
export async function stopPublisher(p: Bun.Subprocess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  p.kill("SIGINT");
  await p.exited;
}

/** The OBS-style publishers a suite starts (ffmpeg over RTMP, 640x360 at 800 kb/s), all killed by killAll(). */
export class Publishers {
  readonly #all: Bun.Subprocess[] = [];

  /** Publishes the synthetic source to `s` for `seconds`. */
  start(s: StartedStream, seconds: number): Bun.Subprocess {
    const p = publishSynthetic(
      `${s.rtmp.server}/${s.rtmp.streamKey}`,
      { seconds, width: 640, height: 360, videoKbps: 800 },
      "ignore",
    );
    this.#all.push(p);
    return p;
  }

  /** Kills every publisher still running (a failed test may leave one publishing). */
  async killAll(): Promise<void> {
    for (const p of this.#all) {
      p.kill("SIGKILL");
      await p.exited;
    }
  }
}
