# shellcheck shell=bash
# Requests to the web under test, on 127.0.0.1 only.
#
# Needs BASE (the web's URL), WORK (the test's scratch directory) and
# report.sh.  Every answer is kept in $WORK/body for the checks that follow.

# http METHOD PATH [curl args...]: prints the status code (or
# "curl-error:..."); body in $WORK/body, Content-Type in $WORK/ctype.
http() {
  local method=$1 path=$2
  shift 2
  curl -sS --noproxy '*' --max-time 60 -o "$WORK/body" -w '%{http_code}\n%{content_type}' -X "$method" "$@" \
    "$BASE$path" 2>"$WORK/curl.err" >"$WORK/status" ||
    { echo "curl-error:$(tr -d '\n' <"$WORK/curl.err")"; return 0; }
  sed -n 2p "$WORK/status" >"$WORK/ctype"
  head -1 "$WORK/status"
}

# probe URL: the status code of GET URL within 2 s; 000 when nothing
# answers (a port the test is about to use must give 000).
probe() { curl -s --noproxy '*' --max-time 2 -o /dev/null -w '%{http_code}' "$1" 2>/dev/null; }

# post KIND FILE: POST FILE to KIND ("" = the default kind, spell), with
# the Content-Type a client of that kind sends; prints the status code.
post() {
  local type='text/plain; charset=utf-8'
  [ "$1" = markdown ] && type='text/markdown; charset=utf-8'
  http POST "/process${1:+/$1}" -H "Content-Type: $type" --data-binary @"$2"
}

# metrics_workers SPELL MARKDOWN: GET /metrics counts SPELL live spell
# workers and MARKDOWN live markdown workers; otherwise prints what it
# counts (or the status) and returns 1.
metrics_workers() {
  local code
  code=$(http GET /metrics)
  [ "$code" = 200 ] || { echo "GET /metrics gave $code"; return 1; }
  grep -qx "fifogate_workers_live{processor=\"spell\"} $1" "$WORK/body" &&
    grep -qx "fifogate_workers_live{processor=\"markdown\"} $2" "$WORK/body" && return 0
  grep '^fifogate_workers_live' "$WORK/body" | tr '\n' ' '
  return 1
}
