#!/usr/bin/python3
"""Rebuilds wordnet-3.0-glosses.tsv.gz from Debian's wordnet-base package (WordNet 3.0, licence in LICENSE-WordNet.txt).

    apt-get download wordnet-base && dpkg -x wordnet-base_*.deb x
    python3 examples/Word2Vec/data/extract.py x/usr/share/wordnet examples/Word2Vec/data/wordnet-3.0-glosses.tsv.gz

One line per synset of data.noun, data.verb, data.adj, data.adv (lines starting with two spaces are the licence
header): "ss_type TAB lemma lemma ... TAB gloss". An adjective lemma's syntactic marker such as "(a)" is removed.
The output is gzip level 9 without a name or timestamp; it decompresses to exactly the shipped file's text (the shipped
file was compressed with `gzip -9 -n`, so the compressed bytes may differ).
"""
import gzip
import os
import sys


def main(source, target):
    lines = []
    for pos in ["noun", "verb", "adj", "adv"]:
        with open(os.path.join(source, f"data.{pos}"), encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):
                    continue
                head, gloss = line.rstrip("\n").split(" | ", 1)
                fields = head.split()
                count = int(fields[3], 16)
                lemmas = [fields[4 + 2 * i].split("(")[0] for i in range(count)]
                lines.append(f"{fields[2]}\t{' '.join(lemmas)}\t{gloss.strip()}\n")
    with open(target, "wb") as out:
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0, filename="") as z:
            z.write("".join(lines).encode("utf-8"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
