#!/usr/bin/env python3
"""Writes fortunes.tsv.gz, the extract examples/MiniBert ships, from Debian's fortunes packages.

    apt-get download fortunes fortunes-min && for f in fortunes*.deb; do dpkg -x "$f" x; done
    python3 extract.py x/usr/share/games/fortunes fortunes.tsv.gz

One line per fortune: the file it comes from, a tab, its text with each run of whitespace as one space.
Only fortunes of at most MAX_CHARS characters are kept (the model reads 48 words at most).
"""
import gzip
import os
import re
import sys

FILES = ["science", "politics", "computers",                      # the classification task's three classes
         "people", "definitions", "cookie", "work", "wisdom", "men-women", "miscellaneous",
         "platitudes", "literature", "humorists", "education", "law", "food", "love", "sports"]
MAX_CHARS = 300

source, target = sys.argv[1], sys.argv[2]
lines = []
for name in FILES:
    with open(os.path.join(source, name), encoding="utf-8", errors="replace") as f:
        for fortune in f.read().split("\n%\n"):
            text = re.sub(r"\s+", " ", fortune.replace("%", " ")).strip()
            if 0 < len(text) <= MAX_CHARS:
                lines.append(name + "\t" + text + "\n")
# mtime=0: the same input gives the same bytes.
with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
    f.write("".join(lines).encode("utf-8"))
print(len(lines), "fortunes")
