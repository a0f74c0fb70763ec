import { describe, expect, test } from "bun:test";
import { hmacIdentity } from "./identity.ts";

describe("hmacIdentity", () => {
  const signer = hmacIdentity("a-secret-of-some-length");

  test("a token it issued verifies to its user id", () => {
    const { userId, token } = signer.issue();
    expect(signer.verify(token)).toBe(userId);
  });

  test("a forged or foreign token does not verify", () => {
    const { userId, token } = signer.issue();
    expect(signer.verify(`${userId}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`)).toBeUndefined();
    expect(signer.verify(`${signer.issue().userId}.${token.split(".")[1]}`)).toBeUndefined();
    expect(hmacIdentity("another-secret-entirely").verify(token)).toBeUndefined();
    expect(signer.verify(undefined)).toBeUndefined();
    expect(signer.verify("nodot")).toBeUndefined();
  });
});
