import assert from "node:assert/strict";
import { parseStatusEvent, statusEvent, statusMessage } from "./status_event.ts";

const delivery = (orderId: string, key: string, status: string, at: number) =>
  statusEvent({ source: "delivery", orderId, key, status, at, detail: {} });

Deno.test("an event's id is the same every time the same change is published", () => {
  const e = delivery("o-1", "scheduled:o-1", "scheduled", 1);
  assert.equal(e.eventId, "delivery:o-1:scheduled:o-1");
  assert.deepEqual(statusMessage(e), { key: "o-1", value: JSON.stringify(e) });
});

Deno.test("what the writer writes the parser reads back; anything else says what is wrong", () => {
  const e = delivery("o-1", "scheduled:o-1", "scheduled", 1);
  assert.deepEqual(parseStatusEvent(statusMessage(e).value), e);
  assert.deepEqual(parseStatusEvent(new TextEncoder().encode(JSON.stringify(e))), e);
  const invalid = (v: string | null) => (parseStatusEvent(v) as { invalid: string }).invalid;
  assert.match(invalid("{x"), /not JSON/);
  assert.match(invalid("[]"), /not a JSON object/);
  assert.match(invalid(null), /empty/);
  assert.match(invalid(JSON.stringify({ ...e, eventId: 1 })), /eventId/);
  assert.match(invalid(JSON.stringify({ ...e, at: "now" })), /at/);
});
