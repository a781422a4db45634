#!/usr/bin/env bash
# Builds FerretDB (a MongoDB wire-protocol server; here on its SQLite backend) for the
# MongoDB connector tests, from the Go module proxy. `go install` alone gives a binary
# that refuses to start, because the module zip lacks build/version/version.txt, so
# the module is copied, the version file written, and the binary built from the copy.
set -euo pipefail
VERSION="${FERRETDB_VERSION:-v1.24.2}"
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/bin/ferretdb"
command -v go >/dev/null || { echo "Go is needed to build FerretDB for the MongoDB tests; install Go 1.22 or newer." >&2; exit 1; }
if [[ -x "$OUT" ]] && "$OUT" --version 2>/dev/null | grep -q "${VERSION#v}"; then exit 0; fi
go mod download -x "github.com/FerretDB/FerretDB@$VERSION" >/dev/null 2>&1 || true
SRC="$(go env GOMODCACHE)/github.com/!ferret!d!b/!ferret!d!b@$VERSION"
[[ -d "$SRC" ]] || { (cd "$(mktemp -d)" && go mod init tmp >/dev/null 2>&1 && go get "github.com/FerretDB/FerretDB@$VERSION" >/dev/null 2>&1) || true; }
[[ -d "$SRC" ]] || { echo "Could not download github.com/FerretDB/FerretDB@$VERSION from the Go module proxy." >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp -r "$SRC/." "$WORK/"
chmod -R u+w "$WORK"
echo "$VERSION" > "$WORK/build/version/version.txt"
mkdir -p "$HERE/bin"
(cd "$WORK" && GOFLAGS=-mod=mod go build -o "$OUT" ./cmd/ferretdb)
echo "built $OUT"
