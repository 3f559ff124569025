#!/usr/bin/env python3
"""Regenerates the *_python.* golden files of internal/layout with CPython.

The Go tests compare their output byte for byte with what Python's json.dumps
and re module produce here, which is what Medusa uses. Run from this
directory with python3 (3.10+); the output is deterministic (seeded).

    cd internal/layout/testdata && python3 gen_python.py
"""
import json
import random
import re

# --- documents written with json.dumps defaults, as Medusa writes them -------

def write(name, text):
    with open(name, "w", encoding="utf-8", newline="") as f:
        f.write(text)


PREFIX = "clusterA"
TD = "orders-5a1ff267ace03f128563cfae6103c65e"
manifest = [
    {"keyspace": "shop", "columnfamily": TD, "objects": [
        {"path": f"{PREFIX}/node1.example.com/data/shop/{TD}/nb-7-big-Data.db",
         "MD5": "3f6c2a3c1b7e4e8f9d2f0c5a6b7e8d9f-2", "size": 73400320},
        {"path": f"{PREFIX}/node1.example.com/data/shop/{TD}/.orders_by_user_idx/nb-7-big-Index.db",
         "MD5": "9e107d9d372bb6826bd81d3542a419d6", "size": 4096},
        {"path": f"{PREFIX}/node1.example.com/data/shop/{TD}/nb-6-big-Statistics.db",
         "MD5": None, "size": 0},
        {"path": f"{PREFIX}/node1.example.com/data/shop/{TD}/nb-8-big-Data.db",
         "MD5": "nMzYsy7lXvPB0GDMgz0pVg==", "size": 9007199254740993},
    ]},
    {"keyspace": "system_auth", "columnfamily": "roles-5bc52802de2535edaeab188eecebb090", "objects": []},
    {"keyspace": "k\u00e9y<&>/\"\\\t\x01\x7f\U0001F600",
     "columnfamily": "t\u2028\u2029\ufeff-00000000000000000000000000000000", "objects": [
        {"path": "clusterA/n\u00f6de/data/k/t/\u65e5\u672c.db", "MD5": "0x8DC1A2B3C4D5E6F", "size": 1}]},
]
write("manifest_python.json", json.dumps(manifest))

tokenmap_murmur3 = {
    "10.0.0.11": {"tokens": [-9223372036854775808, -3074457345618258603], "is_up": True, "rack": "rack1", "dc": "dc1"},
    "10.0.0.12": {"tokens": [-6148914691236517206, 0], "is_up": None, "rack": "rack2", "dc": "dc1"},
    "node3.example.com": {"tokens": [3074457345618258602, 9223372036854775807], "is_up": False, "rack": None, "dc": "d\u00e9"},
}
write("tokenmap_murmur3_python.json", json.dumps(tokenmap_murmur3))

tokenmap_random = {
    "127.0.0.1": {"tokens": [0, 56713727820156410577229101238628035242], "is_up": True, "rack": "r1", "dc": "dc1"},
    "127.0.0.2": {"tokens": [113427455640312821154458202477256070484, 2**127], "is_up": True, "rack": "r1", "dc": "dc1"},
}
write("tokenmap_random_python.json", json.dumps(tokenmap_random))

# Medusa < 0.x wrote neither rack nor dc; single-token clusters may hold a bare int.
tokenmap_legacy = {
    "node1": {"tokens": [-9223372036854775808], "is_up": True},
    "node2": {"tokens": 42, "is_up": True},
}
write("tokenmap_legacy_python.json", json.dumps(tokenmap_legacy))

write("server_version_python.json", json.dumps({"server_type": "cassandra", "release_version": "4.1.3"}))
write("server_version_dse_python.json", json.dumps({"server_type": "dse", "release_version": "6.8.50"}))

# --- string escaping, both ensure_ascii modes --------------------------------

strings = ["", "plain", "a/b", "<>&'", "\"\\", "\b\f\n\r\t", "".join(chr(c) for c in range(0x20)),
           "\x7f\x80\xff", "\u00e9\u00fc\u00df", "\u2028\u2029", "\ufeff\ufffd\uffff", "\U0001F600\U0010FFFF",
           "\u65e5\u672c\u8a9e", "mixed \u00e9 \U0001F4A9 / \\ \" end", "tab\tin\tname"]
write("pystrings_python.json", json.dumps(
    [[s, json.dumps(s), json.dumps(s, ensure_ascii=False)] for s in strings]))

# --- index key parsing, Medusa's rules (docs/bucket-format.md, Index) -----------

TS = re.compile('.*(started|finished)_(.*)_([0-9]+).timestamp$')
NAME = re.compile('.*(tokenmap|schema|manifest|differential|incremental)_(.*)$')


def remove_extension(s):
    for ext in ('.json', '.cql', '.txt', '.timestamp'):
        s = s.replace(ext, '')
    return s


def parse(key, prefix):
    parts = key.split('/')
    if len(parts) != (5 if prefix else 4):
        return None
    backup = parts[3] if prefix else parts[2]
    m = TS.match(key)
    if m is not None:
        return {"backup": backup, "fqdn": remove_extension(m.group(2)), "kind": m.group(1), "epoch": int(m.group(3))}
    m = NAME.match(key)
    if m is None:
        return None
    return {"backup": backup, "fqdn": remove_extension(m.group(2)), "kind": m.group(1), "epoch": 0}


