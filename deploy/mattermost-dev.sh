#!/usr/bin/env bash
# mattermost-dev.sh — a real Mattermost server for development and integration tests.
#
#   deploy/mattermost-dev.sh start    build (once), start and provision; prints the env file path
#   deploy/mattermost-dev.sh stop     stop exactly what "start" started
#   deploy/mattermost-dev.sh status   is it running, where
#   deploy/mattermost-dev.sh reset    stop, then drop the database and the run dir
#
# Then: . "$(deploy/mattermost-dev.sh start)" && go test ./mattermost
#
# No Docker: the server (v6.7.2, the version of the Go client in go.mod) is built
# from the Go module zip into a cache folder named by version and reused; the
# database is Debian's PostgreSQL. Details go to $RUN/script.log; stdout stays short.
#
# Environment:
#   MM_PORT            port to listen on (default: 8065 when free, else a free one)
#   WAAKVLAM_MM_RUN    run dir with data, logs, pid and env file (default /tmp/waakvlam-mm)
#   WAAKVLAM_MM_DB     database and role name (default waakvlam_mm)
#   XDG_CACHE_HOME     build cache root (default ~/.cache)
set -Eeuo pipefail

MM_VERSION=6.7.2
MM_MODULE=github.com/mattermost/mattermost-server/v6
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/waakvlam/mattermost-$MM_VERSION"
RUN="${WAAKVLAM_MM_RUN:-/tmp/waakvlam-mm}"
DB="${WAAKVLAM_MM_DB:-waakvlam_mm}"
DB_PASS="$DB-dev-pass"
LOG="$RUN/script.log"
PIDFILE="$RUN/mattermost.pid"
ENVFILE="$RUN/env"
PG_MARK="$RUN/postgres-started-by-script"

TEAM=waakvlam
ADMIN_USER=mm-admin
ADMIN_PASS='Waakvlam-admin-1!'
BOT_USER=waakvlam-bot
COACHES=(coach-sanne coach-piet)
COACH_PASS='Waakvlam-coach-1!'

mkdir -p "$RUN"
touch "$LOG"

log() { printf '%s %s\n' "$(date '+%F %T')" "$*" >>"$LOG"; }
say() { printf '%s\n' "$*"; log "$*"; }
die() {
	printf 'mattermost-dev: %s (log: %s)\n' "$*" "$LOG" >&2
	log "ERROR: $*"
	exit 1
}
trap 'die "failed at line $LINENO: $BASH_COMMAND"' ERR

# as_root runs a command as root (directly, or through sudo). It may start
# daemons (apt's maintainer scripts, pg_ctlcluster), so it closes fd 9, the
# start/stop lock, which a daemon would otherwise hold for its whole life.
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@" 9>&-; else sudo "$@" 9>&-; fi
}

# as_postgres runs a command as the postgres OS user, from a dir it can read.
as_postgres() {
	if [ "$(id -u)" = 0 ]; then
		(cd /tmp && runuser -u postgres -- "$@")
	else
		(cd /tmp && sudo -u postgres "$@")
	fi
}

# apt_install installs Debian packages; it runs apt-get update only when the
# plain install fails (stale or empty package lists).
apt_install() {
	say "installing: $*"
	export DEBIAN_FRONTEND=noninteractive
	if ! as_root apt-get install -y --no-install-recommends "$@" >>"$LOG" 2>&1; then
		as_root apt-get update >>"$LOG" 2>&1
		as_root apt-get install -y --no-install-recommends "$@" >>"$LOG" 2>&1
	fi
}

ensure_tools() {
	local missing=()
	command -v curl >/dev/null || missing+=(curl ca-certificates)
	command -v jq >/dev/null || missing+=(jq)
	command -v flock >/dev/null || missing+=(util-linux)
	command -v pg_lsclusters >/dev/null || missing+=(postgresql)
	if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
	command -v go >/dev/null || die "go is not on PATH (needed once, to build the server)"
}

server_alive() {
	local pid
	[ -f "$PIDFILE" ] || return 1
	pid=$(cat "$PIDFILE")
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
	# The pid must still be our server, not a recycled pid.
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$CACHE/bin/mattermost")" ]
}

url() { echo "http://127.0.0.1:$(cat "$RUN/port")"; }

