#!/usr/bin/env python3
"""Follow streaming-lstm's prediction topic from Python and print each prediction.

Reads with confluent-kafka and decodes with avro, using the project's own schema files: every value is Avro's
single-object encoding (the marker C3 01, the writer schema's 8-byte CRC-64-AVRO fingerprint, little-endian, then
the binary record). The writer schema is found among the released versions of Prediction by its fingerprint and
read into the current one, as the Java consumers do. See README.md beside this file.
"""

import argparse
import glob
import io
import json
import os
import re
import sys

import avro.errors
import avro.io
import avro.schema
from confluent_kafka import Consumer, KafkaError, TopicPartition

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "..", "proto-schemas", "src", "main")
MARKER = b"\xc3\x01"
HEADER_BYTES = 10


def crc64_avro_table():
    """The table of Avro's 64-bit Rabin fingerprint (the Avro specification, "Schema Fingerprints")."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp & 0xFFFFFFFFFFFFFFFF)
    return empty, table


EMPTY, TABLE = crc64_avro_table()


PRIMITIVE_OBJECT = re.compile(r'\{"type":"(null|boolean|int|long|float|double|bytes|string)"\}')


def canonical_form(schema):
    """The parsing canonical form. avro 1.11 keeps a logical type's primitive as {"type":"long"}; the
    specification (and Java) strip it to "long"."""
    return PRIMITIVE_OBJECT.sub(r'"\1"', schema.canonical_form)


def fingerprint(schema):
    """CRC-64-AVRO of the schema's parsing canonical form, as the 8 little-endian bytes of the value header."""
    fp = EMPTY
    for byte in canonical_form(schema).encode("utf-8"):
        fp = (fp >> 8) ^ TABLE[(fp ^ byte) & 0xFF]
    return fp.to_bytes(8, "little")


def load(path):
    with open(path, encoding="utf-8") as f:
        return avro.schema.parse(f.read())


def writer_schemas(schemas_dir):
    """Every released Prediction schema and the current one, by fingerprint."""
    paths = glob.glob(os.path.join(schemas_dir, "resources", "dev", "streaminglstm", "schema", "history",
                                   "Prediction", "v*.avsc"))
    paths.append(os.path.join(schemas_dir, "avro", "Prediction.avsc"))
    return {fingerprint(s): s for s in map(load, paths)}


def decode(value, writers, reader):
    """The prediction in a value, as a dict; ValueError when the value is not one."""
    if value is None or len(value) < HEADER_BYTES or value[:2] != MARKER:
        raise ValueError("not Avro single-object encoded")
    writer = writers.get(value[2:HEADER_BYTES])
    if writer is None:
        raise ValueError("unknown schema fingerprint " + value[2:HEADER_BYTES].hex())
    decoder = avro.io.BinaryDecoder(io.BytesIO(value[HEADER_BYTES:]))
    return avro.io.DatumReader(writer, reader).read(decoder)


def line(p):
    """One readable line, as `streaming-lstm tail` prints it."""
    head = "%s #%d" % (p["streamId"], p["sequenceNumber"])
    if p["status"] == "NO_MODEL" or p["modelVersion"] is None:
        return head + "  (no model published yet)"
    top = "  ".join("'%s' %.1f%%" % (t["display"], 100.0 * t["probability"]) for t in p["topK"])
    surprise = "-" if p["surpriseBits"] is None else "%.2f bits" % p["surpriseBits"]
    return "%s  v%d  %s  -> %s  surprise %s" % (head, p["modelVersion"], top, json.dumps(p["continuation"], ensure_ascii=False),
                                               surprise)


def main():
    parser = argparse.ArgumentParser(description="Print streaming-lstm predictions from Kafka.")
    parser.add_argument("--bootstrap-servers", default="localhost:9092", help="default: %(default)s")
    parser.add_argument("--topic", default="predictions", help="default: %(default)s")
    parser.add_argument("--from-beginning", action="store_true", help="start at the oldest record kept")
    parser.add_argument("--max", type=int, help="stop after this many predictions")
    parser.add_argument("--json", action="store_true", help="one JSON object per line, with the record's offset")
    parser.add_argument("--schemas", default=SCHEMAS, help="proto-schemas/src/main of the project")
    args = parser.parse_args()

    reader = load(os.path.join(args.schemas, "avro", "Prediction.avsc"))
    writers = writer_schemas(args.schemas)
    consumer = Consumer({"bootstrap.servers": args.bootstrap_servers, "group.id": "python-predictions",
                         "enable.auto.commit": False, "isolation.level": "read_committed"})
    metadata = consumer.list_topics(args.topic, timeout=30)
    partitions = metadata.topics[args.topic].partitions
    if not partitions:
        sys.exit("no topic %s at %s" % (args.topic, args.bootstrap_servers))
    start = -2 if args.from_beginning else -1  # OFFSET_BEGINNING, OFFSET_END
    consumer.assign([TopicPartition(args.topic, p, start) for p in partitions])

    printed = skipped = 0
    try:
        while args.max is None or printed < args.max:
            record = consumer.poll(1.0)
            if record is None:
                continue
            if record.error():
                if record.error().code() != KafkaError._PARTITION_EOF:
                    sys.exit("kafka: %s" % record.error())
                continue
            try:
                p = decode(record.value(), writers, reader)
            except (ValueError, EOFError, avro.errors.AvroException) as e:
                skipped += 1
                print("skipped offset %d: %s" % (record.offset(), e), file=sys.stderr)
                continue
            if args.json:
                print(json.dumps(dict(p, offset=record.offset(), partition=record.partition()), default=str),
                      flush=True)
            else:
                print(line(p), flush=True)
            printed += 1
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
        print("printed=%d skipped=%d" % (printed, skipped), file=sys.stderr)


if __name__ == "__main__":
    main()
