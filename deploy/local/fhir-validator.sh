#!/usr/bin/env bash
# The official HL7 FHIR validator for the tests, offline: its jars and the FHIR R4 core definitions from
# Maven Central (deploy/local/fhir-validator/pom.xml), and a small command-line wrapper
# (deploy/local/fhir-validator/ValidateR4.java) compiled against them. Installed into .local/fhir-validator
# (git-ignored). Idempotent: does nothing when the jars and the compiled wrapper are up to date.
#   deploy/local/fhir-validator.sh            install
#   deploy/local/fhir-validator.sh classpath  print the classpath to run ValidateR4 with
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
state="${LOCAL_STATE_DIR:-$root/.local}/fhir-validator"
libs="$state/libs"
classes="$state/classes"
pom="$here/fhir-validator/pom.xml"
source_file="$here/fhir-validator/ValidateR4.java"

log() { echo "[fhir-validator] $*" >&2; }

install() {
  if ! command -v javac >/dev/null || ! command -v mvn >/dev/null; then
    log "installing a Java 17 JDK and Maven from Debian's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
  fi
  # The jars are resolved again when the pom changes (a stamp holds the pom's digest).
  local digest; digest=$(sha256sum "$pom" | cut -d' ' -f1)
  if [ "$(cat "$libs/.pom.sha256" 2>/dev/null)" != "$digest" ]; then
    log "resolving the HL7 validator and the R4 core definitions from Maven Central ($pom)"
    rm -rf "$libs" && mkdir -p "$libs"
    mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime >&2
    echo "$digest" >"$libs/.pom.sha256"
    rm -rf "$classes"
  fi
  if [ ! -f "$classes/ValidateR4.class" ] || [ "$source_file" -nt "$classes/ValidateR4.class" ]; then
    log "compiling the wrapper"
    rm -rf "$classes" && mkdir -p "$classes"
    javac -nowarn -cp "$libs/*" -d "$classes" "$source_file"
  fi
}

classpath() { echo "$libs/*:$classes"; }

case "${1:-install}" in
  install) install ;;
  classpath) classpath ;;
  *) echo "usage: $0 [install|classpath]" >&2; exit 2 ;;
esac
