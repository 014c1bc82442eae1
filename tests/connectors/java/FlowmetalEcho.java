// A Flowmetal connector in Java, with nothing but kafka-clients: the `echo` kind.
//
// It follows docs/connectors.md step by step: read the outbox in a consumer
// group (read_committed), skip records whose `flowmetal-kind` header names
// another kind, decode the Avro single-object Request by hand, and, in one
// transaction, produce each `response` Message to the task's inbox (keyed by
// task id, so Java's default partitioner puts it on the task's partition)
// together with the consumer offsets.
//
//   java -cp 'ops/kafka/.jars/*' tests/connectors/java/FlowmetalEcho.java \
//        localhost:9092 flowmetal. [kind] [stop-after-n-answers]
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

public class FlowmetalEcho {
    // Parsing Canonical Forms of schemas/request.v1.avsc and schemas/message.v2.avsc.
    static final String REQUEST_V1 = "{\"name\":\"flowmetal.Request\",\"type\":\"record\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"task_id\",\"type\":\"string\"},{\"name\":\"kind\",\"type\":\"string\"},{\"name\":\"payload\",\"type\":\"string\"},{\"name\":\"timeout\",\"type\":[\"null\",\"double\"]},{\"name\":\"retries\",\"type\":\"int\"}]}";
    static final String MESSAGE_V2 = "{\"name\":\"flowmetal.Message\",\"type\":\"record\",\"fields\":[{\"name\":\"task_id\",\"type\":\"string\"},{\"name\":\"kind\",\"type\":\"string\"},{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"request_id\",\"type\":[\"null\",\"string\"]},{\"name\":\"payload\",\"type\":\"string\"},{\"name\":\"sent_at_ms\",\"type\":[\"null\",\"long\"]}]}";

    // CRC-64-AVRO (the Avro specification's fingerprint), as 8 little-endian bytes.
    static byte[] fingerprint(String canonical) {
        long empty = 0xc15d213aa4d7a795L;
        long[] table = new long[256];
        for (int i = 0; i < 256; i++) {
            long fp = i;
            for (int j = 0; j < 8; j++) fp = (fp >>> 1) ^ (empty & -(fp & 1L));
            table[i] = fp;
        }
        long fp = empty;
        for (byte b : canonical.getBytes(StandardCharsets.UTF_8)) fp = (fp >>> 8) ^ table[(int) (fp ^ b) & 0xff];
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(fp).array();
    }

    // -- Avro binary: zig-zag varints, length-prefixed strings, unions as a branch index ----
    static final class Reader {
        final ByteBuffer buf;
        Reader(byte[] data, int offset) { buf = ByteBuffer.wrap(data, offset, data.length - offset).order(ByteOrder.LITTLE_ENDIAN); }
        long varlong() {
            long raw = 0; int shift = 0; int b;
            do { b = buf.get() & 0xff; raw |= (long) (b & 0x7f) << shift; shift += 7; } while ((b & 0x80) != 0);
            return (raw >>> 1) ^ -(raw & 1);
        }
        String string() {
            byte[] bytes = new byte[(int) varlong()];
            buf.get(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    static void varlong(ByteArrayOutputStream out, long value) {
        long zz = (value << 1) ^ (value >> 63);
        while ((zz & ~0x7fL) != 0) { out.write((int) ((zz & 0x7f) | 0x80)); zz >>>= 7; }
        out.write((int) zz);
    }

    static void string(ByteArrayOutputStream out, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        varlong(out, bytes.length);
        out.writeBytes(bytes);
    }

    record Request(String id, String taskId, String kind, String payload) {}

    static Request decodeRequest(byte[] value, byte[] fp) {
        if (value.length < 10 || (value[0] & 0xff) != 0xC3 || value[1] != 0x01)
            throw new IllegalArgumentException("not Avro single-object encoding");
        for (int i = 0; i < 8; i++)
            if (value[2 + i] != fp[i]) throw new IllegalArgumentException("unknown request schema version");
        Reader r = new Reader(value, 10);
        Request req = new Request(r.string(), r.string(), r.string(), r.string());
        if (r.varlong() == 1) r.buf.getDouble(); // timeout: ["null","double"]
        r.varlong(); // retries
        return req;
    }

    static byte[] encodeResponse(Request req, String payloadJson, byte[] fp) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xC3); out.write(0x01); out.writeBytes(fp);
        string(out, req.taskId());            // task_id
        string(out, "response");              // kind
        string(out, req.id() + ":response");  // id: deterministic
        varlong(out, 1); string(out, req.id()); // request_id: branch 1 = string
        string(out, payloadJson);             // payload: JSON text
        varlong(out, 1); varlong(out, System.currentTimeMillis()); // sent_at_ms: branch 1 = long
        return out.toByteArray();
    }

    public static void main(String[] args) {
        String bootstrap = args[0], prefix = args[1];
        String kind = args.length > 2 ? args[2] : "echo";
        int stopAfter = args.length > 3 ? Integer.parseInt(args[3]) : -1;
        byte[] requestFp = fingerprint(REQUEST_V1), messageFp = fingerprint(MESSAGE_V2);

        Properties c = new Properties();
        c.put("bootstrap.servers", bootstrap);
        c.put("group.id", prefix + "connector." + kind);
        c.put("isolation.level", "read_committed");
        c.put("enable.auto.commit", "false");
        c.put("auto.offset.reset", "earliest");
        c.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        c.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("transactional.id", prefix + "connector." + kind + ".java-1");
        p.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        p.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");

        int answered = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            consumer.subscribe(List.of(prefix + "outbox"));
            while (stopAfter < 0 || answered < stopAfter) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()) continue;
                producer.beginTransaction();
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> rec : records) {
                    offsets.put(new TopicPartition(rec.topic(), rec.partition()), new OffsetAndMetadata(rec.offset() + 1));
                    Header h = rec.headers().lastHeader("flowmetal-kind");
                    if (h == null || !kind.equals(new String(h.value(), StandardCharsets.UTF_8))) continue;
                    Request req;
                    try {
                        req = decodeRequest(rec.value(), requestFp);
                    } catch (RuntimeException e) { // a real connector writes a dead letter here
                        System.err.println("skipping undecodable record: " + e.getMessage());
                        continue;
                    }
                    String response = "{\"ok\":true,\"value\":" + req.payload() + "}";
                    var out = new ProducerRecord<>(prefix + "inbox", req.taskId().getBytes(StandardCharsets.UTF_8), encodeResponse(req, response, messageFp));
                    out.headers().add("flowmetal-kind", "response".getBytes(StandardCharsets.UTF_8));
                    producer.send(out);
                    answered++;
                }
                producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                producer.commitTransaction();
                System.out.println("answered " + answered);
            }
        }
    }
}
