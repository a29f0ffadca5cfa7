#!/bin/sh
# Regenerates docs/configuration.md from `vigil --dump-config` (the keys,
# defaults and help all come from src/core/config.def).
#   usage: scripts/gen-config-doc.sh build/src/vigil > docs/configuration.md
set -eu
cat <<'HEAD'
# Configuration

vigil runs with built-in defaults; a YAML file given with `-c` overrides
them, and `--set key=value` (and `-l`, `-k`, `--runmode`) override the file.
Keys are written nested in YAML (`flow:` then `  memcap: 64mb`) or dotted
with `--set` (`--set flow.memcap=64mb`). An unknown key or a bad value is an
error that names the file and line. Sizes take `kb`, `mb`, `gb` (powers of
1024); times are seconds; booleans are `yes`/`no` (also true/false, on/off).

This table is generated from the program (`vigil --dump-config`); the test
suite fails if a key is missing here.

| key | default | meaning |
|---|---|---|
HEAD
"$1" --dump-config | sed -E -e 's/^([^ ]+) = .*    # (.*) \(default: ([^;]*); one of: (.*)\)$/| `\1` | `\3` | \2 (one of: \4) |/' -e 's/^([^ ]+) = .*    # (.*) \(default: (.*)\)$/| `\1` | `\3` | \2 |/'
cat <<'TAIL'

## Example

```yaml
%YAML 1.1
---
default-log-dir: /var/log/vigil
runmode: workers
threads: 2
flow:
  memcap: 64mb
  hash-size: 32768
flow-timeouts:
  tcp:
    established: 300
stream:
  midstream: yes
  reassembly:
    depth: 2mb
outputs:
  eve:
    filename: eve.json
    types:
      anomaly-decode: yes
```
TAIL
