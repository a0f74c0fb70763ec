import type { PlannedRung } from "../ladder.ts";

/** Part timing that ffmpeg can actually produce: a whole number of frames per part. */
export interface CmafTiming {
  /** PART-TARGET to advertise, seconds: exactly `framesPerPart` frames. */
  partTarget: number;
  framesPerPart: number;
  /** ffmpeg -frag_duration, µs: exactly the part (rounded down), so the cut falls after the part's last frame. */
  fragmentMicros: number;
}

/**
 * Rounds the wanted part duration to whole frames. ffmpeg's mov muxer cuts a fragment before the first
 * packet of a track whose dts is at least -frag_duration past that track's first dts in the fragment.
 * At exactly N frames the video frame N cuts it. Audio (AAC packets of 21.3 ms) must not cut first:
 * its first packet in a fragment is never earlier than the video's (packets are interleaved by dts)
 * and its threshold falls on the next whole packet, past N frames. A shorter value (say half a frame
 * less) lets audio cut early and makes 0.167 + 0.033 s parts, which break the 85 % rule of 8216bis.
 */
export function cmafTiming(wantedPart: number, frameRate: number): CmafTiming {
  const framesPerPart = Math.max(1, Math.round(wantedPart * frameRate));
  return {
    partTarget: Number((framesPerPart / frameRate).toFixed(5)),
    framesPerPart,
    fragmentMicros: Math.floor((framesPerPart / frameRate) * 1e6),
  };
}

/** The muxer half of one rung's CMAF output (put after that output's -map/-c options). */
export function cmafOutputArgs(o: { fd: number; timing: CmafTiming }): string[] {
  return [
    // Fragmented MP4 is what LL-HLS parts and CMAF segments are made of.
    ...["-f", "mp4"],
    // empty_moov: the init segment (ftyp+moov, no samples) comes first, before any media;
    // frag_keyframe: a keyframe always starts a new fragment, so segments can be cut at fragment edges;
    // default_base_moof: data offsets relative to the moof, so each fragment stands alone (CMAF, MSE);
    // cmaf: CMAF brand and box layout; skip_trailer: no mfra index at exit (nobody seeks in a pipe).
    ...["-movflags", "+empty_moov+frag_keyframe+default_base_moof+cmaf+skip_trailer"],
    // One fragment per part: cut once a fragment holds `framesPerPart` frames (see cmafTiming).
    ...["-frag_duration", String(o.timing.fragmentMicros)],
    // Write each fragment to the pipe as soon as it is complete instead of when a 32 KiB buffer fills.
    ...["-flush_packets", "1"],
    // The packager reads this rung on its own descriptor (Bun.spawn stdio[fd] = "pipe").
    `pipe:${o.fd}`,
  ];
}

export interface CmafTranscodeOptions {
  rungs: PlannedRung[];
  /** Source frame rate (encoded rungs keep it). */
  frameRate: number;
  /** Segment target and keyframe interval, whole seconds (EXT-X-TARGETDURATION). */
  segmentSeconds: number;
  /** Wanted part duration, seconds (rounded to whole frames by cmafTiming). */
  partSeconds: number;
  preset: string;
  /** Descriptor of the first rung's output; rung i writes to firstFd + i. */
  firstFd: number;
}

/** The per-rung output arguments (encoder + muxer) for an ffmpeg that already has `[v<i>]` labels from its filter graph. */
export function cmafRungOutputs(o: CmafTranscodeOptions): string[] {
  const timing = cmafTiming(o.partSeconds, o.frameRate);
  const args: string[][] = [];
  o.rungs.forEach((r, i) => {
    if (r.video.mode === "copy") {
      // The publisher's H.264 passes through; its own GOP decides where this rung's segments can cut.
      args.push(["-map", "0:v:0", "-c:v", "copy"]);
    } else {
      args.push(
        // The rung's scaler output from the shared decode.
        ["-map", `[v${i}]`, "-c:v", "libx264"],
        // Capped bitrate so the rung stays within its advertised BANDWIDTH; 1 s of buffer keeps parts even.
        ["-b:v", `${r.video.kbps}k`, "-maxrate:v", `${r.video.kbps}k`, "-bufsize:v", `${r.video.kbps}k`],
        ["-preset", o.preset],
        // No B-frames or lookahead: a frame leaves the encoder at once, so a part is complete when its last frame is.
        ["-tune", "zerolatency"],
        // Browsers decode 8-bit 4:2:0 everywhere.
        ["-pix_fmt", "yuv420p"],
        // Constant frame rate, so every part has the same number of frames and duration.
        ["-r", String(o.frameRate)],
        // A keyframe exactly every segment: segments start independent and rungs stay aligned.
        ["-force_key_frames", `expr:gte(t,n_forced*${o.segmentSeconds})`],
        // No extra keyframes at scene cuts (they would make uneven segments).
        ["-sc_threshold", "0"],
      );
    }
    if (r.audio?.mode === "copy") args.push(["-map", "0:a:0", "-c:a", "copy"]);
    else if (r.audio) args.push(["-map", "0:a:0", "-c:a", "aac", "-b:a", `${r.audio.kbps}k`]);
    // Rungs start at different moments (copy vs encoded); a deeper queue avoids "too many packets buffered".
    args.push(["-max_muxing_queue_size", "1024"], cmafOutputArgs({ fd: o.firstFd + i, timing }));
  });
  return args.flat();
}