ping_ok() { curl -fsS --max-time 3 "$(url)/api/v4/system/ping" 2>/dev/null | grep -q '"OK"'; }

# ---------------------------------------------------------------- build

build_server() {
	if [ -x "$CACHE/bin/mattermost" ] && [ -d "$CACHE/src/i18n" ] && [ -d "$CACHE/src/templates" ]; then
		log "reusing build in $CACHE"
		return
	fi
	say "building Mattermost $MM_VERSION into $CACHE (once; a few minutes)"
	local t0 dir
	t0=$(date +%s)
	mkdir -p "$(dirname "$CACHE")"
	rm -rf "$CACHE.tmp"
	mkdir -p "$CACHE.tmp/bin"
	# Outside any module, so this project's go.mod and flags do not interfere.
	dir=$(cd "$CACHE.tmp" && GOFLAGS= GOWORK=off go mod download -json "$MM_MODULE@v$MM_VERSION" 2>>"$LOG" | jq -r .Dir)
	[ -d "$dir" ] || die "go mod download $MM_MODULE@v$MM_VERSION gave no source dir"
	cp -r "$dir" "$CACHE.tmp/src"
	chmod -R u+w "$CACHE.tmp/src"
	# -mod=mod: the zip's vendor/ is empty. -checklinkname=0: its old x/net
	# links to runtime internals that new Go refuses by default.
	(cd "$CACHE.tmp/src" && GOFLAGS="-mod=mod -buildvcs=false" GOWORK=off \
		go build -ldflags=-checklinkname=0 -o "$CACHE.tmp/bin/mattermost" ./cmd/mattermost) >>"$LOG" 2>&1 ||
		die "building the server failed"
	rm -rf "$CACHE"
	mv "$CACHE.tmp" "$CACHE"
	echo "$(($(date +%s) - t0))" >"$CACHE/build-seconds"
	say "built in $(cat "$CACHE/build-seconds")s"
}

# ---------------------------------------------------------------- postgres

PG_VER=
PG_PORT=

