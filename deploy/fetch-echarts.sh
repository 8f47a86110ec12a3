#!/usr/bin/env bash
# Put the pinned Apache ECharts build into api/static/vendor/echarts/ if it is not there.
# The dashboard serves it from our own static files: pages load nothing from the internet.
# Fetched from the npm registry with `npm pack` (which checks the package's integrity),
# then checked against the SHA-256 pinned below.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
version=6.1.0
sha256=b66b25aeb4df84e33199dc21694014d336d222cbd9deb0e5a7c14bd6aa0d0fd0
dest=$here/api/static/vendor/echarts

check() {
  echo "$sha256  $dest/echarts.min.js" | sha256sum --check --status
}

if [ -f "$dest/echarts.min.js" ] && check; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "api/static/vendor/echarts/echarts.min.js is missing and npm is not installed;" >&2
  echo "install Node.js/npm (Debian: apt-get install npm) and run make setup again." >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "echarts@$version" >/dev/null)
tar -xzf "$work/echarts-$version.tgz" -C "$work"
mkdir -p "$dest"
cp "$work/package/dist/echarts.min.js" "$dest/echarts.min.js"
cp "$work/package/LICENSE" "$dest/LICENSE"
cp "$work/package/NOTICE" "$dest/NOTICE"
cp "$work/package/licenses/LICENSE-d3" "$dest/LICENSE-d3"
echo "$version" > "$dest/VERSION"
if ! check; then
  echo "echarts@$version: dist/echarts.min.js does not match the pinned SHA-256" >&2
  rm -f "$dest/echarts.min.js"
  exit 1
fi
echo "Apache ECharts $version installed in api/static/vendor/echarts/"
