#!/bin/sh
# Print the command of a Python the pinned requirements install on (3.11 to 3.13), for `make` to build .venv with:
# NumPy 2.4 and most pins need 3.11 (tests/test_setup.py checks every pin's Requires-Python against this range);
# TensorFlow 2.21 has no wheels for 3.14. It must also have venv's ensurepip (Debian and Ubuntu ship it apart).
# With an argument (make PYTHON=...), check only that one; else try python3, then python3.13 ... python3.11.
# If none fits, say so in one line on stderr and exit 1 (before anything is created).
MIN=11
MAX=13
if [ -n "$1" ]; then candidates="$1"; else candidates="python3 python3.13 python3.12 python3.11"; fi
OTHER="or run make PYTHON=/path/to/python3.12"
INSTALL="install one (e.g. python3.12 from python.org, 'apt install python3.12-venv' or 'brew install python@3.12'), $OTHER"
no_venv=""  # the first supported Python without ensurepip: the nearest to working, so it is named first
wrong=""    # else the first Python of another version
for py in $candidates; do
    version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
    minor=${version#3.}
    if [ "${version%%.*}" = 3 ] && [ "$minor" -ge "$MIN" ] 2>/dev/null && [ "$minor" -le "$MAX" ]; then
        if "$py" -c 'import ensurepip, venv' >/dev/null 2>&1; then
            echo "$py"
            exit 0
        fi
        [ -z "$no_venv" ] && no_venv="$py is Python $version without venv's ensurepip, which .venv needs: install it ('apt install python$version-venv' on Debian and Ubuntu), $OTHER"
    else
        [ -z "$wrong" ] && wrong="$py is Python $version, but this project needs Python 3.$MIN to 3.$MAX (NumPy 2.4 needs 3.$MIN; TensorFlow 2.21 has no wheels past 3.$MAX): $INSTALL"
    fi
done
echo "make: ${no_venv:-${wrong:-no Python found (tried: $candidates); this project needs Python 3.$MIN to 3.$MAX: $INSTALL}}" >&2
exit 1
