#!/usr/bin/env python3
"""Rebuilds 1password-8.written-from-docs.1pux from the export.data JSON
beside it: a zip with export.attributes, export.data and an empty files/,
as 1Password's "About the 1Password Unencrypted Export format" article
describes it. Fixed timestamps, so the archive is the same on every run."""
import json
import pathlib
import zipfile

here = pathlib.Path(__file__).parent
data = (here / "1password-8.written-from-docs.export.data.json").read_bytes()
json.loads(data)  # must be JSON
attributes = json.dumps(
    {"version": 3, "description": "1Password Unencrypted Export", "createdAt": 1700001000},
    indent=1,
).encode()
when = (2023, 11, 14, 22, 30, 0)
with zipfile.ZipFile(here / "1password-8.written-from-docs.1pux", "w") as z:
    for name, content in [("export.attributes", attributes), ("export.data", data), ("files/", b"")]:
        info = zipfile.ZipInfo(name, date_time=when)
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, content)
