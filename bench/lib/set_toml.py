#!/usr/bin/env python3
"""Set KEY = VALUE in [SECTION] of a trustmon.toml written by `trustmonctl init`, in place.

Policy: the file `init` writes shows every setting, some as commented-out defaults
(`# key = value`). The first active or commented line for KEY inside [SECTION] is
replaced by an active one; if there is none, the line is added right after the
section header, and a missing section is appended. VALUE is written as given (TOML
syntax: quote strings yourself). Only plain `[section]` tables are handled, which is
all the benchmark needs.

Usage: set_toml.py FILE SECTION KEY VALUE
"""
import re
import sys


def set_key(text, section, key, value):
    lines = text.split("\n")
    header = re.compile(r"^\s*\[\s*%s\s*\]\s*(#.*)?$" % re.escape(section))
    any_header = re.compile(r"^\s*\[")
    keyline = re.compile(r"^\s*#?\s*%s\s*=" % re.escape(key))
    start = next((i for i, l in enumerate(lines) if header.match(l)), None)
    new = "%s = %s" % (key, value)
    if start is None:
        if lines and lines[-1] == "":
            lines.pop()
        lines += ["", "[%s]" % section, new, ""]
        return "\n".join(lines)
    end = next((i for i in range(start + 1, len(lines)) if any_header.match(lines[i])), len(lines))
    for i in range(start + 1, end):
        if keyline.match(lines[i]):
            lines[i] = new
            return "\n".join(lines)
    lines.insert(start + 1, new)
    return "\n".join(lines)


def main():
    if len(sys.argv) != 5:
        sys.stderr.write("usage: set_toml.py FILE SECTION KEY VALUE\n")
        return 2
    path, section, key, value = sys.argv[1:]
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(set_key(text, section, key, value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
