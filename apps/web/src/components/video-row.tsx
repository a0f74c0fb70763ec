import type { Video } from "@hearth/contracts/mini";
import { formatDate, formatDuration } from "../shared/format.ts";

/** A "Past broadcasts" row: thumbnail, duration, title and date of each video, linking to its page. Server-only. */
export function VideoRow({
  videos,
  heading,
  id,
}: {
  videos: Video[];
  heading: string;
  /** The section's id (and its heading's), unique on the page. */
  id: string;
}) {
  if (videos.length === 0) return null;
  return (
    <section class="past-broadcasts" aria-labelledby={`${id}-h`} data-testid={id}>
      <h2 id={`${id}-h`} class="section-title">
        {heading}
      </h2>
      <ul class="video-row">
        {videos.map((v) => (
          <li key={v.videoId}>
            <a class="card" href={`/videos/${v.videoId}`} data-video-id={v.videoId}>
              <div class="thumb">
                <img src={v.thumbnailUrl} alt="" loading="lazy" />
                {v.state === "recording" && <span class="badge badge-live">LIVE</span>}
                <span class="chip chip-duration">{formatDuration(v.durationSeconds)}</span>
              </div>
              <div class="card-meta">
                <span class="card-name">{v.title}</span>
                <span class="card-sub">
                  <time datetime={v.startedAt}>{formatDate(v.startedAt)}</time>
                </span>
              </div>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
