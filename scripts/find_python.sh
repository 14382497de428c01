#!/bin/sh
# Print the command of a Python that TensorFlow 2.21 supports (3.10 to 3.13), for `make` to build .venv with.
# With an argument (make PYTHON=...), check only that one; else try python3, then python3.13 ... python3.10.
# If none fits, say so in one line on stderr and exit 1 (before anything is created).
MIN=10
MAX=13
if [ -n "$1" ]; then candidates="$1"; else candidates="python3 python3.13 python3.12 python3.11 python3.10"; fi
found=""
for py in $candidates; do
    version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
    minor=${version#3.}
    if [ "${version%%.*}" = 3 ] && [ "$minor" -ge "$MIN" ] 2>/dev/null && [ "$minor" -le "$MAX" ]; then
        echo "$py"
        exit 0
    fi
    [ -z "$found" ] && found="$py is Python $version"
done
[ -z "$found" ] && found="no Python found (tried: $candidates)"
echo "make: $found, but TensorFlow 2.21 supports Python 3.$MIN to 3.$MAX: install one (e.g. python3.12 from python.org, 'apt install python3.12-venv' or 'brew install python@3.12'), or run make PYTHON=/path/to/python3.12" >&2
exit 1