pg_cluster_line() { pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VER" '$1 == v && $2 == "main"'; }

ensure_postgres() {
	local before=absent
	if command -v pg_lsclusters >/dev/null; then
		if pg_lsclusters -h 2>/dev/null | awk '$2 == "main" && $4 == "online"' | grep -q .; then before=online; else before=down; fi
	fi
	command -v pg_lsclusters >/dev/null || apt_install postgresql
	PG_VER=$(ls /usr/lib/postgresql | sort -V | tail -1)
	[ -n "$PG_VER" ] || die "no PostgreSQL version under /usr/lib/postgresql"
	if [ -z "$(pg_cluster_line)" ]; then
		say "creating PostgreSQL $PG_VER cluster main"
		as_root pg_createcluster "$PG_VER" main >>"$LOG" 2>&1
	fi
	if ! pg_cluster_line | awk '$4 == "online"' | grep -q .; then
		say "starting PostgreSQL $PG_VER"
		as_root pg_ctlcluster "$PG_VER" main start >>"$LOG" 2>&1
		echo "$PG_VER" >"$PG_MARK"
	elif [ "$before" != online ] && [ ! -f "$PG_MARK" ]; then
		# Installed and started by this run (apt's maintainer script): ours too.
		echo "$PG_VER" >"$PG_MARK"
	fi
	PG_PORT=$(pg_cluster_line | awk '{print $3}')
	log "postgres $PG_VER on port $PG_PORT"

	if ! as_postgres psql -p "$PG_PORT" -tAc "SELECT 1 FROM pg_roles WHERE rolname='$DB'" | grep -q 1; then
		log "creating role $DB"
		as_postgres psql -p "$PG_PORT" -q -c "CREATE USER $DB WITH PASSWORD '$DB_PASS';" >>"$LOG" 2>&1
	fi
	if ! as_postgres psql -p "$PG_PORT" -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1; then
		log "creating database $DB"
		as_postgres psql -p "$PG_PORT" -q -c "CREATE DATABASE $DB OWNER $DB;" >>"$LOG" 2>&1
		as_postgres psql -p "$PG_PORT" -d "$DB" -q -c "GRANT ALL ON SCHEMA public TO $DB;" >>"$LOG" 2>&1
	fi
}

# ---------------------------------------------------------------- server

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
	if [ -n "${MM_PORT:-}" ]; then
		port_free "$MM_PORT" || die "MM_PORT $MM_PORT is in use"
		echo "$MM_PORT"
		return
	fi
	local p
	for p in 8065 $(shuf -i 20000-45000 -n 40); do
		if port_free "$p"; then
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

start_server() {
	local port t0 pid
	port=$(pick_port)
	echo "$port" >"$RUN/port"
	mkdir -p "$RUN/data" "$RUN/logs"
	t0=$(date +%s)
	say "starting Mattermost on $(url)"
	(
		cd "$CACHE/src" # it reads i18n/, templates/ and fonts/ from the working dir
		export MM_SQLSETTINGS_DRIVERNAME=postgres
		export MM_SQLSETTINGS_DATASOURCE="postgres://$DB:$DB_PASS@127.0.0.1:$PG_PORT/$DB?sslmode=disable&connect_timeout=10"
		export MM_SERVICESETTINGS_SITEURL="http://127.0.0.1:$port"
		export MM_SERVICESETTINGS_LISTENADDRESS="127.0.0.1:$port"
		export MM_SERVICESETTINGS_ENABLEBOTACCOUNTCREATION=true
		export MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS=true
		export MM_SERVICESETTINGS_ENABLEPOSTUSERNAMEOVERRIDE=true
		export MM_SERVICESETTINGS_ENABLEPOSTICONOVERRIDE=true
		export MM_SERVICESETTINGS_ENABLELINKPREVIEWS=false # no outgoing fetches of client links
		export MM_SERVICESETTINGS_ENABLECOMMANDS=true
		export MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS='127.0.0.1 localhost'
		export MM_SERVICESETTINGS_ENABLESECURITYFIXALERT=false
		export MM_TEAMSETTINGS_ENABLEOPENSERVER=true
		export MM_PLUGINSETTINGS_ENABLE=false
		export MM_PLUGINSETTINGS_ENABLEUPLOADS=false
		export MM_PLUGINSETTINGS_AUTOMATICPREPACKAGEDPLUGINS=false
		export MM_FILESETTINGS_DRIVERNAME=local
		export MM_FILESETTINGS_DIRECTORY="$RUN/data/"
		export MM_FILESETTINGS_MAXFILESIZE=52428800
		export MM_LOGSETTINGS_ENABLECONSOLE=true
		export MM_LOGSETTINGS_CONSOLELEVEL=ERROR
		export MM_LOGSETTINGS_FILELOCATION="$RUN/logs"
		export MM_NOTIFICATIONLOGSETTINGS_FILELOCATION="$RUN/logs"
		export MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS=false
		export MM_EMAILSETTINGS_REQUIREEMAILVERIFICATION=false
		export MM_RATELIMITSETTINGS_ENABLE=false
		export MM_LOGSETTINGS_ENABLEDIAGNOSTICS=false
		export MM_METRICSSETTINGS_ENABLE=false
		exec 9>&- # do not hand the start/stop lock to the server
		# A plain background command: $! is the server itself (no subshell in
		# between); setsid keeps it out of the caller's process group.
		exec setsid "$CACHE/bin/mattermost" server --config "$RUN/config.json" \
			>>"$RUN/logs/server-console.log" 2>&1 </dev/null
	) &
	pid=$!
	echo "$pid" >"$PIDFILE"
	log "server pid $pid"
	for _ in $(seq 1 240); do
		if ! [ -d "/proc/$pid" ]; then
			tail -n 20 "$RUN/logs/server-console.log" >&2 || true
			die "server exited during start"
		fi
		if ping_ok; then break; fi
		sleep 0.5
	done
	ping_ok || die "no ping from $(url) after 120 s"
	server_alive || die "pid $pid is not the server binary"
	echo "$(($(date +%s) - t0))" >"$RUN/start-seconds"
	say "ping OK after $(cat "$RUN/start-seconds")s"
}

# ---------------------------------------------------------------- provisioning

# api METHOD PATH [TOKEN] [JSON] — prints the body; the HTTP status goes to $RUN/.status.
api() {
	local method=$1 path=$2 token=${3:-} data=${4:-} args=()
	args=(-sS --max-time 30 -X "$method" -o "$RUN/.body" -w '%{http_code}' -H 'Content-Type: application/json')
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	[ -n "$data" ] && args+=(--data "$data")
	curl "${args[@]}" "$(url)/api/v4$path" >"$RUN/.status"
	log "$method $path -> $(cat "$RUN/.status")"
	cat "$RUN/.body"
}
status_code() { cat "$RUN/.status"; }
must() { # must CODE...: fail unless the last status is one of them
	local s
	s=$(status_code)
	for c in "$@"; do [ "$s" = "$c" ] && return 0; done
	die "unexpected HTTP $s: $(jq -r '.id // .message // empty' "$RUN/.body" 2>/dev/null)"
}

login() { # login USER PASS -> session token
	curl -sS --max-time 30 -D - -o /dev/null -H 'Content-Type: application/json' \
		--data "$(jq -nc --arg l "$1" --arg p "$2" '{login_id:$l,password:$p}')" \
		"$(url)/api/v4/users/login" | tr -d '\r' | awk -F': ' 'tolower($1) == "token" {print $2}'
}

ensure_user() { # ensure_user TOKEN USERNAME PASSWORD -> user id
	local body
	body=$(api GET "/users/username/$2" "$1")
	if [ "$(status_code)" = 200 ]; then
		jq -r .id <<<"$body"
		return
	fi
	body=$(api POST /users "$1" "$(jq -nc --arg u "$2" --arg p "$3" '{username:$u,password:$p,email:($u+"@waakvlam.test")}')")
	must 201
	jq -r .id <<<"$body"
}

new_token() { # new_token ADMIN_TOKEN USER_ID DESCRIPTION -> access token
	local body
	body=$(api POST "/users/$2/tokens" "$1" "$(jq -nc --arg d "$3" '{description:$d}')")
	must 200 201
	jq -r .token <<<"$body"
}

provision() {
	local admin_session admin_id admin_token team_id bot_id bot_token body i n id
	# The first user of a fresh database becomes system admin.
	body=$(api POST /users "" "$(jq -nc --arg u "$ADMIN_USER" --arg p "$ADMIN_PASS" '{username:$u,password:$p,email:($u+"@waakvlam.test")}')")
	log "admin create: $(status_code)"
	admin_session=$(login "$ADMIN_USER" "$ADMIN_PASS")
	[ -n "$admin_session" ] || die "admin login failed"
	admin_id=$(api GET /users/me "$admin_session" | jq -r .id)
	admin_token=$(new_token "$admin_session" "$admin_id" "waakvlam dev admin")

	body=$(api GET "/teams/name/$TEAM" "$admin_token")
	if [ "$(status_code)" != 200 ]; then
		body=$(api POST /teams "$admin_token" "$(jq -nc --arg n "$TEAM" '{name:$n,display_name:"Waakvlam",type:"I"}')")
		must 201
	fi
	team_id=$(jq -r .id <<<"$body")

	body=$(api GET "/users/username/$BOT_USER" "$admin_token")
	if [ "$(status_code)" = 200 ]; then
		bot_id=$(jq -r .id <<<"$body")
	else
		body=$(api POST /bots "$admin_token" "$(jq -nc --arg u "$BOT_USER" '{username:$u,display_name:"Waakvlam",description:"Waakvlam bridge (dev)"}')")
		must 201
		bot_id=$(jq -r .user_id <<<"$body")
	fi
	# System admin role: posting ephemeral messages and registering slash
	# commands need permissions that only admins have by default.
	api PUT "/users/$bot_id/roles" "$admin_token" '{"roles":"system_user system_admin"}' >/dev/null
	must 200
	bot_token=$(new_token "$admin_token" "$bot_id" "waakvlam dev bot")
	for id in "$admin_id" "$bot_id"; do
		api POST "/teams/$team_id/members" "$admin_token" "$(jq -nc --arg t "$team_id" --arg u "$id" '{team_id:$t,user_id:$u}')" >/dev/null
		must 200 201
	done

	{
		echo "# written by deploy/mattermost-dev.sh at $(date '+%F %T'); server pid $(cat "$PIDFILE")"
		echo "export WAAKVLAM_MATTERMOST_URL=$(url)"
		echo "export WAAKVLAM_MATTERMOST_TOKEN=$bot_token"
		echo "export WAAKVLAM_MATTERMOST_TEAM=$TEAM"
		echo "export WAAKVLAM_MM_BOT_USERNAME=$BOT_USER"
		echo "export WAAKVLAM_MM_ADMIN_TOKEN=$admin_token"
		echo "export WAAKVLAM_MM_ADMIN_USERNAME=$ADMIN_USER"
		echo "export WAAKVLAM_MM_ADMIN_PASSWORD='$ADMIN_PASS'"
	} >"$ENVFILE.tmp"
	n=0
	for i in "${COACHES[@]}"; do
		n=$((n + 1))
		id=$(ensure_user "$admin_token" "$i" "$COACH_PASS")
		api PUT "/users/$id/roles" "$admin_token" '{"roles":"system_user system_user_access_token"}' >/dev/null
		must 200
		api POST "/teams/$team_id/members" "$admin_token" "$(jq -nc --arg t "$team_id" --arg u "$id" '{team_id:$t,user_id:$u}')" >/dev/null
		must 200 201
		{
			echo "export WAAKVLAM_MM_COACH${n}_USERNAME=$i"
			echo "export WAAKVLAM_MM_COACH${n}_PASSWORD='$COACH_PASS'"
			echo "export WAAKVLAM_MM_COACH${n}_TOKEN=$(new_token "$admin_token" "$id" "waakvlam dev coach")"
		} >>"$ENVFILE.tmp"
	done
	chmod 600 "$ENVFILE.tmp"
	mv "$ENVFILE.tmp" "$ENVFILE"
	rm -f "$RUN/.body" "$RUN/.status"
	log "provisioned team $team_id, bot $bot_id"
}

# ---------------------------------------------------------------- commands

cmd_start() {
	ensure_tools
	exec 9>"$RUN/lock"
	flock 9 # one start/stop at a time per run dir
	if server_alive && [ -f "$ENVFILE" ] && ping_ok; then
		log "already running (pid $(cat "$PIDFILE"))"
		echo "$ENVFILE"
		return
	fi
	if server_alive; then # running but not answering or not provisioned: restart cleanly
		log "server alive but unhealthy or unprovisioned; restarting"
		stop_server
	fi
	rm -f "$ENVFILE"
	build_server
	ensure_postgres
	start_server
	provision
	echo "$ENVFILE"
}

stop_server() {
	local pid
	if server_alive; then
		pid=$(cat "$PIDFILE")
		say "stopping Mattermost (pid $pid)"
		kill -TERM "$pid"
		for _ in $(seq 1 60); do
			[ -d "/proc/$pid" ] || break
			sleep 0.5
		done
		if [ -d "/proc/$pid" ]; then
			log "pid $pid still alive after 30 s; killing"
			kill -KILL "$pid" || true
		fi
	fi
	rm -f "$PIDFILE" "$ENVFILE"
}

stop_postgres_if_ours() {
	if [ -f "$PG_MARK" ]; then
		local ver
		ver=$(cat "$PG_MARK")
		say "stopping PostgreSQL $ver (started by this script)"
		as_root pg_ctlcluster "$ver" main stop >>"$LOG" 2>&1 || log "pg_ctlcluster stop failed"
		rm -f "$PG_MARK"
	fi
}

cmd_stop() {
	exec 9>"$RUN/lock"
	flock 9
	stop_server
	stop_postgres_if_ours
	echo "stopped"
}

cmd_status() {
	if server_alive; then
		if ping_ok; then
			echo "running: $(url) (pid $(cat "$PIDFILE")); env: $ENVFILE"
		else
			echo "starting or unhealthy: $(url) (pid $(cat "$PIDFILE"))"
		fi
	else
		echo "stopped"
		trap - ERR
		exit 3
	fi
}

cmd_reset() {
	exec 9>"$RUN/lock"
	flock 9
	stop_server
	if command -v pg_lsclusters >/dev/null; then
		ensure_postgres # running (started for this when it was down) to drop the database
		as_postgres psql -p "$PG_PORT" -q -c "DROP DATABASE IF EXISTS $DB;" >>"$LOG" 2>&1
		stop_postgres_if_ours
	fi
	rm -rf "$RUN"
	echo "reset"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
reset) cmd_reset ;;
*)
	echo "usage: $0 start|stop|status|reset" >&2
	exit 2
	;;
esac