fixed = [
    "tokenmap_node1.example.com.json", "schema_node1.example.com.cql", "started_node1.example.com_1700000000.timestamp",
    "differential_node1.example.com", "incremental_node1.example.com", "manifest_node1.example.com.json",
    "finished_node1.example.com_1700000123.timestamp", "tokenmap_my_host_name.json", "started_my_host_12_345.timestamp",
    "tokenmap_10.0.0.1.json", "started_10.0.0.1_0.timestamp", "tokenmap_.json", "tokenmap_", "schema_a_manifest_b.json",
    "started_started_x_5.timestamp", "finished_h_12Xtimestamp", "started_h_.timestamp", "started_h_1.timestampX",
    "tokenmap_host.json.example.json", "tokenmap_h.js.jsonon", "started_h_1.timestamp\n", "tokenmap_h\n",
    "tokenmap_h\nx.json", "other_file.json", "backup_name.txt", "tokenmap_n\u00f6de.json", "tokenmap_\U0001F600.json",
    "started_h_99999999999999999999.timestamp", "started_h_-1.timestamp", "manifest_h.cql.txt.timestamp",
    # removal order is observable: removing one extension can form another
    "tokenmap_h.tim.jsonestamp", "tokenmap_h.js.cqlon", "tokenmap_h.t.jsonxt", "started_h.tim.jsonestamp_1.timestamp",
]
cases = []
for prefix in ("", "clusterA"):
    p = prefix + "/" if prefix else ""
    for backup in ("202401011200", "backup.with.dots", "tokenmap_b", "started_b_1.timestamp"):
        for f in fixed:
            cases.append({"prefix": prefix, "key": f"{p}index/backup_index/{backup}/{f}"})
    cases += [{"prefix": prefix, "key": k} for k in (
        f"{p}index/backup_index/tokenmap_x.json", f"{p}index/backup_index/b/c/tokenmap_x.json",
        f"{p}index/backup_index//tokenmap_x.json", f"{p}index/backup_index_old/b/tokenmap_x.json")]

rng = random.Random(20240101)
frags = ["started_", "finished_", "tokenmap_", "schema_", "manifest_", "differential_", "incremental_", "_", "1",
         "23", ".json", ".timestamp", ".cql", ".txt", "a", "b.c", "/", "\n", "\u00e9", ".", "x", "-"]
for _ in range(600):
    prefix = rng.choice(["", "clusterA"])
    p = prefix + "/" if prefix else ""
    tail = "".join(rng.choice(frags) for _ in range(rng.randint(1, 8)))
    backup = "".join(rng.choice(frags[:7] + ["bk", "2024", ".", "_"]) for _ in range(rng.randint(1, 3)))
    cases.append({"prefix": prefix, "key": f"{p}index/backup_index/{backup}/{tail}"})

for c in cases:
    c["want"] = parse(c["key"], c["prefix"])
write("index_parse_python.json", json.dumps(cases, indent=1))

# --- format_bytes_str ----------------------------------------------------------


def format_bytes(value):
    for unit_shift, unit in enumerate(['B', 'KB', 'MB', 'GB', 'TB']):
        if value >> (unit_shift * 10) < 1024:
            break
    return '{:.2f} {}'.format(value / (1 << (unit_shift * 10)), unit)


values = [0, 1, 1023, 1024, 1025, 1536, 10 * 1024 - 1, 1048575, 1048576, 5 * 1024 ** 3 + 1, 1024 ** 4 - 1, 1024 ** 4,
          1024 ** 5, 1024 ** 5 * 3 + 12345, 2 ** 63 - 1, 123456789, 987654321012, 1029, 1034, 1039, 5 * 1024 + 5]
values += [rng.randrange(0, 2 ** 63) >> rng.randrange(0, 62) for _ in range(200)]
write("format_bytes_python.json", json.dumps([[v, format_bytes(v)] for v in values]))

# --- ClusterBackup JSON of the index fixture (see index_test.go) --------------
# Fixture: backup "b1" (nodes n1,n2 finished, n3 in tokenmap and missing),
# "b2" (complete, differential, non-ASCII node name).

b1 = {
    "name": "b1", "started": 1700000000, "finished": None, "backup_type": "full",
    "size": 300, "num_objects": 3, "completed_nodes": 1,
    "nodes": [{"fqdn": "n1.example.com", "started": 1700000000, "finished": 1700000100, "size": 300,
               "num_objects": 3, "server_type": "cassandra", "release_version": "4.1.3"}],
    "incomplete_nodes": 1,
    "incomplete_nodes_list": [{"fqdn": "n2_x.example.com", "started": 1700000005, "finished": None, "size": 0,
                               "num_objects": 0, "server_type": "cassandra", "release_version": "unknown"}],
    "missing_nodes": 1, "missing_nodes_list": ["n3.example.com"],
}
b2 = {
    "name": "b2.with.dots", "started": 1700086400, "finished": 1700086500, "backup_type": "differential",
    "size": 2048, "num_objects": 2, "completed_nodes": 2,
    "nodes": [{"fqdn": "n1.example.com", "started": 1700086400, "finished": 1700086450, "size": 1024,
               "num_objects": 1, "server_type": "dse", "release_version": "6.8.50"},
              {"fqdn": "n\u00f6de2", "started": 1700086410, "finished": 1700086500, "size": 1024,
               "num_objects": 1, "server_type": "cassandra", "release_version": "4.1.3"}],
    "incomplete_nodes": 0, "incomplete_nodes_list": [], "missing_nodes": 0, "missing_nodes_list": [],
}
write("status_b1_python.json", json.dumps(b1, ensure_ascii=False, sort_keys=True) + "\n")
write("list_backups_python.json", json.dumps([b1, b2], ensure_ascii=False, sort_keys=True) + "\n")
