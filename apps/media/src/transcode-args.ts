import type { PlannedRung } from "./ladder.ts";
import { cmafRungOutputs } from "./llhls/cmaf-args.ts";

/**
 * How ffmpeg reads the stream. "flv-pipe": the RTMP server hands ffmpeg the publisher's FLV tags on
 * stdin (no second RTMP connection, and the stream key never appears on ffmpeg's command line).
 * "rtmp": ffmpeg pulls from a URL (kept for ingest paths that are not our RTMP server).
 * "rtp-sdp": WHIP: werift forwards the publisher's decrypted RTP to loopback UDP ports that the SDP
 * file at `sdpPath` (0600, no secret in it or its name) describes; ffmpeg listens on them.
 */
export type TranscodeInput =
  | { kind: "flv-pipe" }
  | { kind: "rtmp"; url: string }
  | { kind: "rtp-sdp"; sdpPath: string };

/** The descriptor of the first rung's CMAF pipe (0-2 are stdin, progress and stderr). */
export const CMAF_FIRST_FD = 3;

export interface TranscodeOptions {
  input: TranscodeInput;
  rungs: PlannedRung[];
  /** Segment length and keyframe interval, seconds. */
  segmentSeconds: number;
  /** Wanted LL-HLS part length, seconds (rounded to whole frames of `frameRate`). */
  partSeconds: number;
  /** The source's frame rate: encoded rungs keep it, and parts are a whole number of its frames. */
  frameRate: number;
  preset: string;
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

/**
 * ffmpeg's argument list (without the program name) for one live stream: one decode, the whole ladder, rung i
 * written as fragmented MP4 (CMAF) to descriptor 3 + i. Hearth's packager reads the pipes, cuts parts and
 * segments and writes every playlist; ffmpeg writes nothing to disk.
 */
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
  } else if (o.input.kind === "rtp-sdp") {
    args.push(
      // Nothing to read on stdin: the media arrives on UDP.
      ["-nostdin"],
      // The SDP file points at udp/rtp URLs, which the sdp demuxer refuses without this list.
      ["-protocol_whitelist", "file,udp,rtp"],
      // H.264 size comes from the SPS of the first keyframe (asked for with PLI); probing ends once it is
      // seen, so a generous ceiling costs nothing but keeps a slow first keyframe from failing the start.
      ["-analyzeduration", "10000000", "-probesize", "10000000"],
      // No frame-rate probing (~0.8 s of frames): encoded rungs set -r, the copied rung keeps RTP timestamps.
      ["-fpsprobesize", "0"],
      // WebRTC timestamps start anywhere; regenerate missing pts.
      ["-fflags", "+genpts"],
      // A short jitter buffer: werift already reorders and NACKs; the default 500 packets stalls on a real loss.
      ["-reorder_queue_size", "64"],
      ["-i", o.input.sdpPath],
    );
  } else {
    // Nothing to read on stdin; a pulled URL may not lead with sequence headers, so keep 1 s of analysis.
    args.push(["-nostdin", "-analyzeduration", "1000000", "-i", o.input.url]);
  }
  const graph = filterGraph(o);
  if (graph) args.push(["-filter_complex", graph]);
  // One fMP4 output per rung on its own pipe; encoder options are per output file, so each rung repeats
  // them (see llhls/cmaf-args.ts for a one-line why per flag).
  args.push(
    cmafRungOutputs({
      rungs: o.rungs,
      frameRate: o.frameRate,
      segmentSeconds: o.segmentSeconds,
      partSeconds: o.partSeconds,
      preset: o.preset,
      firstFd: CMAF_FIRST_FD,
    }),
  );
  return args.flat();
}
