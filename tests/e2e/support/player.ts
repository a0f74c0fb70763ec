/** The watch page's player as a test sees it in Chromium: what the video plays and what the player reports. */
import type { Page } from "./chromium.ts";
import { PAGE_POLL_MS, until } from "./until.ts";

export interface VideoState {
  /** The video's currentTime, in seconds. */
  t: number;
  /** The decoded picture's height. */
  h: number;
  /** The rung the player says it plays. */
  rung: string;
  /** The player's state ("live", "offline", ...). */
  state: string;
}

/** The playing video's state in the watch page. */
export function videoState(page: Page): Promise<VideoState> {
  return page.evaluate(() => {
    const v = document.querySelector("video");
    const p = document.querySelector<HTMLElement>("[data-testid=player]");
    return {
      t: v?.currentTime ?? 0,
      h: v?.videoHeight ?? 0,
      rung: p?.dataset.rung ?? "",
      state: p?.dataset.state ?? "",
    };
  });
}

/** Picks `rung` in the quality menu and waits until the video plays it, at the rung's height. */
export async function selectRung(
  page: Page,
  rung: { name: string; height: number },
  timeoutMs: number,
): Promise<void> {
  await page.getByTestId("quality").selectOption(rung.name);
  await until(
    `the ${rung.name} rung to play`,
    timeoutMs,
    async () => {
      const s = await videoState(page);
      return s.rung === rung.name && s.h === rung.height;
    },
    PAGE_POLL_MS,
  );
}

/** Waits (20 s at most) until the video's currentTime is a second past `from`, by default its time now. */
export async function untilPlaybackAdvances(page: Page, what: string, from?: number): Promise<void> {
  const t0 = from ?? (await videoState(page)).t;
  await until(what, 20_000, async () => (await videoState(page)).t > t0 + 1, PAGE_POLL_MS);
}
