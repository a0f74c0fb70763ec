import type { PlannedRung } from "./ladder.ts";
import { cmafRungOutputs } from "./llhls/cmaf-args.ts";

/**
 * How ffmpeg reads the stream. "flv-pipe": the RTMP server hands ffmpeg the publisher's FLV tags on
 * stdin (no second RTMP connection, and the stream key never appears on ffmpeg's command line).
 * "rtmp": ffmpeg pulls from a URL (kept for ingest paths that are not our RTMP server).
 */
export type TranscodeInput = { kind: "flv-pipe" } | { kind: "rtmp"; url: string };

/**
 * Where the rungs go. "hls": ffmpeg's HLS muxer writes MPEG-TS segments and playlists under `outDir`.
 * "cmaf": rung i is fragmented MP4 on descriptor 3 + i, read by Hearth's LL-HLS packager.
 */
export type TranscodeOutput = { kind: "hls" } | { kind: "cmaf"; frameRate: number; partSeconds: number };

/** The descriptor of the first rung's CMAF pipe (0-2 are stdin, progress and stderr). */
export const CMAF_FIRST_FD = 3;

export interface TranscodeOptions {
  input: TranscodeInput;
  /** Defaults to "hls". */
  output?: TranscodeOutput;
  rungs: PlannedRung[];
  /** The stream's HLS directory: `<outDir>/<rung>/index.m3u8` and its segments. */
  outDir: string;
  /** Segment length and keyframe interval, seconds. */
  segmentSeconds: number;
  listSize: number;
  preset: string;
  /** Unique per live session: segment names never repeat, so CDNs may cache them forever. */
  sessionTag: string;
}

/** Label of the filter-graph output feeding rung `i`. */
const label = (i: number) => `v${i}`;

function filterGraph(o: TranscodeOptions): string | null {
  // One decode, then `split` fans the decoded frames out to each scaler.
  const decoded = o.rungs.map((r, i) => ({ r, i })).filter(({ r }) => r.video.mode === "encode");
  if (decoded.length === 0) return null;
  const parts = [`[0:v]split=${decoded.length}${decoded.map(({ i }) => `[s${i}]`).join("")}`];
  for (const { r, i } of decoded) {
    const scale = r.video.mode === "encode" && r.video.scale ? `scale=${r.width}:${r.height}` : "null";
    parts.push(`[s${i}]${scale}[${label(i)}]`);
  }
  return parts.join(";");
}

