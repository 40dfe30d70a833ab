import assert from "node:assert/strict";
import { basicAuthHeader, isAuthorized, parseBasicAuthUsers } from "./basic_auth.ts";

Deno.test("a user list parses; a password may hold colons", () => {
  const users = parseBasicAuthUsers(" alice:s3cret , bob:a:b:c ");
  assert.deepEqual(users.map((u) => u.username), ["alice", "bob"]);
  assert.ok(isAuthorized(users, basicAuthHeader("bob", "a:b:c")));
});

Deno.test("bad user lists name the entry, never its password", () => {
  assert.throws(() => parseBasicAuthUsers(""), /no user:password entries/);
  assert.throws(() => parseBasicAuthUsers("alice"), /entry number 1 is not user:password/);
  assert.throws(() => parseBasicAuthUsers("ok:x,:secret"), /entry number 2/);
  assert.throws(() => parseBasicAuthUsers("carol:"), /entry "carol"/);
  try {
    parseBasicAuthUsers(":topsecret");
  } catch (err) {
    assert.doesNotMatch((err as Error).message, /topsecret/);
  }
});

Deno.test("only the right user and password pass", () => {
  const users = parseBasicAuthUsers("alice:s3cret,bob:hunter2");
  assert.ok(isAuthorized(users, basicAuthHeader("alice", "s3cret")));
  assert.ok(isAuthorized(users, basicAuthHeader("bob", "hunter2")));
  assert.ok(isAuthorized(users, basicAuthHeader("bob", "hunter2").replace("Basic", "basic")));
  assert.ok(!isAuthorized(users, basicAuthHeader("alice", "hunter2")), "another user's password");
  assert.ok(!isAuthorized(users, basicAuthHeader("alice", "s3cre")));
  assert.ok(!isAuthorized(users, basicAuthHeader("mallory", "s3cret")));
  assert.ok(!isAuthorized(users, null));
  assert.ok(!isAuthorized(users, ""));
  assert.ok(!isAuthorized(users, "Bearer abc"));
  assert.ok(!isAuthorized(users, "Basic !!!"));
});
