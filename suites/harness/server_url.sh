# Sourced by the shell tests that start a server with --port 0 (it prints its URL).
# server_url FILE PID: waits up to 10 s for an http://127.0.0.1:PORT URL in FILE and
# prints it; returns 1 when none comes or PID exits first.
server_url() {
  local url=''
  for _ in $(seq 200); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$1" 2>/dev/null | head -1)
    [ -n "$url" ] && { echo "$url"; return 0; }
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
