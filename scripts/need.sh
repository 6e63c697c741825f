#!/usr/bin/env bash
# need.sh PROGRAM PACKAGE: make sure PROGRAM exists, installing Debian's PACKAGE with
# apt-get (as root, or through sudo) when it does not. Used by the Makefile for the
# tools the tests drive: chromium (browser journeys), nginx (the load balancer).
set -euo pipefail
program=$1
package=$2
if [ -x "$program" ]; then
    echo "need: $program is present"
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "need: $program is missing and this user cannot install it;" >&2
    echo "      as root run: apt-get update && apt-get install -y $package" >&2
    exit 1
fi
echo "need: installing Debian's $package with apt-get"
"${sudo[@]}" apt-get update
# policy-rc.d keeps packaged services (nginx on port 80) from starting in containers;
# elsewhere the service may start: the tests run their own nginx on other ports.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$package"
