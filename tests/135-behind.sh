#!/bin/sh
# Changes behind a writable mount's back: while the mount is in use (open
# files, a cwd inside, workers running t_stress.py's workload through it),
# lower and upper files and directories are changed directly: written,
# truncated, renamed, deleted, directories renamed or replaced by files,
# whiteouts made, opaque marks set and cleared, the work dir removed. Then the
# mount is used further (stat, read, readdir, write, rename, through the old
# fds and cwd too). overlayfs calls the results undefined, so nothing is
# compared with overlay: the test passes when nothing hangs (each step has a
# time limit; a hung worker's kernel stack is printed), the kernel reports
# nothing (the harness scans the log), and the mount can still be unmounted,
# mounted again and walked. Run for overlay too, as the sanity check.
# ROVL_BEHIND_SECS (default 6): seconds of the random part.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stress-lib.sh"
BSECS=$(stress_env ROVL_BEHIND_SECS 6)
plan 6
setup
need_hpy "behind"

# Hand-made cases, one after another; every command may fail (its errno is
# not judged), the snippet must finish. $1 FSTYPE, M, U, W, L1, L2 set.
SCENES='
set +e
cd $M/d0 || exit 1
exec 3< $M/d1/a 4>> $M/h/c 5< $M/big1
# a lower file open for reading is deleted, then written through the path
rm -f $L2/d1/a; cat <&3 > /dev/null; stat $M/d1/a; echo x >> $M/d1/a; cat $M/d1/a
# the lower directory the cwd is in is renamed; work in the cwd
mv $L2/d0 $L2/d0.moved; ls . > /dev/null; echo new > ./created; ls -la; cat ./a; mv ./created ./created2
mv $L2/d0.moved $L2/d0
# an upper file open for writing is replaced by a directory
rm -f $U/h/c; mkdir -p $U/h/c/inner; echo more >&4; sync; stat $M/h/c; ls $M/h/c; mv $M/h/c $M/h/c2
# the upper directory of a merged directory (the cwd) is removed
rm -rf $U/d0; ls . > /dev/null; echo again > ./again; rm -f ./b; ls
# a whiteout and an opaque mark appear in upper behind the mount
mknod $U/d1/b c 0 0 2>/dev/null; mkdir -p $U/d1/s1
hostrun /usr/bin/setfattr -n trusted.overlay.opaque -v y $U/d1/s1
ls $M/d1 $M/d1/s1; cat $M/d1/b; rm -f $M/d1/b; rmdir $M/d1/s1
# a lower file shrinks while mapped readers read it (big1 via fd 5)
truncate -s 100 $L2/big1; cat <&5 > /dev/null; md5sum $M/big1; echo >> $M/big1
# the work dir is removed, then operations that need it
rm -rf $W/work; rm -f $M/d0/s0/a; mkdir $M/newdir; mv $M/d1/c $M/d1/c2; echo n > $M/d0/s0/b
rm -rf $W; rm -f $M/d0/s0/c; mkdir $M/newdir2
exec 3<&- 4>&- 5<&-
cd /
echo finished'

for fs in $FSTYPES; do
    M=$T/$fs; U=$T/upper-$fs; W=$T/work-$fs; L1=$T/$fs-l1; L2=$T/$fs-l2
    mkdir -p "$L1" "$L2"
    stpy populate "$L1" "$L2" > /dev/null || diag "populate failed"
    export M U W L1 L2
    if rw_mount "$fs" "$M" "$U" "$W" "$L1:$L2"; then
        ( eval "$SCENES" ) > "$T/scenes.$fs" 2>&1 &
        pid=$!
        ( sleep 300; kill -9 $pid 2>/dev/null ) &
        dog=$!
        wait $pid; rc=$?
        kill $dog 2>/dev/null; wait $dog 2>/dev/null
        out=$(cat "$T/scenes.$fs")
        case $out in *finished) rc=0 ;; esac
        verdict "hand-made changes behind the mount (deleted, renamed, replaced, whiteouts, opaque, work dir gone): all steps finish" \
            "$fs" $rc "rc=$rc
$(printf '%s\n' "$out" | tail -n 20)"
        cd /
        while is_mounted "$M"; do umount "$M" 2>/dev/null || umount -l "$M" || break; done
    else
        fail "$fs: hand-made changes behind the mount (the mount failed)"
    fi

    # random changes behind the back of a mount in use
    rm -rf "$L1" "$L2"; mkdir -p "$L1" "$L2"
    stpy populate "$L1" "$L2" > /dev/null
    if rw_mount "$fs" "$M" "$U" "$W" "$L1:$L2"; then
        out=$(stpy_t $((BSECS + 400)) behind "$M" "$U" "$L1" "$L2" --workers 2 --secs "$BSECS" 2>&1)
        rc=$?
        _diag_block "$fs" "$out"
        verdict "${BSECS}s: 2 workers through the mount, 1 per layer behind it, held fds and cwd used afterwards: no hang" \
            "$fs" $rc "rc=$rc (124/137: killed by the time limit; 2: a hung worker)"
        cd /
        umount "$M"; rc=$?
        msg=$(rw_remount "$fs" "$M" "$U" "$W" "$L1:$L2" 2>&1) || rc=$((rc + 1))
        if is_mounted "$M"; then
            msg="$msg
$(stpy_t 300 walk "$M" 2>&1)" || rc=$((rc + 1))
            umount "$M" || rc=$((rc + 1))
        fi
        verdict "afterwards: umount works; mount again, read everything, umount" "$fs" $rc "$msg"
    else
        fail "$fs: random changes behind the mount (the mount failed)"
        fail "$fs: afterwards: umount, mount again (the mount failed)"
    fi
done
finish
