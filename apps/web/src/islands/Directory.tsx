import { StreamList, type StreamSummary } from "@hearth/contracts/mini";
import { useEffect, useState } from "preact/hooks";
import { formatUptime, formatViewers } from "../shared/format.ts";

export interface DirectoryProps {
  streams: StreamSummary[];
  managerUrl: string;
  /** Server time of the render, so the first client render matches the HTML. */
  now: number;
  /** Set when the server could not reach the manager. */
  error?: string;
  refreshMs?: number;
}

function Card({ s, now, tick }: { s: StreamSummary; now: number; tick: number }) {
  // A preview that failed (not written yet, say) is retried on the next refresh.
  const [brokenAt, setBrokenAt] = useState(-1);
  const broken = brokenAt === tick;
  // The preview refreshes with the list; the query string defeats caches between refreshes.
  const thumb = tick > 0 ? `${s.thumbnailUrl}?t=${tick}` : s.thumbnailUrl;
  return (
    <li>
      <a class={`card${s.live ? " is-live" : ""}`} href={`/watch/${s.publicId}`} data-public-id={s.publicId}>
        <div class="thumb">
          {s.live && !broken ? (
            <img src={thumb} alt={`Preview of ${s.name}`} loading="lazy" onError={() => setBrokenAt(tick)} />
          ) : (
            <div class="thumb-empty" aria-hidden="true">
              {s.live ? "Starting…" : "Offline"}
            </div>
          )}
          {s.live && <span class="badge badge-live">LIVE</span>}
          {s.live && <span class="chip chip-viewers">{formatViewers(s.viewers)}</span>}
          {s.live && s.reconnecting && <span class="chip chip-reconnecting">Reconnecting…</span>}
          {s.live && s.startedAt && <span class="chip chip-uptime">{formatUptime(s.startedAt, now)}</span>}
        </div>
        <div class="card-meta">
          <span class="card-name">{s.name}</span>
          <span class="card-sub">{s.live ? "Live now" : "Offline"}</span>
        </div>
      </a>
    </li>
  );
}

/** The directory grid: live streams first, then offline ones; refreshes itself from the manager. */
export default function Directory(props: DirectoryProps) {
  const [streams, setStreams] = useState(props.streams);
  const [error, setError] = useState(props.error);
  const [now, setNow] = useState(props.now);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const clock = setInterval(() => setNow(Date.now()), 1000);
    setNow(Date.now());
    let stopped = false;
    const refresh = async () => {
      try {
        const res = await fetch(`${props.managerUrl}/streams`, { headers: { accept: "application/json" } });
        if (!res.ok) throw new Error(`the directory answered ${res.status}`);
        const list = StreamList.parse(await res.json());
        if (stopped) return;
        setStreams(list.streams);
        setError(undefined);
        setTick((t) => t + 1);
      } catch (err) {
        if (!stopped) setError((err as Error).message);
      }
    };
    const poll = setInterval(refresh, props.refreshMs ?? 5000);
    return () => {
      stopped = true;
      clearInterval(clock);
      clearInterval(poll);
    };
  }, [props.managerUrl, props.refreshMs]);

  const live = streams.filter((s) => s.live);
  const offline = streams.filter((s) => !s.live);
  return (
    <div class="directory" aria-live="polite">
      {error && (
        <p class="notice notice-error" role="status">
          Could not refresh the directory ({error}). Retrying…
        </p>
      )}
      <section aria-labelledby="live-h">
        <h2 id="live-h" class="section-title">
          Live channels <span class="count">{live.length}</span>
        </h2>
        {live.length === 0 ? (
          <div class="empty">
            <p class="empty-title">Nobody is live right now.</p>
            <p>
              Be the first: <a href="/broadcast">go live from your browser</a> with your camera or screen, or
              create a stream there and point OBS at the RTMP address it gives you.
            </p>
          </div>
        ) : (
          <ul class="grid" data-testid="live-grid">
            {live.map((s) => (
              <Card key={s.publicId} s={s} now={now} tick={tick} />
            ))}
          </ul>
        )}
      </section>
      {offline.length > 0 && (
        <section aria-labelledby="offline-h">
          <h2 id="offline-h" class="section-title">
            Offline
          </h2>
          <ul class="grid grid-offline">
            {offline.map((s) => (
              <Card key={s.publicId} s={s} now={now} tick={tick} />
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
