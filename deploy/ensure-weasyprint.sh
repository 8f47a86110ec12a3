#!/usr/bin/env bash
# Make sure the formal documents can be rendered to PDF: WeasyPrint's system libraries
# (Pango, HarfBuzz) and a CJK font for the Chinese text, installing Debian's packages
# when they are missing and we are root.
#   stderr: what was done, or what is missing and how to install it;
#   exit 1 when something is still missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-$here/.venv/bin/python}

# shared library (as ldconfig names it) -> the Debian package that ships it
declare -A libraries=(
  [libpango-1.0.so.0]=libpango-1.0-0
  [libpangoft2-1.0.so.0]=libpangoft2-1.0-0
  [libharfbuzz.so.0]=libharfbuzz0b
  [libharfbuzz-subset.so.0]=libharfbuzz-subset0
  [libfontconfig.so.1]=libfontconfig1
)

has_library() {
  ldconfig -p 2>/dev/null | grep -q "^[[:space:]]*$1 "
}

has_cjk_font() {
  command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]
}

packages=()
for library in "${!libraries[@]}"; do
  has_library "$library" || packages+=("${libraries[$library]}")
done
has_cjk_font || packages+=(fonts-noto-cjk fontconfig)

if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${packages[*]} for the documents' PDFs" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >&2
  else
    echo "documents: missing ${packages[*]}; install them as root" \
      "(apt-get install ${packages[*]}) or run this script as root." >&2
    exit 1
  fi
fi

if ! has_cjk_font; then
  echo "documents: no font covers Chinese (fc-list :lang=zh is empty)." >&2
  exit 1
fi
if [ -x "$py" ] && ! "$py" -c "import weasyprint" 2>/dev/null; then
  echo "documents: WeasyPrint does not load; $("$py" -c 'import weasyprint' 2>&1 | tail -n 1)" >&2
  exit 1
fi
