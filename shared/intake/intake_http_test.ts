import assert from "node:assert/strict";
import { IntakeError, type OrderSink } from "./intake.ts";
import { createGatewayHandler, type GatewayOptions, isJsonContentType } from "./intake_http.ts";
import { MetricsRegistry } from "../platform/metrics.ts";
import type { RawOrder } from "../orders/model.ts";

/** An in-memory intake: records what it is given, or fails as told. */
function recorder(fail?: () => Error): OrderSink & { sent: RawOrder[][] } {
  const sent: RawOrder[][] = [];
  return {
    sent,
    send(orders) {
      if (fail) return Promise.reject(fail());
      sent.push([...orders]);
      return Promise.resolve();
    },
  };
}

const NOW = new Date("2024-06-18T12:34:56.000Z");

function gateway(intake: OrderSink, options: Partial<GatewayOptions> = {}) {
  let n = 0;
  return createGatewayHandler({
    intake,
    now: () => NOW,
    newOrderId: () => `ord-new-${++n}`,
    ...options,
  });
}

function order(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orderId: "ord-1",
    type: "inventory",
    customerId: "cust-7",
    items: [{ sku: "SKU-1001", quantity: 2, unitPrice: 24.99 }],
    createdAt: "2024-06-18T12:00:00Z",
    ...overrides,
  };
}

