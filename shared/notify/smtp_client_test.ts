import assert from "node:assert/strict";
import { checkSmtpServer, dataSection, parseReply, replyFailure, sendMail } from "./smtp_client.ts";
import { PermanentFailure, TransientFailure } from "../retry/classify.ts";
import { type SinkEntry, startSmtpSink } from "../dev/smtp_sink.ts";

Deno.test("a reply is complete at its last line; continuation lines are kept", () => {
  assert.equal(parseReply("250-smtp.example\r\n250-SIZE"), undefined);
  const parsed = parseReply("250-smtp.example\r\n250 SIZE 100\r\n354 go\r\n");
  assert.deepEqual(parsed?.reply, { code: 250, lines: ["smtp.example", "SIZE 100"] });
  assert.equal(parsed?.rest, "354 go\r\n");
  assert.throws(() => parseReply("hello\r\n"), PermanentFailure);
});

Deno.test("DATA doubles a leading dot, ends lines in CRLF and ends with a dot line", () => {
  assert.equal(dataSection("a\n.b\n.\nc\n"), "a\r\n..b\r\n..\r\nc\r\n.\r\n");
});

Deno.test("4xx replies are transient, 5xx permanent, both naming the step", () => {
  const t = replyFailure("RCPT TO", { code: 451, lines: ["later"] });
  assert.ok(t instanceof TransientFailure);
  assert.equal(t.message, "RCPT TO: 451 later");
  assert.ok(replyFailure("RCPT TO", { code: 550, lines: ["no"] }) instanceof PermanentFailure);
});

Deno.test("sendMail delivers to the sink, which refuses .invalid and tempfails as told", async () => {
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  const sink = startSmtpSink({ port: 0, file, tempfail: ["later@example.com"], tempfailCount: 1 });
  const server = { host: "127.0.0.1", port: sink.port, heloName: "test.local" };
  try {
    const data = "Message-ID: <m-1@test>\r\nSubject: hi\r\n\r\nline one\r\n.dot line\r\n";
    await sendMail(server, { from: "shop@example.com", to: "ada@example.com", data });
    await assert.rejects(
      sendMail(server, { from: "shop@example.com", to: "x@nowhere.invalid", data }),
      PermanentFailure,
    );
    await assert.rejects(
      sendMail(server, { from: "shop@example.com", to: "later@example.com", data }),
      TransientFailure,
    );
    await sendMail(server, { from: "shop@example.com", to: "later@example.com", data });
  } finally {
    await sink.close();
  }
  const entries = (await Deno.readTextFile(file)).trim().split("\n").map((l) =>
    JSON.parse(l) as SinkEntry
  );
  await Deno.remove(file);
  assert.deepEqual(entries.map((e) => [e.kind, e.kind === "message" ? e.to : [e.to]]), [
    ["message", ["ada@example.com"]],
    ["refused", ["x@nowhere.invalid"]],
    ["refused", ["later@example.com"]],
    ["message", ["later@example.com"]],
  ]);
  const first = entries[0] as Extract<SinkEntry, { kind: "message" }>;
  assert.equal(first.messageId, "m-1@test");
  assert.equal(first.headers.subject, "hi");
  assert.equal(first.body, "line one\n.dot line");
});

Deno.test("checkSmtpServer: undefined when the server greets, the reason when nothing listens", async () => {
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  const sink = startSmtpSink({ port: 0, file });
  const port = sink.port;
  try {
    assert.equal(await checkSmtpServer({ host: "127.0.0.1", port, heloName: "t" }), undefined);
  } finally {
    await sink.close();
    await Deno.remove(file);
  }
  const down = await checkSmtpServer({ host: "127.0.0.1", port, heloName: "t" });
  assert.match(down ?? "", /^cannot connect: /);
});
