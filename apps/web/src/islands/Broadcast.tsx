import type { StartedStream, StreamCreationPolicy } from "@hearth/contracts/mini";
import { useEffect, useRef, useState } from "preact/hooks";
import { ManagerRefusal, startStream, startWebrtc, stopStream } from "../client/manager-calls.ts";
import { type SendHealth, sendStatsSampler } from "../client/send-stats.ts";
import { loadOwnStream, saveOwnStream } from "../client/stream-store.ts";
import { type WhipSession, whipPublish } from "../client/whip.ts";
import { ObsSettings } from "./broadcast/obs-settings.tsx";
import { RecordingSetting } from "./broadcast/recording-setting.tsx";
import Chat from "./Chat.tsx";
import { ErrorNotice } from "./form/error-notice.tsx";
import { InlineField } from "./form/inline-field.tsx";

export interface BroadcastProps {
  managerUrl: string;
  /** The instance's STREAM_CREATION: with "token" the page asks for an invite token. */
  creationPolicy?: StreamCreationPolicy;
}

type Source = "camera" | "screen";
type Phase = "idle" | "starting" | "live" | "stopping";

async function capture(source: Source): Promise<MediaStream> {
  if (source === "screen")
    return navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 30 }, audio: true });
  return navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
    audio: true,
  });
}

function Health({ h }: { h: SendHealth | null }) {
  if (!h) return null;
  const mbps = h.kbps >= 1000 ? `${(h.kbps / 1000).toFixed(1)} Mbps` : `${h.kbps} kbps`;
  return (
    <p
      class={`health health-${h.state}`}
      role="status"
      data-testid="health"
      data-state={h.state}
      data-kbps={h.kbps}
    >
      <span class="dot" aria-hidden="true" /> {h.state} · {mbps} · {h.width}×{h.height} · {h.fps} fps
    </p>
  );
}

/**
 * The broadcast studio: create a stream, preview a source, go live over WHIP, whether to record, OBS settings,
 * moderated chat.
 */
