/**
 * HTTP basic authentication (RFC 7617) for our servers: the credential list
 * a server is started with, and the check of a request's `Authorization`
 * header against it. Pure, apart from hashing.
 *
 * The check compares SHA-256 digests with `timingSafeEqual` and always
 * walks the whole list, so neither the answer's timing nor its length says
 * how much of a user or password was right.
 *
 * @example
 * ```ts
 * import { basicAuthHeader, isAuthorized, parseBasicAuthUsers } from "./basic_auth.ts";
 * const users = parseBasicAuthUsers("alice:s3cret,bob:hunter2");
 * isAuthorized(users, basicAuthHeader("alice", "s3cret")); // true
 * isAuthorized(users, null); // false
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash, timingSafeEqual } from "node:crypto";

/** One accepted user; the password is kept only as a digest. */
export interface BasicAuthUser {
  readonly username: string;
  /** SHA-256 of `username:password`. */
  readonly digest: Uint8Array;
}

function sha256(text: string): Uint8Array {
  return createHash("sha256").update(text, "utf8").digest();
}

/** An accepted user from a user name and password. */
export function basicAuthUser(username: string, password: string): BasicAuthUser {
  return { username, digest: sha256(`${username}:${password}`) };
}

/**
 * Parses `user:password[,user2:password2]` (a password may hold `:` but not
 * `,`). Throws an `Error` saying which entry is wrong, without its password.
 */
export function parseBasicAuthUsers(list: string): BasicAuthUser[] {
  const users: BasicAuthUser[] = [];
  const entries = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(":");
    if (colon <= 0 || colon === entry.length - 1) {
      const who = colon > 0 ? `"${entry.slice(0, colon)}"` : `number ${i + 1}`;
      throw new Error(`entry ${who} is not user:password (both non-empty)`);
    }
    users.push(basicAuthUser(entry.slice(0, colon), entry.slice(colon + 1)));
  });
  if (users.length === 0) throw new Error("no user:password entries");
  return users;
}

/** The `Authorization` header value for a user and password. */
export function basicAuthHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

/** Whether an `Authorization` header carries the credentials of one of `users`. */
export function isAuthorized(
  users: readonly BasicAuthUser[],
  header: string | null | undefined,
): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m) return false;
  const given = sha256(Buffer.from(m[1], "base64").toString("utf8"));
  let ok = false;
  // No early exit: every entry costs the same, matched or not.
  for (const user of users) ok = timingSafeEqual(given, user.digest) || ok;
  return ok;
}
