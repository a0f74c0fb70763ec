import { VerifyKeyResponse } from "@hearth/contracts";
import { type InternalClient, UpstreamError } from "@hearth/server-kit";

/** Answers whether a stream key may publish, and for which public id (declared here, by the consumer). */
export interface KeyVerifier {
  /** The stream's public id, or null when the key is unknown, ended or malformed. Throws when unsure. */
  verify(key: string): Promise<string | null>;
}

/**
 * The manager's `POST /internal/keys/verify`: 200 {publicId} | 403 (| 409 when the stream is live on
 * another node). With a node id the manager moves an offline stream to this node. The answer's `recording`
 * (the streamer's setting) goes to `onVerified`, which the session reads when it starts.
 */
export function managerKeyVerifier(
  client: InternalClient,
  node?: string,
  /** Told the streamer's recording setting with every accepted key (RTMP and WHIP both verify here). */
  onVerified?: (publicId: string, recording: boolean) => void,
): KeyVerifier {
  return {
    async verify(key) {
      try {
        const body = node ? { key, node } : { key };
        const res = await client.call("POST", "/internal/keys/verify", body, VerifyKeyResponse);
        if (res) onVerified?.(res.publicId, res.recording);
        return res?.publicId ?? null;
      } catch (err) {
        if (err instanceof UpstreamError && (err.status === 403 || err.status === 409 || err.status === 400))
          return null;
        throw err;
      }
    },
  };
}
