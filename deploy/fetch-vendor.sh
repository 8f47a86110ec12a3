#!/usr/bin/env bash
# Put the pinned browser libraries into api/static/vendor/<name>/ if they are not there:
# Apache ECharts (the dashboard's charts), htmx (the forms of the workbench) and Swagger UI
# (the API documentation on /docs).
# The pages serve them from our own static files and load nothing from the internet.
# Each is fetched from the npm registry with `npm pack` (which checks the package's
# integrity), then checked against the SHA-256 pinned below.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

# vendor NAME PACKAGE VERSION SHA256 BUILD [EXTRA_FILE...]
#   BUILD is the file inside the package that the pages load; the extra files (licences,
#   notices) are copied beside it.
vendor() {
  local name=$1 package=$2 version=$3 sha256=$4 build=$5
  shift 5
  local dest=$here/api/static/vendor/$name
  local target
  target=$dest/$(basename "$build")
  if [ -f "$target" ] && echo "$sha256  $target" | sha256sum --check --status; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "api/static/vendor/$name/$(basename "$build") is missing and npm is not installed;" >&2
    echo "install Node.js/npm (Debian: apt-get install npm) and run make setup again." >&2
    exit 1
  fi
  local work
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null)
  tar -xzf "$work/$package-$version.tgz" -C "$work"
  if ! echo "$sha256  $work/package/$build" | sha256sum --check --status; then
    echo "$package@$version: $build does not match the pinned SHA-256" >&2
    rm -rf "$work"
    exit 1
  fi
  mkdir -p "$dest"
  cp "$work/package/$build" "$target"
  for extra in "$@"; do
    cp "$work/package/$extra" "$dest/$(basename "$extra")"
  done
  echo "$version" > "$dest/VERSION"
  rm -rf "$work"
  echo "$package $version installed in api/static/vendor/$name/"
}

vendor echarts echarts 6.1.0 \
  b66b25aeb4df84e33199dc21694014d336d222cbd9deb0e5a7c14bd6aa0d0fd0 \
  dist/echarts.min.js LICENSE NOTICE licenses/LICENSE-d3
vendor htmx htmx.org 2.0.11 \
  d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717 \
  dist/htmx.min.js LICENSE
vendor swagger-ui swagger-ui-dist 5.32.0 \
  d9bbb469128e88a974c78e76457c3910babb4649447d901af19a60335a09ee1e \
  swagger-ui-bundle.js LICENSE NOTICE
vendor swagger-ui swagger-ui-dist 5.32.0 \
  b024df29b02b4943bf95cb835fce9d19d4559c14e374b0dd36a89b27a223a2da \
  swagger-ui.css
