import { randomLowerAlnumId } from "@hearth/server-kit";

/** A new video id: 16 characters of [a-z0-9] (the contract's VideoId), ~82 bits from the CSPRNG. */
export function newVideoId(): string {
  return randomLowerAlnumId(16);
}