function post(body: BodyInit | null, headers: Record<string, string> = {}, path = "/orders") {
  return new Request(`http://gateway${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

const postJson = (value: unknown) => post(JSON.stringify(value));

Deno.test("one order: 202 with its id, sent as validated", async () => {
  const intake = recorder();
  const res = await gateway(intake)(postJson(order({ unknownField: 1 })));
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { accepted: 1, orderIds: ["ord-1"] });
  assert.equal(intake.sent.length, 1);
  const { unknownField: _, ...expected } = order({ unknownField: 1 });
  assert.deepEqual(intake.sent[0], [expected]);
});

Deno.test("a batch: 202 with every id, in one send; missing ids and times are filled", async () => {
  const intake = recorder();
  const { orderId: _, createdAt: __, ...bare } = order();
  const res = await gateway(intake)(
    postJson([order(), bare, order({ orderId: "ord-3", type: "return" })]),
  );
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), {
    accepted: 3,
    orderIds: ["ord-1", "ord-new-1", "ord-3"],
  });
  assert.equal(intake.sent.length, 1);
  assert.equal(intake.sent[0][1].createdAt, NOW.toISOString());
  assert.deepEqual(intake.sent[0].map((o) => o.orderId), ["ord-1", "ord-new-1", "ord-3"]);
});

Deno.test("the default id maker makes unique ord-<uuid> ids", async () => {
  const intake = recorder();
  const handler = createGatewayHandler({ intake });
  const { orderId: _, ...bare } = order();
  const res = await handler(postJson([bare, bare]));
  const { orderIds } = await res.json();
  assert.equal(res.status, 202);
  assert.match(orderIds[0], /^ord-[0-9a-f-]{36}$/);
  assert.notEqual(orderIds[0], orderIds[1]);
});

Deno.test("invalid orders: 400 naming each bad field with its index; nothing sent", async () => {
  const intake = recorder();
  const res = await gateway(intake)(postJson([
    order(),
    order({ orderId: "ord-2", customerId: "" }),
    order({
      orderId: "ord-3",
      items: [{ sku: "SKU-1001", quantity: -1, unitPrice: -2 }],
    }),
    "not an order",
    order(), // the same id as [0]
  ]));
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.match(body.error, /4 of 5 orders are invalid; none of the batch was accepted/);
  const paths = body.problems.map((p: { path: string }) => p.path);
  assert.deepEqual(paths, [
    "[1].customerId",
    "[2].items[0].quantity",
    "[2].items[0].unitPrice",
    "[3]",
    "[4].orderId",
  ]);
  assert.match(body.problems[1].message, /positive whole number, got -1/);
  assert.match(body.problems[4].message, /duplicates the orderId of \[0\]/);
  assert.deepEqual(intake.sent, [], "all or nothing: the valid order of the batch was not sent");
});

Deno.test("one invalid order: 400 with paths without an index", async () => {
  const intake = recorder();
  const res = await gateway(intake)(postJson(order({ type: "delivery", createdAt: "soon" })));
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error, "the order is invalid; it was not accepted");
  assert.deepEqual(body.problems.map((p: { path: string }) => p.path).sort(), [
    "createdAt",
    "delivery",
  ]);
  assert.deepEqual(intake.sent, []);
});

Deno.test('malformed JSON, an empty body, an empty batch: 400 at path ""', async () => {
  const handler = gateway(recorder());
  for (const body of ['{"orderId": ', "", "[]", "\xff"]) {
    const res = await handler(post(body === "\xff" ? new Uint8Array([0xff, 0xfe]) : body));
    assert.equal(res.status, 400, body);
    const json = await res.json();
    assert.equal(json.problems.length, 1);
    assert.equal(json.problems[0].path, "");
    if (body !== "[]") assert.match(json.error, /malformed JSON/);
  }
});

Deno.test("413 by Content-Length, by counting a chunked body, and for too many orders", async () => {
  const intake = recorder();
  const handler = gateway(intake, { maxBodyBytes: 1000, maxBatch: 3 });
  const big = JSON.stringify([order({ customerId: "x".repeat(2000) })]);

  // A declared length over the limit is refused before a byte is read.
  let read = 0;
  const unread = new ReadableStream<Uint8Array>({
    pull(controller) {
      read++;
      controller.enqueue(new TextEncoder().encode(big));
      controller.close();
    },
  }, { highWaterMark: 0 });
  const declared = await handler(post(unread, { "content-length": String(big.length) }));
  assert.equal(declared.status, 413);
  assert.match((await declared.json()).error, /larger than the limit of 1000 bytes/);
  assert.equal(read, 0, "the body was not read");

  // A stream has no Content-Length: the limit is enforced while reading.
  let pulled = 0;
  const chunked = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled++ < 100) controller.enqueue(new TextEncoder().encode(" ".repeat(100)));
      else controller.close();
    },
  });
  const req = post(chunked);
  assert.equal(req.headers.get("content-length"), null);
  const counted = await handler(req);
  assert.equal(counted.status, 413);
  assert.ok(pulled < 100, "reading stopped at the limit");

  const many = await handler(postJson([order(), order(), order(), order()]));
  assert.equal(many.status, 413);
  assert.match((await many.json()).error, /at most 3 orders, got 4/);
  assert.deepEqual(intake.sent, []);
});

Deno.test("415 for a body that is not JSON", async () => {
  const handler = gateway(recorder());
  for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
    const res = await handler(post(JSON.stringify(order()), { "content-type": type }));
    assert.equal(res.status, 415, type);
    assert.match((await res.json()).error, /application\/json/);
  }
  const none = await handler(new Request("http://gateway/orders", { method: "POST", body: "{}" }));
  // A string body gets text/plain from Request; a Blob without type gets none.
  assert.equal(none.status, 415);
  assert.ok(isJsonContentType("application/json; charset=utf-8"));
  assert.ok(isJsonContentType("Application/Vnd.Orders+JSON"));
  assert.ok(!isJsonContentType(null));
});

Deno.test("405 with Allow for a wrong method, 404 for an unknown path", async () => {
  const handler = gateway(recorder());
  const get = await handler(new Request("http://gateway/orders"));
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  const postHealth = await handler(post("{}", {}, "/healthz"));
  assert.equal(postHealth.status, 405);
  assert.equal(postHealth.headers.get("allow"), "GET");
  const missing = await handler(new Request("http://gateway/nope"));
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error, /no such path: \/nope/);
});

Deno.test("503 with Retry-After when the intake rejects; 413 when Kafka finds it too large", async () => {
  const down = gateway(
    recorder(() => new IntakeError("unavailable", "Kafka is not connected")),
    { retryAfterSeconds: 7 },
  );
  const res = await down(postJson(order()));
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "7");
  assert.match((await res.json()).error, /Kafka is not connected/);

  const plain = await gateway(recorder(() => new Error("boom")))(postJson(order()));
  assert.equal(plain.status, 503);
  await plain.body?.cancel();

  const large = await gateway(recorder(() => new IntakeError("too-large", "MESSAGE_TOO_LARGE")))(
    postJson(order()),
  );
  assert.equal(large.status, 413);
  await large.body?.cancel();
});

Deno.test("GET /healthz follows the intake's connection; GET /metrics counts requests", async () => {
  let up = false;
  const metrics = new MetricsRegistry();
  const handler = gateway(recorder(), { healthy: () => up, metrics });
  const down = await handler(new Request("http://gateway/healthz"));
  assert.equal(down.status, 503);
  assert.deepEqual(await down.json(), { ok: false, kafka: "unreachable" });
  up = true;
  const ok = await handler(new Request("http://gateway/healthz"));
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  await (await handler(postJson(order()))).body?.cancel();
  await (await handler(postJson(order({ type: 1 })))).body?.cancel();
  const res = await handler(new Request("http://gateway/metrics"));
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /text\/plain; version=0.0.4/);
  const text = await res.text();
  assert.match(text, /gateway_requests_total\{route="\/orders",status="202"\} 1/);
  assert.match(text, /gateway_requests_total\{route="\/orders",status="400"\} 1/);
  assert.match(text, /gateway_requests_total\{route="\/healthz",status="503"\} 1/);
  assert.match(text, /gateway_orders_rejected_total 1/);
});
