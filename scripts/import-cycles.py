#!/usr/bin/env python3
"""Finds import circles between the files of a Rust crate.

An edge A -> B means a file A names an item of file B by an absolute or upward path:
`use crate::…`, `use super::…`, `use self::…`, or such a path written inline
(`crate::store::users::find`). A parent's own relative paths to its children
(`mod x;`, `use x::Y`, `x::f()`) are not edges: a module and the children it declares are
one unit, which may use each other (an axum router naming its handlers, which take the
module's state). What is refused are circles between siblings and across the tree. Every
strongly connected group of two or more files is one.

    scripts/import-cycles.py app/src server/src server/db/src server/provider/src

Exits 1 when any crate has a circle, and prints each circle's files.
"""

import os
import re
import sys

# Strings, char literals and comments in one pass, so a `//` inside "sqlite://…" is no
# comment and a quote inside a comment opens no string.
NOISE = re.compile(
    r'r(#*)"(?:.|\n)*?"\1'  # raw strings
    r'|"(?:\\.|[^"\\])*"'  # strings
    r"|'(?:\\.|[^'\\])'"  # char literals (not lifetimes)
    r"|//[^\n]*|/\*(?:.|\n)*?\*/"  # comments
)
USE = re.compile(r"\buse\s+([^;]+);")
INLINE_MOD = re.compile(r"\bmod\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{")
INLINE = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")


def modules(root):
    """Maps each module path (tuple of names) to its file."""
    found = {}
    for directory, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(directory, name)
            parts = os.path.relpath(path, root)[:-3].split(os.sep)
            if parts == ["main"] and os.path.exists(os.path.join(root, "lib.rs")):
                continue  # the binary is a crate of its own, using the library's paths
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            if parts and parts[0] == "bin":
                continue
            found[tuple(parts)] = path
    return found


def expand(tree):
    """`a::{b, c::{d, e}}` -> ["a::b", "a::c::d", "a::c::e"]."""
    tree = tree.strip()
    depth, start = 0, None
    for i, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                prefix, inner = tree[:start], tree[start + 1 : i]
                items, depth2, last = [], 0, 0
                for j, c in enumerate(inner):
                    if c == "{":
                        depth2 += 1
                    elif c == "}":
                        depth2 -= 1
                    elif c == "," and depth2 == 0:
                        items.append(inner[last:j])
                        last = j + 1
                items.append(inner[last:])
                out = []
                for item in items:
                    if item.strip():
                        out.extend(prefix + sub for sub in expand(item))
                return out
    return [tree.split(" as ")[0].strip()]


def resolve(path, here, mods):
    """The file a `crate::…`/`super::…`/`self::…` path names, or None."""
    names = [p for p in path.split("::") if p]
    if not names:
        return None
    if names[0] == "crate":
        base, names = [], names[1:]
    elif names[0] in ("super", "self"):
        base = list(here)
        while names and names[0] in ("super", "self"):
            if names[0] == "super" and base:
                base.pop()
            names = names[1:]
    else:
        return None
    full = base + names
    for cut in range(len(full), -1, -1):
        if tuple(full[:cut]) in mods:
            return mods[tuple(full[:cut])]
    return None


def inline_modules(text):
    """(start, end, name) of each `mod name { … }` written inside a file."""
    found = []
    for m in INLINE_MOD.finditer(text):
        depth, i = 0, m.end() - 1
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        found.append((m.end(), i, m.group(1)))
    return found


def inner_module(scopes, at):
    """The inline modules around position `at`, outermost first: `super` in a file's
    `mod tests { … }` is that file's module, not its parent."""
    return tuple(name for start, end, name in scopes if start <= at < end)


def graph(root):
    mods = modules(root)
    by_file = {path: key for key, path in mods.items()}
    edges = {path: set() for path in by_file}
    for path, key in by_file.items():
        with open(path, encoding="utf-8") as f:
            text = NOISE.sub(lambda m: '""' if m.group(0)[0] in "r\"'" else "", f.read())
        scopes = inline_modules(text)
        paths = [(m.start(), p) for m in USE.finditer(text) for p in expand(m.group(1))]
        paths += [(m.start(), m.group(1) + m.group(2)) for m in INLINE.finditer(text)]
        for at, p in paths:
            target = resolve(p, key + inner_module(scopes, at), mods)
            if target and target != path:
                edges[path].add(target)
    return edges



def circles(edges):
    """Tarjan's strongly connected components with more than one file."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main(roots):
    failed = False
    for root in roots:
        found = circles(graph(root))
        for group in found:
            failed = True
            print(f"circle in {root}: " + " <-> ".join(os.path.relpath(p, root) for p in group))
        if not found:
            print(f"{root}: no import circles")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["app/src", "server/src", "server/db/src", "server/provider/src"]))
