/** Headless Chromium from apt, as every browser test and benchmark launches it. */
import { type Browser, chromium } from "playwright-core";

export type { Browser, BrowserContext, Page } from "playwright-core";

/** Flags from the common brief, plus a fake camera and microphone that need no permission prompt. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  // Video must start without a user gesture in a test (it is muted anyway).
  "--autoplay-policy=no-user-gesture-required",
];

/** Launches the apt Chromium; the caller closes it. */
export function launchChromium(executablePath = "/usr/bin/chromium"): Promise<Browser> {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 30_000 });
}
