# shellcheck shell=bash
# Looks inside a running container, the same way on Docker and on podman.
#
# Needs the test's in_container NAME COMMAND...: runs COMMAND in the
# container NAME (docker exec, podman exec), passing its options through.

# isolated CONTAINER OTHER_KIND OWN_KIND: the container has no mount of the
# other kind's directory and no file in it, cannot open any of its FIFOs or
# locks, and has no FIFO outside its own kind's directory.  Prints what it
# found otherwise, and returns 1.
isolated() {
  # shellcheck disable=SC2016  # the script expands inside the container
  in_container "$1" sh -c '
    d=/run/fifogate/$1
    if grep -q " $d " /proc/self/mountinfo; then echo "$d is mounted"; exit 1; fi
    if [ -d "$d" ] && [ -n "$(ls -A "$d")" ]; then echo "$d holds: $(ls -A "$d" | tr "\n" " ")"; exit 1; fi
    for f in in out status lock lock.worker in.1 lock.1; do
      if (exec 3<>"$d/$f") 2>/dev/null; then echo "opened $d/$f"; exit 1; fi
    done
    if find /run/fifogate -type p | grep -v "^/run/fifogate/$2/"; then echo "FIFOs outside $2/"; exit 1; fi
    exit 0' isolated "$2" "$3" 2>&1
}

# aspell_running CONTAINER: an aspell process runs in the container now,
# i.e. a request reached the spell command and is being worked on.
aspell_running() {
  # shellcheck disable=SC2016  # the script expands inside the container
  in_container "$1" sh -c '
    for d in /proc/[0-9]*; do [ "$(cat "$d/comm" 2>/dev/null)" = aspell ] && exit 0; done
    exit 1' 2>/dev/null
}
