#!/usr/bin/env bash
# Put the pinned Swagger UI build into api/static/vendor/swagger-ui/ if it is not there, so
# /docs renders with no internet. Fetched from the npm registry with `npm pack`, then checked
# against the SHA-256 sums pinned below.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
version=5.32.0
dest=$here/api/static/vendor/swagger-ui
sums="d9bbb469128e88a974c78e76457c3910babb4649447d901af19a60335a09ee1e  $dest/swagger-ui-bundle.js
b024df29b02b4943bf95cb835fce9d19d4559c14e374b0dd36a89b27a223a2da  $dest/swagger-ui.css"

check() {
  echo "$sums" | sha256sum --check --status
}

if [ -f "$dest/swagger-ui-bundle.js" ] && [ -f "$dest/swagger-ui.css" ] && check; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "api/static/vendor/swagger-ui/ is incomplete and npm is not installed;" >&2
  echo "install Node.js/npm (Debian: apt-get install npm) and run make setup again." >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "swagger-ui-dist@$version" >/dev/null)
tar -xzf "$work/swagger-ui-dist-$version.tgz" -C "$work"
mkdir -p "$dest"
for file in swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE; do
  cp "$work/package/$file" "$dest/$file"
done
echo "$version" > "$dest/VERSION"
if ! check; then
  echo "swagger-ui-dist@$version does not match the pinned SHA-256 sums" >&2
  rm -f "$dest/swagger-ui-bundle.js" "$dest/swagger-ui.css"
  exit 1
fi
echo "Swagger UI $version installed in api/static/vendor/swagger-ui/"
