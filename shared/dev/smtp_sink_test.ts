import assert from "node:assert/strict";
import { pathOf, recipientReply, splitMessage } from "./smtp_sink.ts";

Deno.test("recipients at .invalid are refused for good, tempfailed ones for a while", () => {
  assert.equal(recipientReply("a@example.com", 0, {}).code, 250);
  assert.equal(recipientReply("a@shop.invalid", 0, {}).code, 550);
  assert.equal(recipientReply("no-at-sign", 0, {}).code, 550);
  const options = { tempfail: ["t@example.com"], tempfailCount: 2 };
  assert.deepEqual(
    [0, 1, 2].map((n) => recipientReply("t@example.com", n, options).code),
    [451, 451, 250],
  );
});

Deno.test("a message's headers are unfolded and named in lower case; the body follows", () => {
  const { headers, body } = splitMessage(
    "Message-ID: <m@x>\r\nSubject: a\r\n  folded\r\n\r\nbody\r\nline",
  );
  assert.deepEqual(headers, { "message-id": "<m@x>", subject: "a folded" });
  assert.equal(body, "body\nline");
});

Deno.test("the path of MAIL FROM and RCPT TO is what is inside the angle brackets", () => {
  assert.equal(pathOf("<ada@example.com> SIZE=10"), "ada@example.com");
  assert.equal(pathOf("<>"), "");
  assert.equal(pathOf("ada@example.com"), undefined);
});
