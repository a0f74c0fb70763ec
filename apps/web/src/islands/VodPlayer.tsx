import { CLIP_MIN_SECONDS } from "@hearth/contracts/mini";
// The same light hls.js build as the live player: one shared chunk when both are on a page, and the budget.
import Hls from "hls.js/dist/hls.light.min.mjs";
import { useEffect, useRef, useState } from "preact/hooks";
import { followPlayback } from "../client/playback-clock.ts";
import { formatRung } from "../shared/format.ts";
import { ClipButton } from "./player/clip-button.tsx";

/** A clip from a video is the this many seconds before the position. */
const CLIP_SECONDS = 30;

export interface VodPlayerProps {
  /** Master playlist of the video or clip (VOD; EVENT while a video is still recording). */
  hlsUrl: string;
  title: string;
  posterUrl: string;
  managerUrl: string;
  /** Set on a video's page: the Clip button cuts from it. Clips cannot be clipped again. */
  videoId?: string;
}

/**
 * The player of a recording or clip: hls.js with a quality menu, seeking with the native controls. The server
 * renders a plain <video src=master> so the page plays without JavaScript where the browser plays HLS itself;
 * hydrated with MSE available, hls.js takes the element over.
 */
export default function VodPlayer(props: VodPlayerProps) {
  const video = useRef<HTMLVideoElement>(null);
  const hls = useRef<Hls | null>(null);
  const [levels, setLevels] = useState<Array<{ index: number; label: string }>>([]);
  const [level, setLevel] = useState(-1);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const el = video.current;
    const root = el?.parentElement;
    if (!el || !root) return;
    const stop = followPlayback(root, el, () => hls.current);
    if (!Hls.isSupported()) return stop; // native HLS: the server-rendered src plays as it is
    el.removeAttribute("src");
    el.load();
    const h = new Hls({ backBufferLength: 60 });
    hls.current = h;
    h.on(Hls.Events.MANIFEST_PARSED, () =>
      setLevels(
        h.levels
          .map((l, index) => ({
            index,
            label: formatRung({ name: `${l.height}p`, bandwidth: l.bitrate }),
            b: l.bitrate,
          }))
          .sort((a, b) => b.b - a.b),
      ),
    );
    h.on(Hls.Events.ERROR, (_e, d) => {
      if (!d.fatal) return;
      if (d.type === Hls.ErrorTypes.MEDIA_ERROR) return h.recoverMediaError();
      setProblem("Could not load the video; retrying…");
      setTimeout(() => h.startLoad(), 2000);
    });
    h.on(Hls.Events.FRAG_BUFFERED, () => setProblem(null));
    h.loadSource(props.hlsUrl);
    h.attachMedia(el);
    return () => {
      stop();
      h.destroy();
      hls.current = null;
    };
  }, [props.hlsUrl]);

  const pick = (index: number) => {
    setLevel(index);
    if (hls.current) hls.current.currentLevel = index;
  };
  const videoId = props.videoId;
  const clipRequest = () => {
    const el = video.current;
    if (!el || !videoId) return null;
    const start = Math.max(0, el.currentTime - CLIP_SECONDS);
    const durationSeconds = Math.max(CLIP_MIN_SECONDS, Math.min(CLIP_SECONDS, el.currentTime - start));
    return { videoId, startSeconds: Math.round(start * 1000) / 1000, durationSeconds };
  };
  return (
    <div class="player" data-testid="player" data-state="vod">
      {/* biome-ignore lint/a11y/useMediaCaption: recordings carry no caption track (none is produced live). */}
      <video
        ref={video}
        class="video"
        src={props.hlsUrl}
        poster={props.posterUrl}
        controls
        playsInline
        preload="metadata"
        data-testid="player-video"
        aria-label={`Video: ${props.title}`}
      />
      <div class="player-bar">
        {problem && (
          <span class="muted small" role="status">
            {problem}
          </span>
        )}
        <span class="spacer" />
        {videoId && <ClipButton managerUrl={props.managerUrl} request={clipRequest} />}
        {levels.length > 1 && (
          <label class="quality">
            <span>Quality</span>
            <select
              value={String(level)}
              onChange={(e) => pick(Number(e.currentTarget.value))}
              data-testid="quality"
            >
              <option value="-1">Auto</option>
              {levels.map((l) => (
                <option key={l.index} value={String(l.index)}>
                  {l.label}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
    </div>
  );
}
