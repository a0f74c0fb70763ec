/**
 * The public URL layout, built in this one place and used by the manager, the media node, the launcher and
 * the web app. Bases never end with "/"; ids are URL-safe by construction (see PublicId).
 */

const trim = (base: string) => base.replace(/\/+$/, "");

/** The stream's LL-HLS master playlist under an HLS base (origin or CDN edge), e.g. `http://edge/hls`. */
export function hlsMasterUrl(hlsBase: string, publicId: string): string {
  return `${trim(hlsBase)}/${publicId}/master.m3u8`;
}

/** The stream's preview image under the same HLS base. */
export function thumbnailUrl(hlsBase: string, publicId: string): string {
  return `${trim(hlsBase)}/${publicId}/thumb.jpg`;
}

/** The stream's WHIP endpoint under a WHIP base, e.g. `http://media:8090/whip`. */
export function whipUrl(whipBase: string, publicId: string): string {
  return `${trim(whipBase)}/${publicId}`;
}

/** The stream's watch page under the web app's base. */
export function watchUrl(webBase: string, publicId: string): string {
  return `${trim(webBase)}/watch/${publicId}`;
}

/** A recording's (past broadcast's) page under the web app's base. */
export function videoPageUrl(webBase: string, videoId: string): string {
  return `${trim(webBase)}/videos/${videoId}`;
}

/** The HLS base a master URL lives under (the inverse of hlsMasterUrl). */
export function hlsBaseOf(masterUrl: string, publicId: string): string {
  const suffix = `/${publicId}/master.m3u8`;
  if (!masterUrl.endsWith(suffix)) throw new Error(`not a master playlist URL of ${publicId}`);
  return masterUrl.slice(0, -suffix.length);
}

/** A recording's master playlist (EVENT while live, VOD once finished) under its media node's HLS base. */
export function vodMasterUrl(hlsBase: string, videoId: string): string {
  return `${trim(hlsBase)}/vod/${videoId}/master.m3u8`;
}

/** A recording's thumbnail under its media node's HLS base. */
export function vodThumbnailUrl(hlsBase: string, videoId: string): string {
  return `${trim(hlsBase)}/vod/${videoId}/thumb.jpg`;
}

/** A clip's VOD master playlist under its media node's HLS base. */
export function clipMasterUrl(hlsBase: string, clipId: string): string {
  return `${trim(hlsBase)}/clips/${clipId}/master.m3u8`;
}

/** A clip's thumbnail under its media node's HLS base. */
export function clipThumbnailUrl(hlsBase: string, clipId: string): string {
  return `${trim(hlsBase)}/clips/${clipId}/thumb.jpg`;
}

/** A clip's page under the web app's base. */
export function clipPageUrl(webBase: string, clipId: string): string {
  return `${trim(webBase)}/clips/${clipId}`;
}

/**
 * The HTTP URL of a room's chat replay between two wall-clock times (ms), from the room's WebSocket URL
 * (`ws://chat/rooms/<id>` → `http://chat/rooms/<id>/replay?from=&to=`); answers ChatReplay.
 */
export function chatReplayUrl(chatUrl: string, fromMs: number, toMs: number | null): string {
  const base = chatUrl.replace(/^ws(s?):/, "http$1:").replace(/\/+$/, "");
  return `${base}/replay?from=${Math.floor(fromMs)}${toMs === null ? "" : `&to=${Math.ceil(toMs)}`}`;
}
