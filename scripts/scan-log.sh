#!/usr/bin/env bash
# Scans a guest serial log for kernel trouble and counts the reports.
#   scripts/scan-log.sh LOG
# Prints the offending lines, then one "N x KIND" line per kind of report,
# and exits with the number of reports (capped at 100; 0: clean).
# A report is: Oops, BUG: (KASAN reports are "BUG: KASAN: ..."), WARNING:
# (lockdep's are "WARNING: possible ... locking ..."), lockdep INFO:, UBSAN,
# general protection fault, kernel panic, Rust panic ("panicked at"), hung
# task, RCU stall, kmemleak leak report. Lines belonging to a report already
# counted ("Call Trace:", "*** DEADLOCK ***", "unreferenced object" after
# kmemleak's summary line) are not counted again; a "Call Trace:" with no
# report header in the 80 lines before it (and not after a fault-injection
# message) is a report of its own.
set -uo pipefail
log=${1:?usage: $0 LOG}
tr -d '\r' < "$log" | awk '
function report(kind) { n++; kinds[kind]++; lines[++nl] = NR ": " $0; last = NR }
/FAULT_INJECTION: forcing a failure/ { fi = NR; next }
/Oops/                              { report("Oops"); next }
/(^|[^A-Za-z])BUG: KASAN/           { report("KASAN"); next }
/(^|[^A-Za-z])BUG:/                 { report("BUG"); next }
/WARNING: (possible .*locking|inconsistent lock state|suspicious RCU|bad unlock balance|lock held|held lock)/ { report("lockdep"); next }
/WARNING:/                          { report("WARNING"); next }
/INFO: possible|INFO: trying to register non-static key/ { report("lockdep"); next }
/UBSAN:/                            { report("UBSAN"); next }
/general protection fault/          { report("general protection fault"); next }
/Kernel panic/                      { report("Kernel panic"); next }
/panicked at/                       { report("Rust panic"); next }
/INFO: task .* blocked for more than/ { report("hung task"); next }
/rcu.*(stall|detected stalls)/      { report("RCU stall"); next }
/Unable to handle kernel/           { report("bad kernel access"); next }
/kmemleak: [0-9]+ new suspected memory leak/ { report("kmemleak"); leak = NR; next }
/unreferenced object 0x/            { if (!leak) { report("kmemleak"); leak = NR } else lines[++nl] = NR ": " $0; next }
/\*\*\* DEADLOCK \*\*\*/            { if (!last || NR - last > 80) report("lockdep"); next }
/Call Trace:/ {
    if ((fi && NR - fi < 40) || (last && NR - last < 80)) next
    report("Call Trace"); next
}
END {
    if (!n) exit 0
    print "kernel log problems:"
    for (i = 1; i <= nl && i <= 60; i++) print "  " lines[i]
    if (nl > 60) print "  ..."
    for (k in kinds) print kinds[k] " x " k
    exit (n > 100 ? 100 : n)
}'
