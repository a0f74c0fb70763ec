import { VerifyKeyResponse } from "@hearth/contracts";
import { type InternalClient, UpstreamError } from "@hearth/server-kit";

/** Checks a stream's private id against a public id (the chat's only need from the manager). */
export interface KeyVerifier {
  /** true: `key` is the private id of the open stream `publicId`; false: it is not. Throws when unsure. */
  verify(key: string, publicId: string): Promise<boolean>;
}

/** Asks the manager: `POST /internal/keys/verify` answers 200 for a match, 403 for anything else. */
export function managerKeyVerifier(client: InternalClient): KeyVerifier {
  return {
    async verify(key, publicId) {
      try {
        const r = await client.call("POST", "/internal/keys/verify", { key, publicId }, VerifyKeyResponse);
        return r?.publicId === publicId;
      } catch (err) {
        if (err instanceof UpstreamError && err.status === 403) return false;
        throw err;
      }
    },
  };
}
