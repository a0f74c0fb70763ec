/**
 * The baseline: ffmpeg's own HLS muxer (MPEG-TS segments, program date-time), as Hearth's media node
 * packaged before its own CMAF packager (bench only), served from a temp directory by a tiny static server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import {
  FFMPEG_QUIET,
  testPatternInput,
  toneInput,
  x264Args,
} from "../../tests/e2e/support/synthetic-source.ts";

export interface StandardHls {
  url: string;
  stop(): Promise<void>;
}

/** Starts ffmpeg (-re test source, 320x180) writing `segmentSeconds` HLS segments, and a server for them. */
export function startStandardHls(segmentSeconds: number): StandardHls {
  const dir = mkdtempSync(join(tmpdir(), "hearth-std-hls-"));
  const proc: Subprocess = Bun.spawn(
    [
      "ffmpeg",
      ...FFMPEG_QUIET,
      ...testPatternInput(320, 180, 30),
      ...toneInput(true),
      ...x264Args("ultrafast"),
      ...["-pix_fmt", "yuv420p", "-b:v", "400k"],
      ...[
        "-force_key_frames",
        `expr:gte(t,n_forced*${segmentSeconds})`,
        "-sc_threshold",
        "0",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
      ],
      ...[
        "-f",
        "hls",
        "-hls_time",
        String(segmentSeconds),
        "-hls_list_size",
        "6",
        "-hls_segment_type",
        "mpegts",
      ],
      ...["-hls_flags", "+independent_segments+program_date_time+delete_segments+temp_file+omit_endlist"],
      ...["-hls_segment_filename", join(dir, "seg_%d.ts"), join(dir, "index.m3u8")],
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const name = new URL(req.url).pathname.slice(1);
      const cors = { "Access-Control-Allow-Origin": "*" };
      if (!/^(index\.m3u8|seg_\d+\.ts)$/.test(name))
        return new Response("no", { status: 404, headers: cors });
      const file = Bun.file(join(dir, name));
      if (!(await file.exists())) return new Response("no", { status: 404, headers: cors });
      const type = name.endsWith(".m3u8") ? "application/vnd.apple.mpegurl" : "video/mp2t";
      return new Response(await file.arrayBuffer(), {
        headers: { ...cors, "Content-Type": type, "Cache-Control": "no-cache" },
      });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/index.m3u8`,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      server.stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
