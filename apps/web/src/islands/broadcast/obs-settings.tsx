import type { StartedStream, StreamLookup } from "@hearth/contracts/mini";
import { useEffect, useState } from "preact/hooks";
import { lookupStream } from "../../client/manager-calls.ts";

/** How often the panel asks whether the encoder got through. */
const STATUS_POLL_MS = 3000;

function CopyButton({ value, label }: { value: string; label: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setDone(true);
      setTimeout(() => setDone(false), 1500);
    } catch {
      setDone(false);
    }
  };
  return (
    <button type="button" class="btn btn-small" onClick={copy} aria-label={`Copy ${label}`}>
      {done ? "Copied" : "Copy"}
    </button>
  );
}

function Field({ label, value, secret }: { label: string; value: string; secret?: boolean }) {
  const [shown, setShown] = useState(!secret);
  const id = `f-${label.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <div class="field-row">
        <input id={id} readOnly value={shown ? value : "•".repeat(24)} type="text" spellcheck={false} />
        {secret && (
          <button type="button" class="btn btn-small" onClick={() => setShown(!shown)} aria-pressed={shown}>
            {shown ? "Hide" : "Reveal"}
          </button>
        )}
        <CopyButton value={value} label={label} />
      </div>
    </div>
  );
}

/** What the encoder's stream looks like from the manager: OBS itself only says "failed to connect" when refused. */
export function statusLine(view: StreamLookup | null): { text: string; refused: boolean } {
  if (!view) return { text: "Waiting for your encoder…", refused: false };
  if (view.live) return { text: view.reconnecting ? "Reconnecting…" : "Live", refused: false };
  if (view.refusal) return { text: `Refused: ${view.refusal.message}`, refused: true };
  return { text: "Waiting for your encoder…", refused: false };
}

function EncoderStatus({ managerUrl, publicId }: { managerUrl: string; publicId: string }) {
  const [view, setView] = useState<StreamLookup | null>(null);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const v = await lookupStream(managerUrl, publicId);
        if (!stopped) setView(v);
      } catch {
        // A missed poll keeps the last status; the next one tries again.
      }
      if (!stopped) timer = setTimeout(poll, STATUS_POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [managerUrl, publicId]);
  const line = statusLine(view);
  return (
    <p
      class={line.refused ? "notice notice-error" : "muted small"}
      data-testid="encoder-status"
      role="status"
    >
      {line.text}
    </p>
  );
}

/** OBS / external encoder settings; the key stays masked until revealed. */
export function ObsSettings({ stream, managerUrl }: { stream: StartedStream; managerUrl: string }) {
  return (
    <details class="panel obs">
      <summary>Stream from OBS or another encoder</summary>
      <EncoderStatus managerUrl={managerUrl} publicId={stream.publicId} />
      <p class="muted small">
        In OBS: Settings → Stream → Service "Custom…". Keep the key secret: anyone with it can stream as you.
      </p>
      <Field label="RTMP server" value={stream.rtmp.server} />
      <Field label="Stream key" value={stream.rtmp.streamKey} secret />
      <Field label="WHIP URL" value={stream.whipUrl} />
      <p class="muted small">WHIP clients send the stream key as the Bearer token.</p>
    </details>
  );
}
