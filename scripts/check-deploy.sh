#!/usr/bin/env bash
# Checks the deployment files under deploy/ as far as a Debian machine can
# without a Docker engine, a Kubernetes cluster, a GPU or the network (Debian
# packages and the Go module proxy aside):
#
#   1. systemd units      systemd-analyze verify, in a throwaway --root tree
#                         holding a stand-in /usr/local/bin/docparse
#   2. YAML + manifests   go run ./scripts/checkyaml deploy: every YAML file
#                         parses; Kubernetes objects have apiVersion, kind,
#                         metadata.name; Deployments, ScaledObjects, the
#                         TriggerAuthentication, Service and PDB agree with
#                         each other and with the pipeline's streams/groups;
#                         compose services cover every stage
#   3. nginx              nginx -t on deploy/nginx/docparse.conf (the nginx
#                         binary is unpacked from Debian's package into a temp
#                         dir when nginx is not installed: no daemon starts)
#   4. Dockerfile         static checks (stages, user, entrypoint) only
#   5. docker compose     `docker compose config` only when it works here
#
# Exits non-zero only on real findings; every skip is printed with its reason.
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DEPLOY=$ROOT/deploy

failures=0
checked=()
skipped=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { checked+=("$1"); echo "PASS  $1"; }
fail() { failures=$((failures + 1)); echo "FAIL  $1"; }
skip() { skipped+=("$1"); echo "SKIP  $1"; }

apt_install() { # best effort; returns non-zero when the package cannot be had
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 && return 0
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}

