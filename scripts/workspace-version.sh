#!/usr/bin/env bash
# Prints the workspace's version ([workspace.package] version in Cargo.toml): the version of
# every crate, the app and both Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
if [ -z "$version" ]; then
  echo "no version in [workspace.package] of Cargo.toml" >&2
  exit 1
fi
echo "$version"
