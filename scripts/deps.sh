#!/usr/bin/env bash
# Installs what docparse needs on a Debian machine when it is missing:
# redis-server, Tesseract with its English and orientation data, and Chromium
# (headless, for the dashboard's browser test).
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
[ -e /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ] || [ -e /usr/share/tesseract-ocr/4.00/tessdata/eng.traineddata ] || need+=(tesseract-ocr-eng)
[ -e /usr/share/tesseract-ocr/5/tessdata/osd.traineddata ] || [ -e /usr/share/tesseract-ocr/4.00/tessdata/osd.traineddata ] || need+=(tesseract-ocr-osd)
command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-dejavu-core)
if [ "${#need[@]}" -eq 0 ]; then
  exit 0
fi
echo "installing: ${need[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
