#!/usr/bin/env bash
# Prints the path of a Python interpreter of the given minor version (e.g. 3.13):
# python3.13 on PATH first, then any pyenv-installed 3.13.x.
set -euo pipefail
minor=${1:?usage: find-python.sh MAJOR.MINOR}
if command -v "python$minor" >/dev/null 2>&1 && "python$minor" -c '' >/dev/null 2>&1; then
  command -v "python$minor"
  exit 0
fi
if command -v pyenv >/dev/null 2>&1; then
  version=$(pyenv versions --bare 2>/dev/null | grep -E "^${minor//./\\.}\.[0-9]+$" | sort -V | tail -n 1 || true)
  if [ -n "$version" ]; then
    echo "$(pyenv root)/versions/$version/bin/python$minor"
    exit 0
  fi
fi
echo "find-python.sh: no Python $minor found (install it, or set PYTHON=/path/to/python$minor)" >&2
exit 1