# ---------------------------------------------------------------- 1. systemd
echo "== systemd units"
units=("$DEPLOY"/systemd/*.service)
if ! command -v systemd-analyze >/dev/null 2>&1; then
  apt_install systemd >/dev/null 2>&1 || true
fi
if ! command -v systemd-analyze >/dev/null 2>&1; then
  skip "systemd-analyze verify: systemd-analyze is not installed and could not be installed"
else
  # A root tree with the distribution's units (for sysinit.target,
  # network-online.target, ...), our units, and an executable stand-in for
  # /usr/local/bin/docparse: verify checks that ExecStart= is executable.
  r=$tmp/sysroot
  mkdir -p "$r/usr/local/bin" "$r/etc/systemd/system" "$r/usr/lib/systemd"
  if [ -d /usr/lib/systemd/system ]; then
    cp -a /usr/lib/systemd/system "$r/usr/lib/systemd/"
  elif [ -d /lib/systemd/system ]; then
    cp -a /lib/systemd/system "$r/usr/lib/systemd/"
  fi
  printf '#!/bin/sh\nexit 0\n' >"$r/usr/local/bin/docparse"
  chmod 0755 "$r/usr/local/bin/docparse"
  cp "${units[@]}" "$r/etc/systemd/system/"
  # Templates are verified through instances: one per stage and one
  # multi-stage instance that reads its stage list from an env file.
  names=()
  for u in "${units[@]}"; do
    b=$(basename "$u")
    case "$b" in
      *@.service)
        for inst in split classify ocr-deepseek ocr-nanonets assemble webhook cpu; do
          names+=("${b%@.service}@$inst.service")
        done
        ;;
      *) names+=("$b") ;;
    esac
  done
  out=$(systemd-analyze verify --root="$r" "${names[@]}" 2>&1)
  rc=$?
  if [ $rc -eq 0 ] && [ -z "$out" ]; then
    pass "systemd-analyze verify (systemd $(systemd-analyze --version | awk 'NR==1{print $2}')): ${names[*]}"
  elif printf '%s' "$out" | grep -qiE 'System has not been booted with systemd|Failed to (initialize|create) manager|Operation not permitted'; then
    skip "systemd-analyze verify cannot run in this environment: $(printf '%s' "$out" | head -1)"
  else
    fail "systemd-analyze verify (rc=$rc):"
    printf '%s\n' "$out" | sed 's/^/      /'
  fi
  # The hardening score, for information only.
  if sec=$(systemd-analyze security --offline=yes --root="$r" docparse-api.service 2>/dev/null | tail -1); then
    [ -n "$sec" ] && echo "      info: systemd-analyze security docparse-api.service: ${sec#→ }"
  fi
fi

# --------------------------------------------------- 2. YAML and manifests
echo "== YAML well-formedness, Kubernetes and compose consistency"
if ! command -v go >/dev/null 2>&1; then
  fail "go is not installed: cannot run scripts/checkyaml"
else
  if out=$(go run ./scripts/checkyaml deploy 2>&1); then
    printf '%s\n' "$out" | sed 's/^/      /'
    pass "scripts/checkyaml: $(printf '%s\n' "$out" | tail -1)"
  else
    printf '%s\n' "$out" | sed 's/^/      /'
    fail "scripts/checkyaml reported findings"
  fi
fi
skip "Kubernetes OpenAPI/CRD schema validation (kubeconform, kubectl --dry-run): needs schemas from the network or an API server"
if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  if out=$(kubectl kustomize "$DEPLOY/k8s" 2>&1 >/dev/null); then
    pass "kubectl kustomize deploy/k8s renders"
  else
    fail "kubectl kustomize deploy/k8s: $out"
  fi
else
  skip "kustomize build: kubectl is not installed (the resource list is checked by scripts/checkyaml instead)"
fi

# ----------------------------------------------------------------- 3. nginx
echo "== nginx"
nginx_bin=$(command -v nginx || true)
if [ -z "$nginx_bin" ] && command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; then
  # Unpack Debian's nginx binary instead of installing the package, so no
  # daemon is started and nothing is left behind.
  (cd "$tmp" && { apt-get download nginx >/dev/null 2>&1 \
     || { apt-get update -qq >/dev/null 2>&1 && apt-get download nginx >/dev/null 2>&1; }; }) || true
  deb=$(ls "$tmp"/nginx_*.deb 2>/dev/null | head -1)
  if [ -n "$deb" ] && dpkg-deb -x "$deb" "$tmp/nginx-pkg" 2>/dev/null && [ -x "$tmp/nginx-pkg/usr/sbin/nginx" ]; then
    nginx_bin=$tmp/nginx-pkg/usr/sbin/nginx
  fi
fi
if [ -z "$nginx_bin" ]; then
  skip "nginx -t: nginx is not installed and Debian's package could not be fetched"
else
  p=$tmp/nginx-prefix
  mkdir -p "$p/logs"
  cat >"$p/nginx.conf" <<EOF
events {}
http {
  client_body_temp_path $p/body;
  proxy_temp_path $p/proxy;
  fastcgi_temp_path $p/fastcgi;
  uwsgi_temp_path $p/uwsgi;
  scgi_temp_path $p/scgi;
  access_log $p/logs/access.log;
  include $DEPLOY/nginx/docparse.conf;
}
EOF
  if out=$("$nginx_bin" -t -q -p "$p/" -c "$p/nginx.conf" -g "pid $p/nginx.pid; error_log stderr;" 2>&1); then
    pass "nginx -t ($("$nginx_bin" -v 2>&1 | sed 's/.*: //')): deploy/nginx/docparse.conf inside a minimal http {} block"
  else
    fail "nginx -t deploy/nginx/docparse.conf:"
    printf '%s\n' "$out" | sed 's/^/      /'
  fi
fi

# ------------------------------------------------------------ 4. Dockerfile
echo "== Dockerfile (static)"
df=$DEPLOY/docker/Dockerfile
df_ok=1
need() { grep -qE "$1" "$df" || { fail "Dockerfile: $2"; df_ok=0; }; }
need '^FROM golang:\$\{GO_VERSION\}-\$\{DEBIAN_RELEASE\} AS build' "no golang builder stage"
need '^FROM debian:\$\{DEBIAN_RELEASE\}-slim' "no debian slim runtime stage"
need 'CGO_ENABLED=1' "cgo is not enabled (MuPDF needs it)"
need 'go build -trimpath -ldflags "-s -w" -o /out/docparse \./cmd/docparse' "build command differs"
need 'tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd' "tesseract packages missing"
need '^USER 10001' "does not run as uid 10001"
need '^EXPOSE 1233' "does not expose 1233"
need '^HEALTHCHECK ' "no HEALTHCHECK"
need '^ENTRYPOINT \[.*"docparse"\]' "ENTRYPOINT is not docparse"
need '^CMD \["api"\]' "CMD is not api"
[ -d "$ROOT/cmd/docparse" ] || { fail "Dockerfile builds ./cmd/docparse, which does not exist"; df_ok=0; }
[ $df_ok -eq 1 ] && pass "Dockerfile: multi-stage cgo build, tesseract runtime, uid 10001, healthcheck, entrypoint (static read only)"
skip "docker build: no Docker engine on this machine (the image is not built or run here)"

# -------------------------------------------------------- 5. docker compose
echo "== docker compose"
if docker compose version >/dev/null 2>&1; then
  if out=$(cd "$DEPLOY/docker" && docker compose --profile gpu --profile sim config -q 2>&1); then
    pass "docker compose config (profiles gpu and sim)"
  else
    fail "docker compose config: $out"
  fi
else
  skip "docker compose config: the compose plugin is not available (structure checked by scripts/checkyaml instead)"
fi
skip "GPU serving flags of the vLLM services: no GPU and no vLLM here; the flags follow vLLM's DeepSeek-OCR recipe but were not run"

# --------------------------------------------------------------- summary
echo
echo "== summary"
echo "checked: ${#checked[@]}"
for c in "${checked[@]}"; do echo "  + $c"; done
echo "skipped: ${#skipped[@]}"
for s in "${skipped[@]}"; do echo "  - $s"; done
if [ $failures -gt 0 ]; then
  echo "check-deploy: $failures finding(s)"
  exit 1
fi
echo "check-deploy: OK"
