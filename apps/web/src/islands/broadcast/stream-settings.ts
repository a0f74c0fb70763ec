import { ErrorBody, StreamSettings } from "@hearth/contracts/mini";
import { ManagerRefusal } from "../../client/manager-calls.ts";

/**
 * `PUT /stream/:publicId/settings` as the broadcast page sends it: the stream key as a Bearer token (never in the
 * URL, which proxies log), the settings as JSON.
 */
export function streamSettingsRequest(
  managerUrl: string,
  publicId: string,
  key: string,
  settings: StreamSettings,
): Request {
  return new Request(`${managerUrl}/stream/${encodeURIComponent(publicId)}/settings`, {
    method: "PUT",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(settings),
  });
}

/** Saves the stream's settings; the manager's answer is what now holds. A refusal says why, in its words. */
export async function saveStreamSettings(
  managerUrl: string,
  publicId: string,
  key: string,
  settings: StreamSettings,
): Promise<StreamSettings> {
  const res = await fetch(streamSettingsRequest(managerUrl, publicId, key, settings));
  if (!res.ok) {
    const body = ErrorBody.safeParse(await res.json().catch(() => null));
    throw new ManagerRefusal(
      res.status,
      body.success ? body.data.error.code : "",
      `Could not save the setting (${res.status}): ${body.success ? body.data.error.message : res.statusText}`,
    );
  }
  return StreamSettings.parse(await res.json());
}

// The last setting this browser saved, per stream: the manager has no read of it for the page, and a reload
// should not show "on" for a stream the streamer turned off. Recording is on until turned off (the contract).
const stored = (publicId: string) => `hearth.broadcast.recording.${publicId}`;

/** Whether this browser last saw recording on for `publicId` (on when it never saved one). */
export function loadRecording(publicId: string): boolean {
  try {
    return localStorage.getItem(stored(publicId)) !== "off";
  } catch {
    return true;
  }
}

/** Remembers the saved setting for the next visit. */
export function saveRecording(publicId: string, on: boolean): void {
  try {
    localStorage.setItem(stored(publicId), on ? "on" : "off");
  } catch {
    // Storage refused (private mode): the setting holds at the manager all the same.
  }
}
