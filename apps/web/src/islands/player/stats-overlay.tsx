import type { RefObject } from "preact";
import { useEffect, useState } from "preact/hooks";
import { bufferAheadSeconds, formatSeconds, liveLatencyMs } from "../../shared/player-stats.ts";

/** The part of hls.js the overlay reads (kept structural so the island's hls.js build stays its own business). */
export interface LatencySource {
  playingDate: Date | null;
  targetLatency: number | null;
}

export interface StatsOverlayProps {
  hls: RefObject<LatencySource | null>;
  video: RefObject<HTMLVideoElement | null>;
  rung: string | null;
}

interface Sample {
  latencyMs: number | null;
  targetMs: number | null;
  bufferMs: number;
}

function sample(hls: LatencySource | null, video: HTMLVideoElement | null): Sample {
  const ranges: Array<[number, number]> = [];
  if (video)
    for (let i = 0; i < video.buffered.length; i++)
      ranges.push([video.buffered.start(i), video.buffered.end(i)]);
  const target = hls?.targetLatency;
  return {
    latencyMs: liveLatencyMs(Date.now(), hls?.playingDate),
    targetMs: typeof target === "number" ? target * 1000 : null,
    bufferMs: video ? bufferAheadSeconds(ranges, video.currentTime) * 1000 : 0,
  };
}

/**
 * Live latency measured on the picture's own timeline: now minus the program date-time (EXT-X-PROGRAM-DATE-TIME,
 * stamped by the media node) of the frame on screen, so everything after the stamp is inside the number. Also the
 * rung and the buffer; sampled once a second while shown.
 */
export function StatsOverlay(props: StatsOverlayProps) {
  const [s, setS] = useState<Sample>(() => sample(props.hls.current, props.video.current));
  useEffect(() => {
    const tick = () => setS(sample(props.hls.current, props.video.current));
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [props.hls, props.video]);
  return (
    <dl class="player-stats" id="player-stats" data-testid="player-stats" aria-live="off">
      <dt>Latency</dt>
      <dd
        data-testid="stats-latency"
        data-ms={s.latencyMs === null ? "" : String(Math.round(s.latencyMs))}
        data-target-ms={s.targetMs === null ? "" : String(Math.round(s.targetMs))}
      >
        {formatSeconds(s.latencyMs)}
        {s.targetMs !== null && <span class="muted">{` (target ${formatSeconds(s.targetMs)})`}</span>}
      </dd>
      <dd class="player-stats-note" data-testid="stats-latency-note">
        now − program date-time on screen: packaging, CDN, buffer, decode; not the encoder before the stamp,
        nor clock skew
      </dd>
      <dt>Rung</dt>
      <dd data-testid="stats-rung">{props.rung ?? "—"}</dd>
      <dt>Buffer</dt>
      <dd data-testid="stats-buffer">{formatSeconds(s.bufferMs)}</dd>
    </dl>
  );
}
