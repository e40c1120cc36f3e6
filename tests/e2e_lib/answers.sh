# shellcheck shell=bash
# What a right answer is: exactly what the kind's own command prints for
# the same body inside the kind's container (aspell -a for spell, the
# markdown container's PROC_COMMAND, cmark-gfm, for markdown).
#
# Needs http.sh and report.sh.

# write_spell_sample FILE: misspelt English, so that aspell -a has words to
# flag and suggest for, and a sound line, so that it has some to pass.
write_spell_sample() {
  cat >"$1" <<'TXT'
Helo wrold, this is a smal tset of the fifogate pipline.
The quick brown fox jumps over the lazy dog.
Definately recieve teh mesage before tomorow.
TXT
}

# expect_spell_output FILE: FILE is aspell -a's answer to the spell sample
# (a reference that is itself wrong would make every comparison moot).
expect_spell_output() {
  grep -q '^& Helo ' "$1" || fail "aspell -a output looks wrong: $(head -c 300 "$1")"
}

# expect_html_output FILE: FILE is cmark-gfm's answer to a markdown sample
# with a table, ~~strike~~ and raw <script>: the GFM extensions are on and
# raw HTML is not passed through.
expect_html_output() {
  if ! grep -q '<table>' "$1" || ! grep -q '<del>wrong</del>' "$1" || grep -qi '<script' "$1"; then
    fail "cmark-gfm output lacks a table or <del>, or keeps <script>: $(head -c 600 "$1")"
  fi
}

# expect_answer LABEL KIND BODY EXPECTED [quiet]: POST BODY to KIND ("" =
# the default kind, spell) answers 200 with exactly the bytes of EXPECTED,
# and a markdown answer is labelled text/html.  One pass unless quiet.
expect_answer() {
  local label=$1 kind=$2 body=$3 exp=$4 quiet=${5:-} path=/process${2:+/$2} cmd='aspell -a' code
  [ "$kind" = markdown ] && cmd=cmark-gfm
  code=$(post "$kind" "$body")
  [ "$code" = 200 ] || fail "$label: POST $path gave $code: $(head -c 300 "$WORK/body")"
  cmp -s "$WORK/body" "$exp" || {
    diff -u "$exp" "$WORK/body" | head -30
    fail "$label: POST $path differs from $cmd in the ${kind:-spell} container"
  }
  if [ "$kind" = markdown ]; then
    [ "$(cat "$WORK/ctype")" = 'text/html; charset=utf-8' ] ||
      fail "$label: POST $path has Content-Type '$(cat "$WORK/ctype")', want 'text/html; charset=utf-8'"
    [ "$quiet" = quiet ] || pass "$label: POST $path = $cmd output, text/html ($(wc -c <"$WORK/body") bytes)"
  else
    [ "$quiet" = quiet ] || pass "$label: POST $path = $cmd output ($(wc -c <"$WORK/body") bytes)"
  fi
}
