#!/usr/bin/env bash
# Runs every Waakvlam test: formatting, vet, unit and end-to-end tests with
# the race detector against a real redis-server (each test binary starts
# its own on a free loopback port and stops it), and the Mattermost
# integration suite against a real Mattermost server that this script
# builds, starts and stops (set WAAKVLAM_SKIP_MATTERMOST=1 to leave it out).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
	if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/tmp/waakvlam-apt.log 2>&1; then
		as_root apt-get update -qq >>/tmp/waakvlam-apt.log 2>&1
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>/tmp/waakvlam-apt.log 2>&1
	fi
}

if ! command -v go >/dev/null; then
	echo "Go is needed (see go.mod for the version)." >&2
	exit 1
fi
if ! command -v redis-server >/dev/null; then
	say "installing redis-server"
	apt_install redis-server
fi
# Debian starts the packaged server; the tests use their own on free ports.

say "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "not gofmt'ed:"; echo "$unformatted"; exit 1
fi

say "go vet"
go vet ./...

say "go test -race"
go test -race -count=1 -timeout 15m ./...

# Every fuzz target for a bounded time (the run above only replays their
# seed corpora); a failing input is kept in the package's testdata/fuzz.
fuzztime="${WAAKVLAM_FUZZTIME:-15s}"
say "fuzz ($fuzztime per target)"
for f in $(grep -rl --include='*_test.go' '^func Fuzz' .); do
	for name in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$f"); do
		go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "./$(dirname "${f#./}")"
	done
done

if [ "${WAAKVLAM_SKIP_MATTERMOST:-0}" != 1 ] && [ -x deploy/mattermost-dev.sh ]; then
	say "Mattermost integration (real server)"
	export WAAKVLAM_MM_RUN="${WAAKVLAM_MM_RUN:-$(mktemp -d /tmp/waakvlam-mm.XXXXXX)}"
	trap 'deploy/mattermost-dev.sh stop >/dev/null 2>&1 || true' EXIT
	deploy/mattermost-dev.sh start
	# shellcheck disable=SC1091
	. "$WAAKVLAM_MM_RUN/env"
	go test -count=1 -timeout 10m -run 'Integration' -v ./mattermost/... ./coach/...
fi

say "all tests passed"
