#!/usr/bin/env python3
"""Lists the installed public headers of Loft's libraries, for the header
self-containment check (tests/unit/headers/meson.build).

  list_public_headers.py ROOT INCLUDE_DIR...
      prints one "include_dir<TAB>name" line per header (name as a program
      #includes it, e.g. "mailstore/storage/user.hpp"), sorted.
  list_public_headers.py ROOT INCLUDE_DIR... --expect LINE...
      fails when the headers on disk differ from the LINEs (the list made at
      configure time): a header added since would go unchecked.
"""
import pathlib
import sys

SUFFIXES = (".hpp", ".h")


def headers(root, include_dirs):
    found = []
    for include_dir in include_dirs:
        base = pathlib.Path(root) / include_dir
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            if path.is_file() and path.suffix in SUFFIXES:
                found.append(f"{include_dir}\t{path.relative_to(base).as_posix()}")
    return sorted(found)


def main(argv):
    expect = None
    if "--expect" in argv:
        at = argv.index("--expect")
        argv, expect = argv[:at], sorted(argv[at + 1:])
    now = headers(argv[1], argv[2:])
    if expect is not None:
        listed = expect
        if listed != now:
            added = sorted(set(now) - set(listed))
            removed = sorted(set(listed) - set(now))
            for line in added:
                print("not checked (added after configure):", line.replace("\t", "/"))
            for line in removed:
                print("gone since configure:", line.replace("\t", "/"))
            print("the public header list changed: run `meson setup --reconfigure <builddir>`"
                  " so every public header is compiled on its own")
            return 1
        print(f"{len(now)} public headers, all compiled on their own")
        return 0
    for line in now:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
