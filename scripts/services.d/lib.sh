# shellcheck shell=bash disable=SC2034  # settings read by scripts/services
# Shared helpers for scripts/services (sourced, not executed).
# Expects ROOT and LOCAL to be set by the caller.

HOST=127.0.0.1

# --- time -------------------------------------------------------------------------------------
now_us() { echo "${EPOCHREALTIME/./}"; }                      # wall clock in microseconds
secs_since() {                                                 # secs_since T0_US -> "1.23"
  local d=$(( $(now_us) - $1 ))
  printf '%d.%02d' $(( d / 1000000 )) $(( d / 10000 % 100 ))
}

# --- output -----------------------------------------------------------------------------------
say() { printf '%s\n' "$*" >&2; }                              # progress notes, to stderr
die() { printf 'services: %s\n' "$*" >&2; exit 1; }
is_root() { [[ $(id -u) -eq 0 ]]; }

# tail_logs FILE...: last 20 lines of each non-empty file, labelled.
tail_logs() {
  local f
  for f in "$@"; do
    [[ -s $f ]] || continue
    printf -- '--- last 20 lines of %s\n' "$f"
    tail -n 20 "$f"
  done
}

# --- processes ----------------------------------------------------------------------------------
# read_pid FILE: print the pid stored in FILE (first line), if it holds one.
read_pid() {
  local p
  [[ -r $1 ]] && read -r p <"$1" && [[ $p =~ ^[0-9]+$ ]] && echo "$p"
}

# pid_is PID PATTERN: the process exists and its command line contains PATTERN. The pattern check
# guards against a reused pid (after a reboot) and treats zombies (empty cmdline) as gone.
pid_is() {
  local cmd
  [[ -n $1 ]] && kill -0 "$1" 2>/dev/null || return 1
  cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$2"* ]]
}

# wait_gone PID PATTERN SECONDS: poll until the process has exited; 1 if still there at the deadline.
wait_gone() {
  local deadline=$(( $(now_us) + $3 * 1000000 ))
  while pid_is "$1" "$2"; do
    (( $(now_us) >= deadline )) && return 1
    sleep 0.1
  done
}

# term_then_kill PIDFILE PID PATTERN SECONDS: SIGTERM, wait, SIGKILL after the deadline; remove the
# pid file once the process is gone. Prints the outcome.
term_then_kill() {
  local pidfile=$1 pid=$2 pat=$3 secs=$4
  kill -TERM "$pid" 2>/dev/null
  if wait_gone "$pid" "$pat" "$secs"; then
    echo stopped
  else
    kill -KILL "$pid" 2>/dev/null
    wait_gone "$pid" "$pat" 10 || { echo "pid $pid survived SIGKILL"; return 1; }
    echo "killed (SIGKILL after ${secs}s)"
  fi
  rm -f "$pidfile"
}

# The snippet below, run by `bash -c`, closes every fd above 2 and then execs "$@": servers that
# outlive this script must hold neither our lock (fd 9) nor any pipe of whoever called us.
# shellcheck disable=SC2016
CLOSE_FDS='for fd in /proc/$$/fd/*; do fd=${fd##*/}; (( fd > 2 )) && eval "exec $fd>&-"; done'

# clean_exec CMD...: run CMD (in the foreground) with only fds 0-2 inherited.
clean_exec() { bash -c "$CLOSE_FDS"'; exec "$@"' _ "$@"; }

rotate_log() { [[ -s $1 ]] && mv -f "$1" "$1.1"; return 0; }   # keep the previous run's log as FILE.1

# launch PIDFILE LOGFILE CMD...: run CMD in a new session, detached from this script (it survives
# the script and the terminal), output appended to LOGFILE. The child writes its own pid and then
# execs CMD, so PIDFILE holds the real server pid. The previous run's log is kept as LOGFILE.1.
launch() {
  local pidfile=$1 logfile=$2 t0
  shift 2
  rm -f "$pidfile"
  rotate_log "$logfile"
  # shellcheck disable=SC2016  # $$ and $0 are for the inner shell
  setsid bash -c "$CLOSE_FDS"'; echo $$ >"$0.tmp" && mv -f "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$logfile" 2>&1 &
  t0=$(now_us)
  until [[ -s $pidfile ]]; do
    (( $(now_us) - t0 > 5000000 )) && return 1
    sleep 0.02
  done
}

# pid_from PIDFILE PATTERN: print the pid if that process is alive and matches PATTERN; otherwise
# remove the stale pid file and fail.
pid_from() {
  local pid
  pid=$(read_pid "$1") && pid_is "$pid" "$2" && { echo "$pid"; return 0; }
  rm -f "$1"
  return 1
}

# --- network ----------------------------------------------------------------------------------
# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  # shellcheck disable=SC2016
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# wait_ready SECONDS ALIVE_FN READY_FN: poll READY_FN (every 0.2s) until it succeeds (0), ALIVE_FN
# fails, i.e. the process died (2), or the deadline passes (1).
wait_ready() {
  local deadline=$(( $(now_us) + $1 * 1000000 )) alive=$2 ready=$3
  while :; do
    "$ready" && return 0
    "$alive" || return 2
    (( $(now_us) >= deadline )) && return 1
    sleep 0.2
  done
}

# python3 for small stdlib-only probes; the system one starts faster than a pyenv shim.
python_bin() {
  if [[ -x /usr/bin/python3 ]]; then echo /usr/bin/python3; else command -v python3; fi
}
