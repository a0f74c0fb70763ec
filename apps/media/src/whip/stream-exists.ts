import { type InternalClient, UpstreamError } from "@hearth/server-kit";

/**
 * `streamExists` backed by the manager's public lookup (GET /stream/:publicId): the media node keeps
 * no list of streams, and the key check answers 403 alike for a wrong key and an unknown stream.
 */
export function managerStreamExists(manager: InternalClient): (publicId: string) => Promise<boolean> {
  return async function streamExists(publicId) {
    try {
      await manager.call("GET", `/stream/${encodeURIComponent(publicId)}`, undefined, null);
      return true;
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 404) return false;
      throw err;
    }
  };
}
