/** Formatting shared by server renders and islands (pure; no DOM, no server APIs). */

/** "1:02:03" / "4:05" for a live duration; "" before it started. */
export function formatUptime(startedAt: string | null, now: number): string {
  if (!startedAt) return "";
  const s = Math.max(0, Math.floor((now - Date.parse(startedAt)) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** "1 viewer" / "1.2K viewers". */
export function formatViewers(n: number): string {
  const num = n >= 1000 ? `${(n / 1000).toFixed(n >= 10_000 ? 0 : 1)}K` : String(n);
  return `${num} ${n === 1 ? "viewer" : "viewers"}`;
}

/** "try again in 3 min" for a Retry-After header (seconds or an HTTP date); "" when absent or unreadable. */
export function retryAfterText(header: string | null, now = Date.now()): string {
  if (!header) return "";
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - now) / 1000;
  if (!Number.isFinite(seconds) || seconds < 0) return "";
  if (seconds < 60) return `try again in ${Math.max(1, Math.ceil(seconds))} s`;
  if (seconds < 5400) return `try again in ${Math.ceil(seconds / 60)} min`;
  return `try again in ${Math.ceil(seconds / 3600)} h`;
}

/** "720p · 2.8 Mbps" for a rung. */
export function formatRung(r: { name: string; bandwidth: number }): string {
  const mbps = r.bandwidth / 1_000_000;
  return `${r.name} · ${mbps >= 1 ? `${mbps.toFixed(1)} Mbps` : `${Math.round(r.bandwidth / 1000)} kbps`}`;
}

/** "1:02:03" / "4:05" for a length in seconds (a video's or clip's duration). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** "Nov 28, 2026" for an ISO time, in UTC so the server's render and the browser's agree. */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleDateString("en-US", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
}
