/*
 * The verify audit's reader: Apache Kafka's own Java consumer, so the audit
 * shares no code with the product's kafkajs layer (nor its patched
 * read_committed filter) and a bug there cannot hide itself.
 *
 * It reads the given topics with isolation.level=read_committed, assigned to
 * every partition (no consumer group: it needs no group ACL and commits
 * nothing), from the beginning or from given offsets, up to the end offsets
 * captured at start (for read_committed: the last stable offsets), and
 * prints one JSON line per record on stdout:
 *
 *   {"topic":"t","partition":0,"offset":42,"timestamp":1700000000000,"key":"<base64>|null",
 *    "value":"<base64>|null","headers":[{"key":"k","value":"<base64>|null"}]}
 *
 * then one last line with where each partition stopped, for the next read:
 *
 *   {"positions":[{"topic":"t","partition":0,"offset":43}]}
 *
 * Run with Java 17's source-file mode and the Kafka jars on the classpath:
 *
 *   java -cp '<kafka libs>/*' CommittedReader.java --bootstrap-server host:9092 \
 *     --topic orders-dlq [--topic ...] [--start topic:partition:offset ...] \
 *     [--properties client.properties] [--timeout-ms 60000]
 *
 * The properties file (or the same text in VERIFY_READER_PROPERTIES) carries what a secured cluster needs
 * (security.protocol, sasl.mechanism, sasl.jaas.config,
 * ssl.truststore.type=PEM, ssl.truststore.location). Errors go to stderr as
 * one line starting with "error: ", exit code 1; bad arguments exit 2.
 */

import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class CommittedReader {
  public static void main(String[] args) {
    String bootstrap = null;
    String propertiesFile = null;
    long timeoutMs = 60_000;
    List<String> topics = new ArrayList<>();
    Map<TopicPartition, Long> starts = new HashMap<>();
    try {
      for (int i = 0; i < args.length; i++) {
        String flag = args[i];
        if (i + 1 >= args.length) throw new IllegalArgumentException(flag + " needs a value");
        String value = args[++i];
        switch (flag) {
          case "--bootstrap-server" -> bootstrap = value;
          case "--topic" -> topics.add(value);
          case "--properties" -> propertiesFile = value;
          case "--timeout-ms" -> timeoutMs = Long.parseLong(value);
          case "--start" -> {
            // topic:partition:offset; topic names never contain ':' (Kafka forbids it).
            String[] parts = value.split(":");
            if (parts.length != 3) throw new IllegalArgumentException("--start takes topic:partition:offset");
            starts.put(new TopicPartition(parts[0], Integer.parseInt(parts[1])), Long.parseLong(parts[2]));
          }
          default -> throw new IllegalArgumentException("unknown flag " + flag);
        }
      }
      if (bootstrap == null) throw new IllegalArgumentException("--bootstrap-server is required");
      if (topics.isEmpty()) throw new IllegalArgumentException("at least one --topic is required");
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
    }
    System.setOut(System.err);
    try {
      System.exit(read(bootstrap, propertiesFile, topics, starts, timeoutMs));
    } catch (Exception e) {
      String message = e.getMessage() == null ? e.toString() : e.getMessage();
      Throwable cause = e.getCause();
      if (cause != null && cause.getMessage() != null) message += ": " + cause.getMessage();
      System.err.println("error: " + message.replace('\n', ' '));
      System.exit(1);
    }
  }

  static int read(String bootstrap, String propertiesFile, List<String> topics,
      Map<TopicPartition, Long> starts, long timeoutMs) throws IOException {
    Properties props = new Properties();
    if (propertiesFile != null) {
      try (InputStream in = new FileInputStream(propertiesFile)) {
        props.load(in);
      }
    }
    // The same settings as text in the environment: no file holding a password on disk.
    String fromEnv = System.getenv("VERIFY_READER_PROPERTIES");
    if (fromEnv != null) props.load(new java.io.StringReader(fromEnv));
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "verify-committed-reader");
    props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
    props.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(timeoutMs));
    ByteArrayDeserializer bytes = new ByteArrayDeserializer();
    // stdout is the records' alone: whatever logs (the client's log4j
    // console appender) is sent to stderr before it first looks.
    BufferedWriter out = new BufferedWriter(
        new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8),
        1 << 16);
    long deadline = System.currentTimeMillis() + timeoutMs;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, bytes, bytes)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofMillis(timeoutMs));
        if (infos == null || infos.isEmpty()) throw new IllegalStateException("no such topic: " + topic);
        for (PartitionInfo p : infos) partitions.add(new TopicPartition(p.topic(), p.partition()));
      }
      consumer.assign(partitions);
      List<TopicPartition> fromStart = new ArrayList<>();
      for (TopicPartition tp : partitions) {
        Long start = starts.get(tp);
        if (start == null) fromStart.add(tp);
        else consumer.seek(tp, start);
      }
      // Never with an empty list: that means every assigned partition.
      if (!fromStart.isEmpty()) consumer.seekToBeginning(fromStart);
      // Under read_committed these are the last stable offsets: nothing
      // beyond them is decided yet, so the next read picks it up.
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofMillis(timeoutMs));
      while (!done(consumer, ends)) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("timed out after " + timeoutMs + " ms before the end offsets");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.offset() >= ends.get(new TopicPartition(r.topic(), r.partition()))) continue;
          out.write(recordJson(r));
          out.write('\n');
        }
      }
      StringBuilder positions = new StringBuilder("{\"positions\":[");
      boolean first = true;
      for (TopicPartition tp : partitions) {
        if (!first) positions.append(',');
        first = false;
        // Where the next read starts: the end captured, not past it, so a
        // record skipped above (beyond the end) is read next time.
        long next = Math.min(consumer.position(tp), ends.get(tp));
        positions.append("{\"topic\":").append(quote(tp.topic()))
            .append(",\"partition\":").append(tp.partition())
            .append(",\"offset\":").append(next).append('}');
      }
      out.write(positions.append("]}\n").toString());
      out.flush();
    }
    return 0;
  }

  /** Whether every partition's position has reached its end offset. */
  static boolean done(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) return false;
    }
    return true;
  }

  static String recordJson(ConsumerRecord<byte[], byte[]> r) {
    StringBuilder b = new StringBuilder(256);
    b.append("{\"topic\":").append(quote(r.topic()))
        .append(",\"partition\":").append(r.partition())
        .append(",\"offset\":").append(r.offset())
        .append(",\"timestamp\":").append(r.timestamp())
        .append(",\"key\":").append(base64(r.key()))
        .append(",\"value\":").append(base64(r.value()))
        .append(",\"headers\":[");
    boolean first = true;
    for (Header h : r.headers()) {
      if (!first) b.append(',');
      first = false;
      b.append("{\"key\":").append(quote(h.key())).append(",\"value\":").append(base64(h.value())).append('}');
    }
    return b.append("]}").toString();
  }

  static String base64(byte[] bytes) {
    return bytes == null ? "null" : "\"" + Base64.getEncoder().encodeToString(bytes) + "\"";
  }

  /** A JSON string literal. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    return b.append('"').toString();
  }
}
