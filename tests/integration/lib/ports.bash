# Sourced by the suites that start servers (pg-server, mlflow_server.bash, email.sh).
#
#   free_port   print a 127.0.0.1 port nothing listens on, below the kernel's ephemeral range:
#               a port from that range (what bind to port 0 gives) can be taken by another
#               test's outgoing connection between the check and the server's bind.
free_port() {
    local lo=20000 hi=32000 eph p
    read -r eph _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null && [ "$eph" -gt 10100 ] &&
        hi=$((eph - 1))
    [ "$hi" -gt "$lo" ] || lo=10000
    for p in $(shuf -i "$lo-$hi" -n 50); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}
