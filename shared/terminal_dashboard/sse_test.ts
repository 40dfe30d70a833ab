import assert from "node:assert/strict";
import { SseParser } from "./sse.ts";
import { sseEvent } from "../aggregate/stats_http.ts";

Deno.test("sse: the aggregator's events come out whole, however the bytes are split", () => {
  const text = "retry: 2000\n\n: no snapshot yet\n\n" + sseEvent("stats", { records: 1 }) +
    sseEvent("stats", { records: 2, name: "a: b" });
  for (let size = 1; size <= text.length; size += 7) {
    const parser = new SseParser();
    const events = [];
    for (let i = 0; i < text.length; i += size) {
      events.push(...parser.push(text.slice(i, i + size)));
    }
    assert.deepEqual(events.map((e) => [e.event, JSON.parse(e.data)]), [
      ["stats", { records: 1 }],
      ["stats", { records: 2, name: "a: b" }],
    ]);
    assert.equal(parser.retryMs, 2000);
  }
});

Deno.test("sse: CRLF and CR line ends, multi-line data, default event name, ids", () => {
  const parser = new SseParser();
  // A CR ends a line at once; the LF that may follow in the next chunk belongs to it.
  assert.deepEqual(parser.push("id: 7\r\ndata: one\r\ndata: two\r\n\r"), [
    { event: "message", data: "one\ntwo", id: "7" },
  ]);
  assert.deepEqual(parser.push("\nevent: x\rdata\r\r"), [{ event: "x", data: "", id: "7" }]);
  // A blank line with no data dispatches nothing; a bad retry is ignored.
  assert.deepEqual(parser.push("event: y\n\nretry: soon\n\n"), []);
  assert.equal(parser.retryMs, undefined);
});
