import type { Rung } from "@hearth/contracts";
// The prebuilt light build (no subtitles, EME, alt audio) is the smallest hls.js: the /watch budget needs it.
import Hls from "hls.js/dist/hls.light.min.mjs";
import { useEffect, useRef, useState } from "preact/hooks";
import { parseStreamLookup } from "../client/wire-guards.ts";
import { formatRung } from "../shared/format.ts";
import { StatsOverlay } from "./player/stats-overlay.tsx";

export interface PlayerProps {
  publicId: string;
  name: string;
  managerUrl: string;
  live: boolean;
  hlsUrl: string;
  rungs: Rung[];
  pollMs?: number;
}

/** Which rung a playing hls.js level is: the variant URL names its playlist, else match the height. */
function rungOfLevel(rungs: Rung[], level: { url: string[] | string; height: number } | undefined) {
  if (!level) return undefined;
  const url = Array.isArray(level.url) ? (level.url[0] ?? "") : level.url;
  return (
    rungs.find((r) => r.playlist && url.endsWith(r.playlist)) ?? rungs.find((r) => r.height === level.height)
  );
}

/** The player: hls.js (native HLS where MSE is missing), a quality menu, and an offline screen that turns into the player. */
export default function Player(props: PlayerProps) {
  const [info, setInfo] = useState({ live: props.live, hlsUrl: props.hlsUrl, rungs: props.rungs });
  const [quality, setQuality] = useState("auto");
  const [source, setSource] = useState<string | null>(null);
  const [playing, setPlaying] = useState<string | null>(null);
  const [behind, setBehind] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [showStats, setShowStats] = useState(false);
  const video = useRef<HTMLVideoElement>(null);
  const hls = useRef<Hls | null>(null);
  const base = `${props.managerUrl}/stream/${encodeURIComponent(props.publicId)}`;

  // Poll the manager: the offline screen becomes the player when the stream goes live, and back when it ends.
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const res = await fetch(base);
        if (!res.ok) throw new Error(`the stream lookup answered ${res.status}`);
        const next = parseStreamLookup(await res.json());
        if (!next) throw new Error("the stream lookup does not match the contract");
        if (stopped) return;
        setInfo((cur) =>
          cur.live === next.live && cur.hlsUrl === next.hlsUrl && cur.rungs.length === next.rungs.length
            ? cur
            : { live: next.live, hlsUrl: next.hlsUrl, rungs: next.rungs },
        );
      } catch {
        // A missed poll is retried on the next tick; the player keeps playing meanwhile.
      }
    };
    const timer = setInterval(poll, props.pollMs ?? 3000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [base, props.pollMs]);

  // The URL to play: the master playlist for Auto; a fixed rung's own playlist from ?bitrate=.
  useEffect(() => {
    if (!info.live) return setSource(null);
    const rung = info.rungs.find((r) => r.name === quality);
    if (!rung) return setSource(info.hlsUrl);
    let stopped = false;
    fetch(`${base}?bitrate=${rung.bandwidth}`)
      .then(async (res) => {
        const l = parseStreamLookup(await res.json());
        if (!l) throw new Error("the stream lookup does not match the contract");
        return l;
      })
      .then((l) => !stopped && setSource(l.hlsUrl))
      .catch(() => !stopped && setProblem("Could not switch quality; staying on Auto."));
    return () => {
      stopped = true;
    };
  }, [info, quality, base]);

  useEffect(() => {
    const el = video.current;
    if (!el || !source) return;
    const fixed = info.rungs.find((r) => r.name === quality);
    setPlaying(fixed?.name ?? null);
    setProblem(null);
    if (!Hls.isSupported()) {
      // Safari/iOS: no MSE (or no need), the browser plays HLS itself.
      if (el.canPlayType("application/vnd.apple.mpegurl")) el.src = source;
      else setProblem("This browser cannot play HLS video.");
      return;
    }
    const h = new Hls({
      // LL-HLS: load parts and block on playlist reloads. No liveSyncDuration(Count) on purpose: set by the
      // page it would replace the server's PART-HOLD-BACK (0.6 s for Hearth's packager) as the target; left
      // out, hls.js keeps PART-HOLD-BACK for LL-HLS and 3 target durations for plain live HLS.
      lowLatencyMode: true,
      // Drifted behind (a stall, a slow start): play up to 1.25x until back at the target, which a viewer
      // hardly notices. No liveMaxLatencyDurationCount: hls.js refuses it unless liveSyncDurationCount is
      // set too, and that would override PART-HOLD-BACK (see above).
      maxLiveSyncPlaybackRate: 1.25,
      backBufferLength: 30,
    });
    hls.current = h;
    let retry: ReturnType<typeof setTimeout> | undefined;
    h.on(Hls.Events.LEVEL_SWITCHED, (_e, d) => {
      if (!fixed)
        setPlaying(rungOfLevel(info.rungs, h.levels[d.level])?.name ?? `${h.levels[d.level]?.height}p`);
    });
    h.on(Hls.Events.ERROR, (_e, d) => {
      if (!d.fatal) return;
      // A stream that just went live may not have its playlist yet: reload shortly.
      setProblem("Reconnecting to the stream…");
      clearTimeout(retry);
      retry = setTimeout(() => {
        h.loadSource(source);
        h.startLoad();
      }, 2000);
    });
    h.on(Hls.Events.FRAG_BUFFERED, () => setProblem(null));
    h.loadSource(source);
    h.attachMedia(el);
    el.play().catch(() => {});
    const edge = setInterval(() => {
      const pos = h.liveSyncPosition;
      setBehind(pos !== null && pos - el.currentTime > 10);
    }, 2000);
    return () => {
      clearTimeout(retry);
      clearInterval(edge);
      h.destroy();
      hls.current = null;
    };
  }, [source]);

  const about = (
    <div class="stream-info">
      <h1 class="stream-title">{props.name}</h1>
      {info.live ? (
        <span class="badge badge-live">LIVE</span>
      ) : (
        <span class="badge badge-offline">OFFLINE</span>
      )}
    </div>
  );
  if (!info.live) {
    return (
      <>
        <div class="player player-offline" data-testid="player" data-state="offline">
          <div class="offline-card">
            <span class="badge badge-offline">OFFLINE</span>
            <p class="offline-title">{props.name} is offline</p>
            <p class="muted">This page will start playing by itself as soon as the stream goes live.</p>
          </div>
        </div>
        {about}
      </>
    );
  }
  const catchUp = () => {
    const pos = hls.current?.liveSyncPosition;
    if (video.current && pos) video.current.currentTime = pos;
  };
  return (
    <>
      <div class="player" data-testid="player" data-state="live" data-rung={playing ?? ""}>
        <video
          ref={video}
          class="video"
          controls
          autoPlay
          muted
          playsInline
          aria-label={`Live video: ${props.name}`}
        />
        {showStats && <StatsOverlay hls={hls} video={video} rung={playing} />}
        <div class="player-bar">
          <span class="badge badge-live">LIVE</span>
          {playing && <span class="muted small" data-testid="playing-rung">{`Playing ${playing}`}</span>}
          {problem && (
            <span class="muted small" role="status">
              {problem}
            </span>
          )}
          <span class="spacer" />
          <button
            type="button"
            class="btn btn-small"
            aria-pressed={showStats}
            aria-controls="player-stats"
            data-testid="stats-toggle"
            onClick={() => setShowStats((v) => !v)}
          >
            Stats
          </button>
          {behind && (
            <button type="button" class="btn btn-small" onClick={catchUp}>
              Jump to live
            </button>
          )}
          <label class="quality">
            <span>Quality</span>
            <select value={quality} onChange={(e) => setQuality(e.currentTarget.value)} data-testid="quality">
              <option value="auto">Auto</option>
              {[...info.rungs]
                .sort((a, b) => b.bandwidth - a.bandwidth)
                .map((r) => (
                  <option key={r.name} value={r.name}>
                    {formatRung(r)}
                  </option>
                ))}
            </select>
          </label>
        </div>
      </div>
      {about}
    </>
  );
}
