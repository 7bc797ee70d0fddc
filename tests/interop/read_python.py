#!/usr/bin/env python3
"""Read .env files with the pinned python-dotenv (see requirements.txt).

Prints, for each file, a JSON object mapping key -> hex of the value's UTF-8
bytes (null for a key without `=`). One FILE prints one object; several FILEs
print a JSON array of objects. Used by crates/coffer-dotenv/tests/interop.rs.
"""
import json
import sys

from dotenv import dotenv_values


def read_one(path):
    values = dotenv_values(path)
    return {k: (None if v is None else v.encode("utf-8").hex()) for k, v in values.items()}


def main(argv):
    if not argv:
        sys.stderr.write("usage: read_python.py FILE [FILE...]\n")
        return 2
    results = [read_one(p) for p in argv]
    json.dump(results[0] if len(argv) == 1 else results, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
