import { describe, expect, test } from "bun:test";
import { DEFAULT_LADDER } from "./env.ts";
import { planLadder, type SourceInfo } from "./ladder.ts";
import { thumbnailArgs } from "./thumbnail.ts";
import { buildTranscodeArgs } from "./transcode-args.ts";

const SRC_720: SourceInfo = { videoCodec: "h264", width: 1280, height: 720, fps: 30, audioCodec: "aac" };

const base = { segmentSeconds: 1, partSeconds: 0.2, frameRate: 30, preset: "veryfast" };

describe("buildTranscodeArgs", () => {
  test("golden: 720p H.264/AAC over the FLV pipe, default ladder (source, 480p, 360p, 160p) on pipes 3..6", () => {
    const args = buildTranscodeArgs({
      ...base,
      input: { kind: "flv-pipe" },
      rungs: planLadder(DEFAULT_LADDER, SRC_720),
    });
    // Per-output options: each rung repeats its encoder and muxer flags (ffmpeg applies them per output file).
    const encode = (v: number, kbps: number, akbps: number, fd: number) => [
      ...["-map", `[v${v}]`, "-c:v", "libx264"], // this rung's scaler output from the one decode
      ...["-b:v", `${kbps}k`, "-maxrate:v", `${kbps}k`, "-bufsize:v", `${kbps}k`], // capped: stays within BANDWIDTH
      ...["-preset", "veryfast", "-tune", "zerolatency"], // CPU budget; no B-frames/lookahead, a part is done with its last frame
      ...["-pix_fmt", "yuv420p", "-r", "30"], // decodable everywhere; constant frame count per part
      ...["-force_key_frames", "expr:gte(t,n_forced*1)", "-sc_threshold", "0"], // keyframe exactly every segment, none extra
      ...["-map", "0:a:0", "-c:a", "aac", "-b:a", `${akbps}k`], // audio in every rung: switching needs one request
      ...cmaf(fd),
    ];
    const cmaf = (fd: number) => [
      ...["-max_muxing_queue_size", "1024"], // rungs start at different moments
      ...["-f", "mp4", "-movflags", "+empty_moov+frag_keyframe+default_base_moof+cmaf+skip_trailer"], // CMAF: init first, standalone fragments
      ...["-frag_duration", "200000"], // one fragment = one 0.2 s part (6 frames at 30 fps)
      ...["-flush_packets", "1"], // each fragment reaches the pipe as soon as it is complete
      `pipe:${fd}`, // the packager reads rung i on descriptor 3 + i
    ];
    expect(args).toEqual([
      ...["-hide_banner", "-loglevel", "warning", "-nostats", "-progress", "pipe:1", "-stats_period", "1"],
      ...["-analyzeduration", "200000", "-f", "flv", "-i", "pipe:0"],
      "-filter_complex",
      "[0:v]split=3[s1][s2][s3];[s1]scale=854:480[v1];[s2]scale=640:360[v2];[s3]scale=284:160[v3]",
      // The source rung: the publisher's H.264 and AAC pass through.
      ...["-map", "0:v:0", "-c:v", "copy", "-map", "0:a:0", "-c:a", "copy", ...cmaf(3)],
      ...encode(1, 1000, 128, 4),
      ...encode(2, 600, 96, 5),
      ...encode(3, 182, 48, 6),
    ]);
    // ffmpeg's HLS muxer is never used: Hearth's packager writes every playlist.
    expect(args.join(" ")).not.toMatch(/-f hls|-hls_|-var_stream_map|\.m3u8/);
  });

  test("an RTMP URL input is read directly and stdin is left alone", () => {
    const args = buildTranscodeArgs({
      ...base,
      input: { kind: "rtmp", url: "rtmp://127.0.0.1:1935/live/x" },
      rungs: planLadder(DEFAULT_LADDER, SRC_720),
    });
    expect(args.slice(8, 13)).toEqual([
      "-nostdin",
      "-analyzeduration",
      "1000000",
      "-i",
      "rtmp://127.0.0.1:1935/live/x",
    ]);
    expect(args).not.toContain("pipe:0");
  });

  test("golden: WHIP's RTP is read from loopback UDP described by an SDP file; no key, no stdin", () => {
    const args = buildTranscodeArgs({
      ...base,
      input: { kind: "rtp-sdp", sdpPath: "/tmp/hearth-whip-1.sdp" },
      rungs: planLadder(DEFAULT_LADDER, { ...SRC_720, audioCodec: "opus" }),
    });
    expect(args.slice(8, args.indexOf("-filter_complex"))).toEqual([
      ...["-nostdin", "-protocol_whitelist", "file,udp,rtp"],
      ...["-analyzeduration", "10000000", "-probesize", "10000000", "-fpsprobesize", "0"],
      ...["-fflags", "+genpts", "-reorder_queue_size", "64", "-i", "/tmp/hearth-whip-1.sdp"],
    ]);
    // Opus cannot be copied into the AAC ladder: the source rung's audio is encoded too.
    expect(args.slice(args.indexOf("0:a:0") - 1, args.indexOf("0:a:0") + 5)).toEqual([
      ...["-map", "0:a:0", "-c:a", "aac", "-b:a", "128k"],
    ]);
  });

  test("no audio: no audio maps, still one video-only output per rung", () => {
    const args = buildTranscodeArgs({
      ...base,
      input: { kind: "flv-pipe" },
      rungs: planLadder(DEFAULT_LADDER, { ...SRC_720, audioCodec: null }),
    });
    expect(args).not.toContain("0:a:0");
    expect(args).not.toContain("-c:a");
    expect(args.filter((a) => a.startsWith("pipe:") && a !== "pipe:0" && a !== "pipe:1")).toEqual([
      "pipe:3",
      "pipe:4",
      "pipe:5",
      "pipe:6",
    ]);
  });

  test("a 1440p HEVC source: the source rung is re-encoded at 1080p, every rung encoded", () => {
    const rungs = planLadder(DEFAULT_LADDER, {
      videoCodec: "hevc",
      width: 2560,
      height: 1440,
      fps: 60,
      audioCodec: "opus",
    });
    const args = buildTranscodeArgs({ ...base, frameRate: 60, input: { kind: "flv-pipe" }, rungs });
    const graph = args[args.indexOf("-filter_complex") + 1];
    expect(graph).toBe(
      "[0:v]split=5[s0][s1][s2][s3][s4];[s0]scale=1920:1080[v0];[s1]scale=1280:720[v1];[s2]scale=854:480[v2];[s3]scale=640:360[v3];[s4]scale=284:160[v4]",
    );
    expect(args).toContain("6000k");
    expect(args.join(" ")).not.toContain("copy");
  });
});

