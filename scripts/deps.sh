#!/usr/bin/env bash
# Installs what docparse needs on a Debian machine when it is missing:
# redis-server and Tesseract with its English and orientation data; with the
# argument "test", also Chromium (headless, for the dashboard's browser test)
# and mupdf-tools (mutool joins the benchmark's PDFs and is the reference of
# docparse textlayer --compare).
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
[ -e /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ] || [ -e /usr/share/tesseract-ocr/4.00/tessdata/eng.traineddata ] || need+=(tesseract-ocr-eng)
[ -e /usr/share/tesseract-ocr/5/tessdata/osd.traineddata ] || [ -e /usr/share/tesseract-ocr/4.00/tessdata/osd.traineddata ] || need+=(tesseract-ocr-osd)
if [ "${1:-}" = "test" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-dejavu-core)
  command -v mutool >/dev/null 2>&1 || need+=(mupdf-tools)
fi
if [ "${#need[@]}" -eq 0 ]; then
  exit 0
fi
echo "installing: ${need[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
