#!/usr/bin/env bash
# Chromium and its WebDriver from Debian's packages, for the console's browser tests (tests/browser).
# Idempotent: does nothing when both are installed. Nothing is downloaded at test time: Selenium is given
# /usr/bin/chromedriver, so Selenium Manager never fetches a browser or a driver.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
echo "[browser] installing chromium and chromium-driver from Debian's packages"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
