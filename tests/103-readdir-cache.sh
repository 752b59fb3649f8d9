#!/bin/sh
# Listings of merged directories stay right when they are reused. rovl keeps
# a merged directory's listing on its inode for later opens (overlay reads
# the layers again at each open); each case changes the directory between
# two listings, through the mount or behind it (in a layer, which the layers'
# i_version counters reveal), and the second listing must show the change,
# as overlay's does. Also an open directory after a rewind.
. "$(dirname "$0")/lib.sh"
plan 6
setup

for d in d1 d2 d3 d4 d5 d6; do mkdir -p "$L/$d"; : > "$L/$d/a"; : > "$L/$d/b"; done
upper_mount

check "a name created through the mount shows in the next listing" "a b new" \
    'touch $M/d1/x; ls $M/d1 >/dev/null; touch $M/d1/new; rm $M/d1/x; ls $M/d1 | xargs'
check "a name removed through the mount is gone from the next listing" "b x" \
    'touch $M/d2/x; ls $M/d2 >/dev/null; rm $M/d2/a; ls $M/d2 | xargs'
check "a name renamed through the mount shows under its new name" "b x z" \
    'touch $M/d3/x; ls $M/d3 >/dev/null; mv $M/d3/a $M/d3/z; ls $M/d3 | xargs'
# behind the mount: the lower layer is shared by both mounts, so the change is
# undone before the other filesystem's turn
check "a name added to a lower layer behind the mount shows in the next listing" "a b behind x" \
    'touch $M/d4/x; ls $M/d4 >/dev/null; touch $L/d4/behind; ls $M/d4 | xargs; rm $L/d4/behind'
check "a name removed from the upper layer behind the mount is gone from the next listing" "a b" \
    'touch $M/d5/gone; ls $M/d5 >/dev/null; rm $U/d5/gone; ls $M/d5 | xargs'
if have_hpy; then
    check "an open directory sees a change through the mount after a rewind" \
        "before: a b x
after: a b new x" \
        'hpy -c "
import os, sys
m = sys.argv[1]
open(m + \"/x\", \"w\").close()
fd = os.open(m, os.O_RDONLY | os.O_DIRECTORY)
print(\"before:\", *sorted(os.listdir(fd)))  # reads to the end, then rewinds
open(m + \"/new\", \"w\").close()
print(\"after:\", *sorted(os.listdir(fd)))
" $M/d6'
else
    skip "an open directory sees a change through the mount after a rewind" "no host python"
fi
upper_umount
finish