describe("planLadder", () => {
  test("never upscales nor repeats the source: a 480p source gets source, 360p and 160p", () => {
    const rungs = planLadder(DEFAULT_LADDER, { ...SRC_720, width: 854, height: 480 });
    expect(rungs.map((r) => `${r.name} ${r.width}x${r.height} ${r.video.mode}`)).toEqual([
      "source 854x480 copy",
      "360p 640x360 encode",
      "160p 284x160 encode",
    ]);
  });

  test("H.264 at most 1080p is copied, with its audio when it is AAC", () => {
    const [src] = planLadder(DEFAULT_LADDER, SRC_720);
    expect(src?.video).toEqual({ mode: "copy" });
    expect(src?.audio).toEqual({ mode: "copy" });
  });
});

describe("thumbnailArgs", () => {
  test("golden: one frame of init + segment bytes on stdin, scaled, as a JPEG", () => {
    expect(thumbnailArgs("/hls/a/thumb.tmp.jpg", 640)).toEqual([
      ...["-hide_banner", "-loglevel", "error"],
      ...["-i", "pipe:0", "-frames:v", "1", "-vf", "scale=640:-2", "-q:v", "5"],
      ...["-f", "image2", "-y", "/hls/a/thumb.tmp.jpg"],
    ]);
  });
});
