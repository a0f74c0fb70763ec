import { type Rung, StreamLookup } from "@hearth/contracts/mini";
// The prebuilt light build (no subtitles, EME, alt audio) is the smallest hls.js: the /watch budget needs it.
import Hls from "hls.js/dist/hls.light.min.mjs";
import { useEffect, useRef, useState } from "preact/hooks";
import { followPlayback, wallTimeOf } from "../client/playback-clock.ts";
import { formatDuration, formatRung } from "../shared/format.ts";
import { shouldJumpToLive } from "../shared/player-stats.ts";
import { videoTimeAt } from "../shared/program-time.ts";
import { ClipButton } from "./player/clip-button.tsx";
import { StatsOverlay } from "./player/stats-overlay.tsx";

/** How far one press of the rewind button goes back. */
const REWIND_SECONDS = 10;
/** A live clip is the last this many seconds. */
const CLIP_SECONDS = 30;

export interface PlayerProps {
  publicId: string;
  name: string;
  managerUrl: string;
  live: boolean;
  /** The publisher dropped and may come back (the manager's `reconnecting`): the player waits on the last frame. */
  reconnecting?: boolean;
  hlsUrl: string;
  rungs: Rung[];
  /** The live session's recording (StreamLookup.dvr): its EVENT playlist is what rewinding plays. */
  dvr?: StreamLookup["dvr"];
  /** The stream's latest finished broadcast, offered on the offline screen. */
  latest?: { videoId: string; title: string; durationSeconds: number } | null;
  pollMs?: number;
}

