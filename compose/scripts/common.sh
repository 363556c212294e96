# shellcheck shell=bash
# Shared by the compose services' scripts (sourced, not run). Runs inside the Gitward image.
#
# IDENTITIES lists what the pki and rotator services provision, one ROLE:NAME:DIR per word: the
# identity's key and chain, the CA bundle, the CRL and the token file are published into DIR (a volume
# only that node mounts) the way kubelet projects a Secret, so nodes hot-reload them atomically.

PKI_DIR="${PKI_DIR:-/var/lib/gitward-pki}"
# What a node sees in its secrets volume; never a CA key.
PUBLISHED_FILES=(key.pem chain.pem roots.pem crl.pem tokens)

# Keys and tokens are created 0600 from the first byte; public files are chmod'ed explicitly.
umask 077

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) ${PROG:-gitward-compose}: $*"; }
die() { log "error: $*" >&2; exit 1; }

# Converts 90, 90s, 30m, 1h, 2d to seconds.
seconds_of() {
  local value="$1"
  [[ "$value" =~ ^([0-9]+)([smhd]?)$ ]] \
    || die "duration '$value' (expected: a number with an optional s, m, h or d, e.g. 60s or 1h)"
  local number=$(( 10#${BASH_REMATCH[1]} ))
  case "${BASH_REMATCH[2]}" in
    m) echo $(( number * 60 )) ;;
    h) echo $(( number * 3600 )) ;;
    d) echo $(( number * 86400 )) ;;
    *) echo "$number" ;;
  esac
}

# Serializes CA changes and publishing between the pki and rotator services (both may run at once
# after a `docker-compose up` re-runs pki).
lock_ca() {
  exec 8>"$PKI_DIR/.publish.lock"
  flock 8
}
unlock_ca() {
  flock -u 8
  exec 8>&-
}

# "role/name, role/name, ..." of IDENTITIES, for logs.
identity_names() {
  local entry role name rest names=()
  for entry in $IDENTITIES; do
    IFS=: read -r role name rest <<<"$entry"
    names+=("$role/$name")
  done
  local IFS=, joined
  joined="${names[*]}"
  echo "${joined//,/, }"
}

require_identities() {
  [ -n "${IDENTITIES:-}" ] || die "IDENTITIES is empty (expected: ROLE:NAME:DIR words, set in docker-compose.yml)"
  [ -n "${TRUST_DOMAIN:-}" ] || die "TRUST_DOMAIN is empty (set GITWARD_TRUST_DOMAIN in compose/.env)"
}

# The shared legacy token secret (phases 0-4): 32 random bytes as hex, created once.
ensure_token_file() {
  local file="$PKI_DIR/tokens"
  [ -s "$file" ] && return 0
  head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n' >"$file.tmp"
  echo >>"$file.tmp"
  mv -f "$file.tmp" "$file"
  log "created the shared token file (0600; secret not logged)"
}

# publish DIR ROLE NAME: installs the identity's current files into DIR in one atomic step. Files go
# into a new version directory ..<timestamp>; the ..data symlink is then swapped by rename(2), and
# DIR/<file> -> ..data/<file>. A reader resolving ..data sees either every old file or every new one:
# never a key without its chain. The previous version stays for readers still inside it.
publish() {
  local dir="$1" role="$2" name="$3"
  local src="$PKI_DIR/nodes/$role/$name"
  local version
  version="..$(date -u +%Y_%m_%d_%H_%M_%S.%N)"
  if [ ! -f "$src/key.pem" ] || [ ! -f "$src/chain.pem" ]; then
    die "no key/chain for $role/$name in $src"
  fi
  mkdir -p "$dir"
  mkdir "$dir/$version"
  install -m 0600 "$src/key.pem" "$dir/$version/key.pem"
  install -m 0644 "$src/chain.pem" "$dir/$version/chain.pem"
  install -m 0644 "$PKI_DIR/ca/roots.pem" "$dir/$version/roots.pem"
  install -m 0644 "$PKI_DIR/ca/crl.pem" "$dir/$version/crl.pem"
  install -m 0600 "$PKI_DIR/tokens" "$dir/$version/tokens"
  # Complete on disk before it becomes visible.
  sync "$dir/$version"/* "$dir/$version"
  ln -sfn "$version" "$dir/..data_tmp"
  mv -T "$dir/..data_tmp" "$dir/..data"
  local file
  for file in "${PUBLISHED_FILES[@]}"; do
    [ -L "$dir/$file" ] || ln -s "..data/$file" "$dir/$file"
  done
  prune_versions "$dir"
}

# Keeps the current and the previous version directory; a node mid-read of the previous one is fine.
prune_versions() {
  local dir="$1" versions=() current
  current="$(readlink "$dir/..data")"
  mapfile -t versions < <(find "$dir" -mindepth 1 -maxdepth 1 -type d -name '..[0-9]*' -printf '%f\n' | sort)
  local keep=2 count=${#versions[@]} i
  for (( i = 0; i < count - keep; i++ )); do
    [ "${versions[$i]}" = "$current" ] || rm -rf "${dir:?}/${versions[$i]}"
  done
}

# serial_of_json: the certificate serial from `gitward pki renew|issue --json` output on stdin.
serial_of_json() {
  sed -n 's/^ *"serial" *: *"\([0-9a-f]*\)".*/\1/p' | head -n 1
}