export default function Broadcast({ managerUrl, creationPolicy = "open" }: BroadcastProps) {
  const [stream, setStream] = useState<StartedStream | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [name, setName] = useState("");
  const [invite, setInvite] = useState("");
  // Asked for up front with STREAM_CREATION=token, or once the manager says a token is needed.
  const [needsInvite, setNeedsInvite] = useState(creationPolicy === "token");
  const [source, setSource] = useState<Source>("camera");
  const [media, setMedia] = useState<MediaStream | null>(null);
  const [phase, setPhase] = useState<Phase>("idle");
  const [health, setHealth] = useState<SendHealth | null>(null);
  const [error, setError] = useState<string | null>(null);
  const preview = useRef<HTMLVideoElement>(null);
  const session = useRef<WhipSession | null>(null);

  useEffect(() => {
    setStream(loadOwnStream());
    setLoaded(true);
  }, []);
  useEffect(() => {
    if (preview.current) preview.current.srcObject = media;
  }, [media]);
  useEffect(
    () => () => {
      for (const t of media?.getTracks() ?? []) t.stop();
    },
    [media],
  );
  useEffect(() => {
    if (phase !== "live" || !session.current) return;
    const sample = sendStatsSampler(session.current.pc);
    const timer = setInterval(() => void sample().then(setHealth), 1000);
    return () => clearInterval(timer);
  }, [phase]);

  const run = async (what: () => Promise<void>) => {
    setError(null);
    try {
      await what();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const create = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      try {
        const s = await startStream(managerUrl, name, needsInvite ? invite.trim() || undefined : undefined);
        saveOwnStream(s);
        setStream(s);
        setInvite("");
      } catch (err) {
        if (err instanceof ManagerRefusal && (err.status === 401 || err.status === 403)) setNeedsInvite(true);
        throw err;
      }
    });
  };
  const pick = (s: Source) =>
    void run(async () => {
      setSource(s);
      const m = await capture(s);
      setMedia(m);
    });
  const goLive = () =>
    void run(async () => {
      if (!stream) return;
      setPhase("starting");
      try {
        const m = media ?? (await capture(source));
        setMedia(m);
        const whipUrl = await startWebrtc(managerUrl, stream.publicId, stream.privateId);
        session.current = await whipPublish(whipUrl, stream.privateId, m);
        session.current.pc.addEventListener("connectionstatechange", () => {
          const st = session.current?.pc.connectionState;
          if (st === "failed") setError("The connection to the media node failed. Stop and go live again.");
        });
        setPhase("live");
      } catch (err) {
        setPhase("idle");
        throw err;
      }
    });
  const stop = async () => {
    setPhase("stopping");
    await session.current?.stop();
    session.current = null;
    setHealth(null);
    setPhase("idle");
  };
  const end = () =>
    void run(async () => {
      if (!stream) return;
      await stop();
      await stopStream(managerUrl, stream.publicId, stream.privateId);
      saveOwnStream(null);
      setStream(null);
      for (const t of media?.getTracks() ?? []) t.stop();
      setMedia(null);
    });

  if (!loaded) return <p class="muted">Loading your studio…</p>;
  if (!stream) {
    return (
      <form class="panel create" onSubmit={create}>
        <h2>Create a stream</h2>
        <p class="muted">
          Give it a title viewers will see in the directory. You get a private stream key; it stays in this
          browser.
        </p>
        {creationPolicy === "closed" && (
          <p class="notice" data-testid="creation-closed">
            On this instance only the operator creates streams.
          </p>
        )}
        {needsInvite && (
          <>
            <label for="creation-token">Invite token</label>
            <p class="muted small" id="creation-token-help">
              This instance creates streams by invitation: paste the token the operator gave you.
            </p>
            <input
              id="creation-token"
              type="password"
              autoComplete="off"
              value={invite}
              onInput={(e) => setInvite(e.currentTarget.value)}
              required
              maxLength={200}
              aria-describedby="creation-token-help"
            />
          </>
        )}
        <InlineField
          id="stream-name"
          label="Stream title"
          value={name}
          onValue={setName}
          submit="Create stream"
          maxLength={80}
          placeholder="Late-night coding"
        />
        <ErrorNotice error={error} />
      </form>
    );
  }
  const watchPath = `/watch/${stream.publicId}`;
  return (
    <div class="studio" data-public-id={stream.publicId}>
      <div class="studio-main">
        <div class="preview-wrap">
          <video ref={preview} class="video" autoPlay muted playsInline aria-label="Local preview" />
          {!media && <div class="preview-empty">Pick a source to see your preview</div>}
          {phase === "live" && <span class="badge badge-live preview-badge">LIVE</span>}
        </div>
        <div class="controls">
          <fieldset class="segmented">
            <legend class="sr-only">Source</legend>
            <button
              type="button"
              class="btn"
              aria-pressed={source === "camera" && !!media}
              onClick={() => pick("camera")}
              disabled={phase !== "idle"}
            >
              Camera &amp; mic
            </button>
            <button
              type="button"
              class="btn"
              aria-pressed={source === "screen" && !!media}
              onClick={() => pick("screen")}
              disabled={phase !== "idle"}
            >
              Share screen
            </button>
          </fieldset>
          <span class="spacer" />
          {phase === "live" || phase === "stopping" ? (
            <button
              type="button"
              class="btn btn-danger"
              onClick={() => void stop()}
              disabled={phase === "stopping"}
            >
              Stop
            </button>
          ) : (
            <button type="button" class="btn btn-primary" onClick={goLive} disabled={phase === "starting"}>
              {phase === "starting" ? "Connecting…" : "Go live"}
            </button>
          )}
        </div>
        <Health h={health} />
        <ErrorNotice error={error} />
        <div class="stream-info">
          <h1 class="stream-title">{stream.name}</h1>
          <a href={watchPath} target="_blank" rel="noopener">
            Open the viewer page
          </a>
          <span class="spacer" />
          <button type="button" class="btn btn-ghost" onClick={end}>
            End stream
          </button>
        </div>
        <RecordingSetting managerUrl={managerUrl} stream={stream} />
        <ObsSettings stream={stream} managerUrl={managerUrl} />
      </div>
      <aside class="watch-chat">
        <Chat
          chatUrl={stream.chatUrl}
          moderatorKey={stream.privateId}
          suggestedName={stream.name.slice(0, 25)}
        />
      </aside>
    </div>
  );
}
