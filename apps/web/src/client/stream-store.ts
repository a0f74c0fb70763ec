import { StartedStream } from "@hearth/contracts/mini";

// The stream key lives only in this browser: it is read and written here, sent only to the manager
// and the media node, and never placed in a URL or sent to the web tier.
const KEY = "hearth.broadcast.stream";

/** The stream this browser created and has not ended, if any. */
export function loadOwnStream(): StartedStream | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? StartedStream.parse(JSON.parse(raw)) : null;
  } catch {
    return null;
  }
}

/** Remembers (or, with null, forgets) this browser's stream. */
export function saveOwnStream(s: StartedStream | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
}