/** The stream lookup, checked against the contract (the same zod/mini schema the web server parses with). */
async function fetchLookup(url: string): Promise<StreamLookup> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`the stream lookup answered ${res.status}`);
  const parsed = StreamLookup.safeParse(await res.json());
  if (!parsed.success) throw new Error("the stream lookup does not match the contract");
  return parsed.data;
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
  const [info, setInfo] = useState({
    live: props.live,
    hlsUrl: props.hlsUrl,
    rungs: props.rungs,
    dvr: props.dvr ?? null,
  });
  // Live rewind: "dvr" plays the recording's EVENT playlist from `rewindTo` (a wall time, ms); "live" the edge.
  const [rewound, setRewound] = useState(false);
  const rewindTo = useRef<number | null>(null);
  // Its own state, not part of `info`: a flag going up and down must never re-run the source effect.
  const [reconnecting, setReconnecting] = useState(props.reconnecting ?? false);
  const reconnectingNow = useRef(reconnecting);
  reconnectingNow.current = reconnecting;
  const [quality, setQuality] = useState("auto");
  // What to play and whether it is the rewind (DVR) playlist: an object, so switching re-runs the player even
  // when both are the same URL.
  const [source, setSource] = useState<{ url: string; dvr: boolean } | null>(null);
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
        const next = await fetchLookup(base);
        if (stopped) return;
        setReconnecting(next.live && next.reconnecting);
        // A reconnect at another resolution may change the rungs; the hlsUrl stays, so the player is kept.
        setInfo((cur) =>
          cur.live === next.live &&
          cur.hlsUrl === next.hlsUrl &&
          cur.rungs.length === next.rungs.length &&
          cur.dvr?.hlsUrl === next.dvr?.hlsUrl
            ? cur
            : { live: next.live, hlsUrl: next.hlsUrl, rungs: next.rungs, dvr: next.dvr },
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
  // Rewound: the recording's master (its quality follows the menu through hls.js levels).
  const dvrUrl = rewound && info.live ? (info.dvr?.hlsUrl ?? null) : null;
  useEffect(() => {
    if (!info.live) {
      // A new session has a new recording: a rewind never carries over.
      setRewound(false);
      return setSource(null);
    }
    // Kept when unchanged: a new poll answer with the same URL must not rebuild the player.
    const play = (url: string, dvr: boolean) =>
      setSource((cur) => (cur?.url === url && cur.dvr === dvr ? cur : { url, dvr }));
    if (dvrUrl) return play(dvrUrl, true);
    const rung = info.rungs.find((r) => r.name === quality);
    if (!rung) return play(info.hlsUrl, false);
    let stopped = false;
    fetchLookup(`${base}?bitrate=${rung.bandwidth}`)
      .then((l) => !stopped && play(l.hlsUrl, false))
      .catch(() => !stopped && setProblem("Could not switch quality; staying on Auto."));
    return () => {
      stopped = true;
    };
  }, [info, quality, base, dvrUrl]);

  useEffect(() => {
    const el = video.current;
    const root = el?.parentElement;
    if (!el || !root || !source) return;
    const url = source.url;
    const fixed = info.rungs.find((r) => r.name === quality);
    setPlaying(fixed?.name ?? null);
    setProblem(null);
    const stopFollowing = followPlayback(root, el, () => hls.current);
    if (source.dvr) return playDvr(el, url, fixed, stopFollowing);
    if (!Hls.isSupported()) {
      // Safari/iOS: no MSE (or no need), the browser plays HLS itself.
      if (el.canPlayType("application/vnd.apple.mpegurl")) el.src = url;
      else setProblem("This browser cannot play HLS video.");
      return;
    }
    const h = new Hls({
      // LL-HLS: load parts and block on playlist reloads. No liveSyncDuration(Count) on purpose: set by the
      // page it would replace the server's PART-HOLD-BACK (0.6 s for Hearth's packager) as the target; left
      // out, hls.js keeps PART-HOLD-BACK for LL-HLS and 3 target durations for plain live HLS.
      lowLatencyMode: true,
      // Drifted a little behind: play up to 1.25x until back at the target, which a viewer hardly notices
      // (hls.js keeps the pitch as the browser does for playbackRate). hls.js only does this within one
      // target duration of the target; further behind (a long stall, a reconnect) the page seeks to the
      // live edge instead (see the catch-up timer). No liveMaxLatencyDurationCount: hls.js refuses it
      // unless liveSyncDurationCount is set too, and that would override PART-HOLD-BACK (see above).
      maxLiveSyncPlaybackRate: 1.25,
      backBufferLength: 30,
    });
    hls.current = h;
    let retry: ReturnType<typeof setTimeout> | undefined;
    // A late join or a stall (the `waiting` event) arms the jump to the live edge; reaching the target disarms
    // it, so a viewer who paused or scrolled back on purpose is not pulled forward.
    let stalled = true;
    const onWaiting = () => {
      stalled = true;
    };
    el.addEventListener("waiting", onWaiting);
    // hls.js raises its target latency by up to one target duration for every stall it sees, which is right
    // for a viewer's slow network but not for a publisher's gap: after a reconnect the target goes back to
    // what the first playlist gave (PART-HOLD-BACK), once the player is at the live edge again.
    let baseline: number | null = null;
    let wasReconnecting = reconnectingNow.current;
    let resetTarget = false;
    h.on(Hls.Events.LEVEL_UPDATED, () => {
      baseline ??= h.targetLatency;
    });
    h.on(Hls.Events.LEVEL_SWITCHED, (_e, d) => {
      if (!fixed)
        setPlaying(rungOfLevel(info.rungs, h.levels[d.level])?.name ?? `${h.levels[d.level]?.height}p`);
    });
    h.on(Hls.Events.ERROR, (_e, d) => {
      // Non-fatal errors (a stalled buffer while the publisher reconnects, a retried request) are hls.js's
      // own business: it waits and retries. Fatal ones are recovered in place: the player is never rebuilt.
      if (!d.fatal) return;
      clearTimeout(retry);
      if (d.type === Hls.ErrorTypes.MEDIA_ERROR) {
        h.recoverMediaError();
        return;
      }
      setProblem("Reconnecting to the stream…");
      const manifest = /^manifest/i.test(String(d.details));
      retry = setTimeout(() => {
        // A stream that just went live may not have its master playlist yet: load it again. Any other
        // network failure (a playlist or part that timed out) resumes loading where it stopped.
        if (manifest) h.loadSource(url);
        h.startLoad();
      }, 1000);
    });
    h.on(Hls.Events.FRAG_BUFFERED, () => setProblem(null));
    h.loadSource(url);
    h.attachMedia(el);
    el.play().catch(() => {});
    const edge = setInterval(() => {
      const pos = h.liveSyncPosition;
      const latency = h.latency;
      const target = h.targetLatency;
      if (wasReconnecting && !reconnectingNow.current) resetTarget = true;
      wasReconnecting = reconnectingNow.current;
      if (target !== null && latency <= target + 0.5) {
        stalled = false;
        if (resetTarget && baseline !== null && target > baseline) h.targetLatency = baseline;
        resetTarget = false;
      }
      if (
        pos !== null &&
        shouldJumpToLive({ latency, target, stalled, paused: el.paused, waiting: reconnectingNow.current })
      ) {
        el.currentTime = pos;
        stalled = false;
      }
      setBehind(pos !== null && pos - el.currentTime > 10);
    }, 1000);
    return () => {
      stopFollowing();
      clearTimeout(retry);
      clearInterval(edge);
      el.removeEventListener("waiting", onWaiting);
      h.destroy();
      hls.current = null;
    };
  }, [source]);

  // Rewound, the quality menu picks an hls.js level of the recording's master (same rungs as live).
  useEffect(() => {
    const h = hls.current;
    if (!dvrUrl || !h) return;
    const rung = info.rungs.find((r) => r.name === quality);
    h.currentLevel = rung ? h.levels.findIndex((l) => l.height === rung.height) : -1;
  }, [quality]);

  /** Plays the recording's EVENT playlist from the wall time asked for (plain HLS: rewound, latency is moot). */
  function playDvr(el: HTMLVideoElement, url: string, fixed: Rung | undefined, stop: () => void) {
    if (!Hls.isSupported()) {
      el.src = url;
      return stop;
    }
    const h = new Hls({ backBufferLength: 60 });
    hls.current = h;
    // hls.js starts an EVENT playlist near its live edge; once that first piece is in (hls.js has made its own
    // start seek), move to the frame that was on screen minus the rewind. Restarting the load from inside
    // LEVEL_LOADED instead can leave hls.js waiting on an aborted fragment.
    const toStart = (_e: unknown, d: { frag: { sn: number | "initSegment" } }) => {
      if (d.frag.sn === "initSegment") return;
      h.off(Hls.Events.FRAG_BUFFERED, toStart);
      const fragments = h.latestLevelDetails?.fragments;
      const at = rewindTo.current === null || !fragments ? null : videoTimeAt(fragments, rewindTo.current);
      if (at !== null) el.currentTime = at;
    };
    h.on(Hls.Events.FRAG_BUFFERED, toStart);
    h.on(Hls.Events.MANIFEST_PARSED, () => {
      if (fixed) h.currentLevel = h.levels.findIndex((l) => l.height === fixed.height);
    });
    h.on(Hls.Events.ERROR, (_e, d) => {
      if (!d.fatal) return;
      if (d.type === Hls.ErrorTypes.MEDIA_ERROR) h.recoverMediaError();
      else setTimeout(() => h.startLoad(), 1000);
    });
    h.loadSource(url);
    h.attachMedia(el);
    el.play().catch(() => {});
    return () => {
      stop();
      h.destroy();
      hls.current = null;
    };
  }

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
            {props.latest && (
              <p>
                <a
                  class="btn btn-primary"
                  href={`/videos/${props.latest.videoId}`}
                  data-testid="latest-broadcast"
                >
                  {`Watch the latest broadcast (${formatDuration(props.latest.durationSeconds)})`}
                </a>
              </p>
            )}
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
  const rewind = () => {
    const el = video.current;
    if (!el) return;
    if (rewound) {
      el.currentTime = Math.max(0, el.currentTime - REWIND_SECONDS);
      return;
    }
    const wall = wallTimeOf(hls.current, el);
    rewindTo.current = (wall ?? Date.now()) - REWIND_SECONDS * 1000;
    setRewound(true);
  };
  const goLive = () => {
    rewindTo.current = null;
    setRewound(false);
  };
  const clipRequest = () => {
    const el = video.current;
    if (!el) return null;
    if (dvrUrl && info.dvr) {
      // Rewound: the recording's own timeline is the player's.
      const start = Math.max(0, el.currentTime - CLIP_SECONDS);
      return { videoId: info.dvr.videoId, startSeconds: start, durationSeconds: CLIP_SECONDS };
    }
    const wall = wallTimeOf(hls.current, el);
    const endAt = new Date(wall ?? Date.now()).toISOString();
    return { stream: props.publicId, endAt, durationSeconds: CLIP_SECONDS };
  };
  return (
    <>
      <div
        class="player"
        data-testid="player"
        data-state="live"
        data-mode={dvrUrl ? "dvr" : "live"}
        data-rung={playing ?? ""}
        data-reconnecting={reconnecting ? "true" : "false"}
      >
        <video
          ref={video}
          class="video"
          controls
          autoPlay
          muted
          playsInline
          aria-label={`Live video: ${props.name}`}
        />
        {reconnecting && (
          <div class="player-reconnecting" role="status" data-testid="player-reconnecting">
            <span class="spinner" aria-hidden="true" />
            Reconnecting...
            <span class="muted small">The streamer's connection dropped; this resumes by itself.</span>
          </div>
        )}
        {showStats && <StatsOverlay hls={hls} video={video} rung={playing} />}
        <div class="player-bar">
          {dvrUrl ? (
            <span class="badge badge-offline">REWOUND</span>
          ) : (
            <span class="badge badge-live">LIVE</span>
          )}
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
          {behind && !dvrUrl && (
            <button type="button" class="btn btn-small" onClick={catchUp}>
              Jump to live
            </button>
          )}
          {info.dvr && (
            <button
              type="button"
              class="btn btn-small"
              data-testid="rewind"
              aria-label={`Back ${REWIND_SECONDS} seconds`}
              onClick={rewind}
            >
              {`−${REWIND_SECONDS} s`}
            </button>
          )}
          {dvrUrl && (
            <button type="button" class="btn btn-small btn-primary" data-testid="go-live" onClick={goLive}>
              Go live
            </button>
          )}
          <ClipButton managerUrl={props.managerUrl} request={clipRequest} />
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
