import assert from "node:assert/strict";
import {
  durabilityConfigEntries,
  renamed,
  replicationFactorFor,
  topicConfigEntries,
  TOPICS,
  type TopicSpec,
} from "./topics.ts";

const DAY = 24 * 60 * 60 * 1000;
const ALL: [string, TopicSpec][] = Object.entries(TOPICS);

/** A one-partition delete topic `t`, with `changes` made to it. */
function testTopic(changes: Partial<TopicSpec> = {}): TopicSpec {
  return {
    name: "t",
    partitions: 1,
    replication: 1,
    cleanup: "delete",
    purpose: "test",
    ...changes,
  };
}

Deno.test("topicConfigEntries for a delete topic: cleanup.policy and retention.ms", () => {
  assert.deepEqual(
    topicConfigEntries(testTopic({ partitions: 3, retentionMs: 3_600_000 })),
    [
      { name: "cleanup.policy", value: "delete" },
      { name: "retention.ms", value: "3600000" },
    ],
  );
});

Deno.test("topicConfigEntries for a compact topic: cleanup.policy only", () => {
  assert.deepEqual(
    topicConfigEntries(testTopic({ cleanup: "compact" })),
    [{ name: "cleanup.policy", value: "compact" }],
  );
});

Deno.test("topicConfigEntries without retention leaves the broker default", () => {
  const entries = topicConfigEntries(testTopic({ replication: -1 }));
  assert.deepEqual(entries, [{ name: "cleanup.policy", value: "delete" }]);
});

Deno.test("topicConfigEntries keeps retention.ms 0 and -1 (infinite) as given", () => {
  assert.deepEqual(topicConfigEntries(testTopic({ retentionMs: 0 }))[1], {
    name: "retention.ms",
    value: "0",
  });
  assert.deepEqual(topicConfigEntries(testTopic({ retentionMs: -1 }))[1], {
    name: "retention.ms",
    value: "-1",
  });
});

Deno.test("topicConfigEntries values are all strings, as the Kafka protocol wants", () => {
  for (const [key, spec] of ALL) {
    for (const entry of topicConfigEntries(spec)) {
      assert.equal(typeof entry.value, "string", `${key}: ${entry.name}`);
    }
  }
});

Deno.test("the declared topics map onto their Kafka configs", () => {
  assert.deepEqual(topicConfigEntries(TOPICS.orders), [
    { name: "cleanup.policy", value: "delete" },
    { name: "retention.ms", value: String(7 * DAY) },
  ]);
  assert.deepEqual(topicConfigEntries(TOPICS.orderStatus), [
    { name: "cleanup.policy", value: "delete" },
    { name: "retention.ms", value: String(30 * DAY) },
  ]);
  assert.deepEqual(topicConfigEntries(TOPICS.schemas), [
    { name: "cleanup.policy", value: "compact" },
  ]);
});

Deno.test("every TOPICS entry has at least one partition (a whole number)", () => {
  for (const [key, spec] of ALL) {
    assert.ok(Number.isInteger(spec.partitions) && spec.partitions >= 1, `${key}`);
  }
});

Deno.test("every TOPICS entry has a valid replication factor: -1 or at least 1", () => {
  for (const [key, spec] of ALL) {
    assert.ok(
      Number.isInteger(spec.replication) && (spec.replication === -1 || spec.replication >= 1),
      `${key}: ${spec.replication}`,
    );
  }
});

Deno.test("every TOPICS name is a legal Kafka topic name", () => {
  for (const [key, spec] of ALL) {
    assert.match(spec.name, /^[a-zA-Z0-9._-]+$/, key);
    assert.ok(spec.name.length <= 249, `${key} is too long`);
    assert.ok(spec.name !== "." && spec.name !== "..", `${key} is . or ..`);
  }
});

Deno.test("TOPICS names are unique, also after Kafka's . / _ folding", () => {
  const names = ALL.map(([, s]) => s.name);
  assert.equal(new Set(names).size, names.length, names.join(", "));
  // Kafka's metric names treat '.' and '_' alike, so "a.b" and "a_b" collide.
  const folded = names.map((n) => n.replaceAll(".", "_"));
  assert.equal(new Set(folded).size, names.length, names.join(", "));
});

Deno.test("every TOPICS entry is consistent: delete topics retain, compact ones do not", () => {
  for (const [key, spec] of ALL) {
    assert.ok(spec.cleanup === "delete" || spec.cleanup === "compact", key);
    if (spec.cleanup === "delete") {
      assert.ok(
        spec.retentionMs !== undefined && Number.isInteger(spec.retentionMs) &&
          spec.retentionMs > 0,
        `${key} needs a positive retentionMs`,
      );
    } else {
      assert.equal(spec.retentionMs, undefined, key);
    }
    assert.ok(spec.purpose.trim().length > 0, `${key} needs a purpose`);
  }
});

Deno.test("the schema registry topic is compacted with a single partition", () => {
  assert.equal(TOPICS.schemas.name, "_schemas");
  assert.equal(TOPICS.schemas.cleanup, "compact");
  assert.equal(TOPICS.schemas.partitions, 1);
});

Deno.test("renamed keeps every setting and changes only the name", () => {
  for (const [key, spec] of ALL) {
    const copy = renamed(spec, `test-${key}-1`);
    assert.equal(copy.name, `test-${key}-1`);
    assert.deepEqual({ ...copy, name: spec.name }, spec);
    assert.deepEqual(topicConfigEntries(copy), topicConfigEntries(spec));
  }
});

Deno.test("renamed returns a copy and leaves the original alone", () => {
  const copy = renamed(TOPICS.orders, "orders-test");
  assert.notEqual(copy, TOPICS.orders);
  copy.partitions = 99;
  assert.equal(TOPICS.orders.name, "orders");
  assert.equal(TOPICS.orders.partitions, 6);
});

Deno.test("replicationFactorFor: the spec's own, else the configured one, else min(3, brokers)", () => {
  assert.equal(replicationFactorFor({ replication: 2 }, 5), 2);
  assert.equal(replicationFactorFor({ replication: -1 }, 1), 1);
  assert.equal(replicationFactorFor({ replication: -1 }, 3), 3);
  assert.equal(replicationFactorFor({ replication: -1 }, 5), 3);
  assert.equal(replicationFactorFor({ replication: -1 }, 5, 2), 2);
  for (const spec of Object.values(TOPICS)) {
    assert.equal(spec.replication, -1, `${spec.name}: replication comes from the cluster`);
  }
});

Deno.test("durabilityConfigEntries: min.insync 2 from replication 2 on, never an unclean leader", () => {
  assert.deepEqual(durabilityConfigEntries(3), [
    { name: "min.insync.replicas", value: "2" },
    { name: "unclean.leader.election.enable", value: "false" },
  ]);
  assert.equal(durabilityConfigEntries(1)[0].value, "1");
});
