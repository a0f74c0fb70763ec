import type { StartedStream } from "@hearth/contracts/mini";
import { useEffect, useState } from "preact/hooks";
import { ErrorNotice } from "../form/error-notice.tsx";
import { loadRecording, saveRecording, saveStreamSettings } from "./stream-settings.ts";

/** The "Record broadcasts" checkbox: whether this stream's broadcasts are kept as videos (on by default). */
export function RecordingSetting({ managerUrl, stream }: { managerUrl: string; stream: StartedStream }) {
  const [on, setOn] = useState(true);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setOn(loadRecording(stream.publicId)), [stream.publicId]);

  const change = async (wanted: boolean) => {
    setSaving(true);
    setError(null);
    try {
      const saved = await saveStreamSettings(managerUrl, stream.publicId, stream.privateId, {
        recording: wanted,
      });
      setOn(saved.recording);
      saveRecording(stream.publicId, saved.recording);
    } catch (err) {
      // The box shows what holds: the old value, and why the change did not take.
      setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <div class="field" data-testid="recording-setting">
      <label>
        <input
          type="checkbox"
          checked={on}
          disabled={saving}
          onChange={(e) => void change(e.currentTarget.checked)}
          aria-describedby="recording-help"
          data-testid="record-broadcasts"
        />{" "}
        Record broadcasts
      </label>
      <p class="muted small" id="recording-help">
        Each broadcast is kept as a video viewers can watch later. Applies from the next broadcast
        {saving ? " (saving…)" : ""}.
      </p>
      <ErrorNotice error={error} />
    </div>
  );
}
