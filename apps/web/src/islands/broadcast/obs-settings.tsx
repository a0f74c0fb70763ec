import type { StartedStream } from "@hearth/contracts/mini";
import { useState } from "preact/hooks";

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

/** OBS / external encoder settings; the key stays masked until revealed. */
export function ObsSettings({ stream }: { stream: StartedStream }) {
  return (
    <details class="panel obs">
      <summary>Stream from OBS or another encoder</summary>
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
