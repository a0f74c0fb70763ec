/**
 * Shared set-up for the LL-HLS e2e suites and bench/latency: a real ffmpeg (lavfi test source, one
 * decode, two rungs) writing CMAF to extra pipes, Hearth's packager reading them, served over HTTP.
 */
import type { Subprocess } from "bun";
import type { PlannedRung } from "../../apps/media/src/ladder.ts";
import { cmafRungOutputs, cmafTiming } from "../../apps/media/src/llhls/cmaf-args.ts";
import { cmafExtraStdio, pumpCmafPipes } from "../../apps/media/src/llhls/cmaf-input.ts";
import { llhlsRoutes } from "../../apps/media/src/llhls/llhls-routes.ts";
import { LlhlsRegistry, LlhlsStream } from "../../apps/media/src/llhls/llhls-stream.ts";
import { FFMPEG_QUIET, testPatternInput, toneInput } from "./support/synthetic-source.ts";

export const PUBLIC_ID = "llhlsTest0001";
export const RUNGS: PlannedRung[] = [
  {
    name: "hi",
    width: 320,
    height: 180,
    video: { mode: "encode", kbps: 400, scale: false },
    audio: { mode: "encode", kbps: 64 },
  },
  {
    name: "lo",
    width: 160,
    height: 90,
    video: { mode: "encode", kbps: 150, scale: true },
    audio: { mode: "encode", kbps: 32 },
  },
];

export interface LlhlsRig {
  url: string;
  stream: LlhlsStream;
  /** Starts (or restarts) the ffmpeg input; resolves once it is spawned. */
  startInput(): void;
  /** Kills the running ffmpeg (SIGKILL, like a crash) and waits until both pipes are drained. */
  killInput(): Promise<void>;
  stop(): Promise<void>;
}

export interface RigOptions {
  segmentSeconds?: number;
  partSeconds?: number;
  fps?: number;
  /** Draw the wall clock into the picture (for eyeballing latency in screenshots). */
  port?: number;
  /** Serve under this path (e.g. "/hls", as the media node mounts it, for a CDN in front); default the root. */
  pathPrefix?: string;
  /** Sees every request that reaches the server (a CDN test counts origin fetches with it). */
  onRequest?: (url: URL) => void;
}

/** Starts the HTTP server and the packager; call startInput() to begin feeding it. */
export function startLlhlsRig(o: RigOptions = {}): LlhlsRig {
  const fps = o.fps ?? 30;
  const segmentSeconds = o.segmentSeconds ?? 1;
  const timing = cmafTiming(o.partSeconds ?? 0.2, fps);
  const registry = new LlhlsRegistry();
  const stream = registry.add(
    new LlhlsStream(
      PUBLIC_ID,
      "e2e",
      RUNGS.map((r) => ({
        name: r.name,
        bandwidth: ((r.video.mode === "encode" ? r.video.kbps : 0) + 64) * 1000,
        width: r.width,
        height: r.height,
        frameRate: fps,
        // Both rungs are encoded with a keyframe every segment, as the media node's encoded rungs are.
        fixedGop: r.video.mode === "encode",
      })),
      { targetDuration: segmentSeconds, partTarget: timing.partTarget, windowSegments: 12, partSegments: 2 },
    ),
  );
  // Served at the root: the media node mounts the same sub-app under /hls.
  const app = llhlsRoutes(registry);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: o.port ?? 0,
    fetch: (req) => {
      const url = new URL(req.url);
      o.onRequest?.(url);
      const prefix = o.pathPrefix ?? "";
      if (!prefix) return app.fetch(req);
      if (!url.pathname.startsWith(`${prefix}/`)) return new Response("not found", { status: 404 });
      url.pathname = url.pathname.slice(prefix.length);
      return app.fetch(new Request(url, req));
    },
    idleTimeout: 30,
  });
  let proc: Subprocess | null = null;
  let pumps: Promise<unknown>[] = [];

  const args = [
    ...FFMPEG_QUIET,
    ...testPatternInput(320, 180, fps),
    ...toneInput(true),
    "-filter_complex",
    "[0:v]split=2[s0][s1];[s0]null[v0];[s1]scale=160:90[v1]",
    ...cmafRungOutputs({
      rungs: RUNGS,
      frameRate: fps,
      segmentSeconds,
      partSeconds: o.partSeconds ?? 0.2,
      preset: "ultrafast",
      firstFd: 3,
    }).map((a) => (a === "0:a:0" ? "1:a:0" : a)),
  ];

  return {
    url: `http://127.0.0.1:${server.port}${o.pathPrefix ?? ""}/${PUBLIC_ID}`,
    stream,
    startInput() {
      const p = Bun.spawn(["ffmpeg", ...args], {
        stdio: ["ignore", "ignore", "inherit", ...cmafExtraStdio(RUNGS.length)],
      });
      proc = p;
      const packagers = RUNGS.map((r) => stream.rendition(r.name)).filter((x) => x !== undefined);
      pumps = [pumpCmafPipes(p, packagers)];
    },
    async killInput() {
      const p = proc;
      if (!p) return;
      p.kill("SIGKILL");
      await p.exited;
      await Promise.all(pumps);
      proc = null;
    },
    async stop() {
      await this.killInput();
      stream.end();
      server.stop(true);
    },
  };
}
