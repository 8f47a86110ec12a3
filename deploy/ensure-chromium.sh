#!/usr/bin/env bash
# Print the path of a headless-capable Chromium for the browser tests, installing Debian's
# `chromium` (and a CJK font, so Chinese pages render) when missing and we are root.
#   stdout: the executable's path, or nothing when none is available;
#   stderr: what was done, or why the browser tests will be skipped.
# Playwright drives this system Chromium; its own browser download is not used.
set -euo pipefail

find_chromium() {
  for candidate in "${OVERSIGHT_CHROMIUM:-}" /usr/bin/chromium "$(command -v chromium 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  return 1
}

has_cjk_font() {
  command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]
}

packages=()
find_chromium >/dev/null || packages+=(chromium)
has_cjk_font || packages+=(fonts-noto-cjk)

if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${packages[*]} for the browser tests" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >&2
  else
    echo "browser tests: missing ${packages[*]}; install them as root" \
      "(apt-get install ${packages[*]}) or run this script as root." >&2
  fi
fi

if path=$(find_chromium); then
  echo "$path"
else
  echo "browser tests will be skipped: no Chromium found." >&2
fi
