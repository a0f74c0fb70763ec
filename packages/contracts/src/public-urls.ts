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