/** ffmpeg's argument list (without the program name) for one live stream: one decode, the whole ladder. */
export function buildTranscodeArgs(o: TranscodeOptions): string[] {
  const args: string[][] = [
    // No version banner in the stderr tail we log on crashes.
    ["-hide_banner"],
    // Warnings and errors only: stderr is kept as a tail for crash logs, not parsed.
    ["-loglevel", "warning"],
    // Machine-readable progress (speed, drop_frames) on stdout once a second for the status endpoint.
    ["-nostats", "-progress", "pipe:1", "-stats_period", "1"],
  ];
  if (o.input.kind === "flv-pipe") {
    // The FLV tags arrive on stdin; the first ones are metadata, sequence headers and the GOP cache.
    // 0.2 s of analysis: onMetaData and both sequence headers arrive first, and a longer window delays
    // the first segments by seconds (bench/latency-ingest: ~3 s with 1 s of analysis).
    args.push(["-analyzeduration", "200000", "-f", "flv", "-i", "pipe:0"]);
  } else {
    // Nothing to read on stdin; a pulled URL may not lead with sequence headers, so keep 1 s of analysis.
    args.push(["-nostdin", "-analyzeduration", "1000000", "-i", o.input.url]);
  }
  const graph = filterGraph(o);
  if (graph) args.push(["-filter_complex", graph]);
  const out = o.output ?? { kind: "hls" };
  if (out.kind === "cmaf") {
    // One fMP4 output per rung on its own pipe; encoder options are per output file, so each rung repeats
    // them (see llhls/cmaf-args.ts for a one-line why per flag). Hearth cuts parts and segments itself.
    args.push(
      cmafRungOutputs({
        rungs: o.rungs,
        frameRate: out.frameRate,
        segmentSeconds: o.segmentSeconds,
        partSeconds: out.partSeconds,
        preset: o.preset,
        firstFd: CMAF_FIRST_FD,
      }),
    );
    return args.flat();
  }

  const streamMap: string[] = [];
  o.rungs.forEach((r, i) => {
    if (r.video.mode === "copy") {
      // The source rung passes the publisher's H.264 through: no decode or encode cost at all.
      args.push(["-map", "0:v:0", `-c:v:${i}`, "copy"]);
    } else {
      args.push(
        // Each encoded rung reads its own scaler's output.
        ["-map", `[${label(i)}]`, `-c:v:${i}`, "libx264"],
        // Capped bitrate: maxrate = target keeps the rung within its advertised BANDWIDTH; 2 s of buffer.
        [`-b:v:${i}`, `${r.video.kbps}k`, `-maxrate:v:${i}`, `${r.video.kbps}k`, `-bufsize:v:${i}`],
        [`${r.video.kbps * 2}k`],
      );
    }
  });
  o.rungs.forEach((r, i) => {
    // Audio is muxed into every variant so a rung switch never needs a second request.
    if (r.audio?.mode === "copy") args.push(["-map", "0:a:0", `-c:a:${i}`, "copy"]);
    else if (r.audio) args.push(["-map", "0:a:0", `-c:a:${i}`, "aac", `-b:a:${i}`, `${r.audio.kbps}k`]);
    streamMap.push(r.audio ? `v:${i},a:${i},name:${r.name}` : `v:${i},name:${r.name}`);
  });
  args.push(
    // veryfast by default: bench/transcode shows the CPU per preset on this class of machine.
    ["-preset", o.preset],
    // No B-frames and no lookahead: frames leave the encoder as soon as they are coded.
    ["-tune", "zerolatency"],
    // Browsers (MSE and Safari) decode 8-bit 4:2:0 everywhere.
    ["-pix_fmt", "yuv420p"],
    // A keyframe exactly every segment on every encoded rung, so rungs are aligned and switchable.
    ["-force_key_frames", `expr:gte(t,n_forced*${o.segmentSeconds})`],
    // Scene cuts must not add keyframes between the forced ones (they would break the alignment).
    ["-sc_threshold", "0"],
    // Rungs start at different moments (copy vs encoded); a deeper queue avoids "too many packets buffered".
    ["-max_muxing_queue_size", "1024"],
    // ffmpeg's HLS muxer: one process writes every variant's segments and playlist.
    ["-f", "hls"],
    // Segment length = keyframe interval, so every segment is exactly one GOP of the encoded rungs.
    ["-hls_time", String(o.segmentSeconds)],
    // A short live window: players start near the live edge; older segments are deleted.
    ["-hls_list_size", String(o.listSize)],
    // MPEG-TS: no init segment to rewrite when ffmpeg restarts (see README for the measurement).
    ["-hls_segment_type", "mpegts"],
    // independent_segments: every segment starts with a keyframe; program_date_time: wall-clock per segment;
    // append_list: a restarted ffmpeg continues the media sequence; delete_segments: bounded disk while live;
    // temp_file: segments are renamed into place, so the origin never serves a half-written file;
    // omit_endlist: a crashing ffmpeg must not end the playlist; Hearth appends EXT-X-ENDLIST at the real end.
    [
      "-hls_flags",
      "+independent_segments+program_date_time+append_list+delete_segments+temp_file+omit_endlist",
    ],
    // The session tag makes every segment URL unique for ever (they are served immutable).
    ["-hls_segment_filename", `${o.outDir}/%v/seg_${o.sessionTag}_%d.ts`],
    // One variant playlist per rung, named by the rung; Hearth writes master.m3u8 itself.
    ["-var_stream_map", streamMap.join(" ")],
    [`${o.outDir}/%v/index.m3u8`],
  );
  return args.flat();
}
