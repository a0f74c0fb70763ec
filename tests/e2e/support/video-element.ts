/**
 * The page's <video> as a test drives it in Chromium: its clock, playing it, seeking it. Read fresh on every call
 * (a player may replace the element), and independent of any page's own controls.
 */
import type { Page } from "./chromium.ts";
import { PAGE_POLL_MS, until } from "./until.ts";

export interface VideoClock {
  t: number;
  duration: number;
  paused: boolean;
  ended: boolean;
  seeking: boolean;
  readyState: number;
  /** MediaError code, 0 when none. */
  error: number;
}

/** The first <video> matching `selector` in the page (null when there is none yet). */
export function videoClock(page: Page, selector = "video"): Promise<VideoClock | null> {
  return page.evaluate((sel) => {
    const v = document.querySelector<HTMLVideoElement>(sel);
    if (!v) return null;
    return {
      t: v.currentTime,
      duration: v.duration,
      paused: v.paused,
      ended: v.ended,
      seeking: v.seeking,
      readyState: v.readyState,
      error: v.error?.code ?? 0,
    };
  }, selector);
}

/** Starts playback (muted, so no gesture is needed) once the video has media, as a viewer pressing play would. */
export async function play(page: Page, timeoutMs: number, selector = "video"): Promise<void> {
  await until("the video to have media", timeoutMs, async () => {
    const c = await videoClock(page, selector);
    return c !== null && c.readyState >= 1;
  });
  await page.evaluate((sel) => {
    const v = document.querySelector<HTMLVideoElement>(sel);
    if (!v) return;
    v.muted = true;
    return v.play().catch(() => {});
  }, selector);
}

/** Seeks the video to `t` seconds (the same seek a player's seek bar makes). */
export async function seek(page: Page, t: number, selector = "video"): Promise<void> {
  await page.evaluate(
    ([sel, to]) => {
      const v = document.querySelector<HTMLVideoElement>(sel as string);
      if (v) v.currentTime = to as number;
    },
    [selector, t] as const,
  );
}

/**
 * Waits until the video's clock passes `test`; returns that clock. A MediaError fails the wait at once (a broken
 * video would otherwise just time out).
 */
function untilClock(
  page: Page,
  what: string,
  timeoutMs: number,
  selector: string,
  test: (c: VideoClock) => boolean,
): Promise<VideoClock> {
  return until(
    what,
    timeoutMs,
    async () => {
      const c = await videoClock(page, selector);
      if (c && c.error !== 0) throw new Error(`the video failed with MediaError ${c.error}`);
      return c && test(c) ? c : undefined;
    },
    PAGE_POLL_MS,
  );
}

/** Waits until the video plays past `t` (not seeking, currentTime beyond it); returns its clock then. */
export function untilPlayingPast(
  page: Page,
  what: string,
  t: number,
  timeoutMs: number,
  selector = "video",
): Promise<VideoClock> {
  return untilClock(page, what, timeoutMs, selector, (c) => !c.seeking && c.t > t);
}

/**
 * Waits until the video has played to its end (ended, or within 0.3 s of its duration: a VOD's last frame may
 * not quite reach the reported duration); returns its clock then.
 */
export function untilPlayedToEnd(
  page: Page,
  what: string,
  timeoutMs: number,
  selector = "video",
): Promise<VideoClock> {
  return untilClock(page, what, timeoutMs, selector, (c) => c.ended || c.t >= c.duration - 0.3);
}
