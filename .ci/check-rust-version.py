#!/usr/bin/env python3
"""Checks that the workspace's declared `rust-version` is true: at least the
`rust-version` of every locked dependency (all features of every member,
dev-dependencies included, since `cargo test` builds them too).

Run from the workspace root; prints the dependencies that need more and
exits 1 when the declared value is too low.
"""
import json
import subprocess
import sys


def version(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--all-features", "--locked"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    members = set(metadata["workspace_members"])
    declared = {
        p["name"]: p.get("rust_version")
        for p in metadata["packages"]
        if p["id"] in members
    }
    missing = sorted(name for name, rv in declared.items() if not rv)
    if missing:
        print(f"no rust-version declared by: {', '.join(missing)}")
        return 1
    lowest = min(version(rv) for rv in declared.values())
    too_new = sorted(
        (
            (version(p["rust_version"]), p["name"], p["version"])
            for p in metadata["packages"]
            if p["id"] not in members
            and p.get("rust_version")
            and version(p["rust_version"]) > lowest
        ),
        reverse=True,
    )
    shown = ".".join(str(n) for n in lowest)
    if too_new:
        print(f"rust-version {shown} is declared, but these locked dependencies need more:")
        for needed, name, ver in too_new:
            print(f"  {name} {ver}: rust-version {'.'.join(str(n) for n in needed)}")
        return 1
    newest = max(
        (version(p["rust_version"]), p["name"])
        for p in metadata["packages"]
        if p["id"] not in members and p.get("rust_version")
    )
    print(
        f"rust-version {shown} holds for all {len(metadata['packages']) - len(members)} locked "
        f"dependencies (the highest needed: {newest[1]}, {'.'.join(str(n) for n in newest[0])})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
