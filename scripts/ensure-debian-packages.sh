#!/usr/bin/env bash
# Installs the Debian packages crewchief's tests need when their commands are missing.
# Usage: ensure-debian-packages.sh COMMAND:PACKAGE [COMMAND:PACKAGE ...]
set -euo pipefail
missing=()
for pair in "$@"; do
    cmd="${pair%%:*}"
    pkg="${pair#*:}"
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
    command -v sudo >/dev/null 2>&1 || { echo "error: need root (or sudo) to install: ${missing[*]}" >&2; exit 2; }
else
    SUDO=
fi
echo "installing Debian packages: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
