#!/bin/sh
# Races around the life of a writable mount, for overlay and rovl alike:
# umount with a file open or a cwd inside (EBUSY); umount -l with open files,
# which keep working, and the super block going away when they are closed
# (the upper dir is no longer "in use"; rovl: the module's reference count
# drops back and rmmod is refused meanwhile); concurrent copy-ups of one big
# lower file (everyone sees the same data, one copy in upper, work dir
# clean); rename against open-for-write, and rename over a file kept open.
# ROVL_RACE_ROUNDS (default 1) copy-up rounds, ROVL_RACE_N (default 150)
# iterations of the rename races.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stress-lib.sh"
ROUNDS=$(stress_env ROVL_RACE_ROUNDS 1)
N=$(stress_env ROVL_RACE_N 150)
plan 8
setup
MOD=$(basename "$ROVL_KO" .ko)
export MOD ROUNDS N

cd "$L" || exit 1
echo original > f
mkdir -p d0 r
echo a > d0/a
echo line0 > r/x; echo r0 > r/r
for i in $(seq 0 $((ROUNDS - 1))); do
    dd if=/dev/urandom of=big$i bs=1M count=8 2>/dev/null
done
md5sum big* | sed 's/ .*//' > "$T/big.md5"
cd /

# remnt: mount $FSTYPE at $M again on its upper and work dirs (as they are)
remnt() { rw_remount "$FSTYPE" "$M" "$T/upper-$FSTYPE" "$T/work-$FSTYPE" "$L"; }
refs() { awk -v m="$MOD" '$1 == m { print $3 }' /proc/modules; }
inuse() { dmesg | grep -c 'in-use'; }
for fs in $FSTYPES; do
    rw_mount "$fs" "$T/$fs" "$T/upper-$fs" "$T/work-$fs" "$L" || diag "mount -t $fs failed"
done
_need_mount=1

check "umount with a file open for writing: EBUSY; after close it unmounts" \
    "umount: can't unmount @M: Device or resource busy
unmounted
original
more" \
    'exec 3>> $M/f; echo more >&3
     umount $M; exec 3>&-; umount $M && echo unmounted; remnt && cat $M/f'
check "umount with a cwd inside (this shell's, another process's): EBUSY" \
    "umount: can't unmount @M: Device or resource busy
umount: can't unmount @M: Device or resource busy
unmounted" \
    'cd $M/d0 && umount $M; cd /
     (cd $M/d0 && exec sleep 60) & p=$!; sleep 1
     umount $M; kill $p; wait $p 2>/dev/null
     umount $M && echo unmounted; remnt'

# umount -l: the open files keep working; a second mount on the same upper
# while they are open is warned about (the positive control that the check
# sees a live super block), after the close none is: the old one has gone.
check "umount -l with open files: they keep working; after close the super block is gone" \
    "lazy: rc=0, mounted 0
read through the old fd: a
control mount while open: warned
after close: not warned
f: original more written after umount -l" \
    'exec 3>> $M/f 4< $M/d0/a
     umount -l $M; echo "lazy: rc=$?, mounted $(grep -c " $M " /proc/mounts)"
     echo "written after umount -l" >&3
     echo "read through the old fd: $(cat <&4)"
     w0=$(inuse); remnt; w1=$(inuse); umount $M
     [ "$w1" -gt "$w0" ] && echo "control mount while open: warned" || echo "control mount while open: NOT warned"
     exec 3>&- 4<&-
     w0=$(inuse); remnt; w1=$(inuse)
     [ "$w1" -eq "$w0" ] && echo "after close: not warned" || echo "after close: warned (the old super block lives)"
     echo "f: $(cat $M/f | tr "\n" " " | sed "s/ $//")"'
if grep -qw "^$MOD" /proc/modules; then
    check_rovl "umount -l: the module stays referenced, rmmod refused, until the last file closes" \
        "held: the super block's reference stays
rmmod refused
closed: one reference less" \
        'r0=$(refs); exec 3>> $M/f
         umount -l $M; r1=$(refs)
         [ "$r1" -eq "$r0" ] && echo "held: the super block'"'"'s reference stays" || echo "held: refs $r0 -> $r1"
         rmmod $MOD 2>/dev/null && echo "rmmod WORKED while a super block lives" || echo "rmmod refused"
         exec 3>&-; r2=$(refs)
         [ "$r2" -eq $((r0 - 1)) ] && echo "closed: one reference less" || echo "closed: refs $r0 -> $r2"
         remnt'
else
    skip "umount -l: the module stays referenced, rmmod refused, until the last file closes" "rovl built in or not loaded"
fi

# Concurrent copy-up of one 8 MiB lower file: 6 processes released at once
# (each blocked reading a line from a fifo the parent holds open) copy it up by open for write, chmod, truncate to its
# size, touch, and read it; two readers opened it before.
COPYUP='
    mkfifo $T/go.$FSTYPE; exec 6<> $T/go.$FSTYPE
    for i in $(seq 0 $((ROUNDS - 1))); do
        b=$M/big$i; rm -f $T/sum.$FSTYPE.*
        exec 5< $b
        for p in 1 2 3 4 5 6; do
            ( read x <&6
              case $p in
                1|2) dd if=/dev/null of=$b conv=notrunc 2>/dev/null ;;
                3) chmod 640 $b ;;
                4) truncate -s 8388608 $b ;;
                5) touch $b ;;
              esac
              md5sum < $b > $T/sum.$FSTYPE.$p ) &
        done
        sleep 1; printf "go\ngo\ngo\ngo\ngo\ngo\n" >&6; wait
        md5sum <&5 > $T/sum.$FSTYPE.7; exec 5<&-
        want=$(sed -n "$((i + 1))p" $T/big.md5)
        agree=$(cat $T/sum.$FSTYPE.* | sed "s/ .*//" | grep -c "^$want$")
        u=$T/upper-$FSTYPE
        copies=$(find $u -name big$i -type f | wc -l)
        same=$(md5sum < $u/big$i | sed "s/ .*//")
        [ "$same" = "$want" ] && same=same || same=DIFFERENT
        echo "round $i: $agree of 7 agree; $copies copy in upper, $same data; mode $(stat -c %a $b)"
    done
    exec 6<&-; rm -f $T/go.$FSTYPE
    work=$(ls -A $T/work-$FSTYPE/work | grep -v "^#")
    echo "work dir: ${work:-clean}"'
check "$ROUNDS rounds: 6 concurrent copy-ups of one 8 MiB file: one copy, same data everywhere" \
    "$(for i in $(seq 0 $((ROUNDS - 1))); do echo "round $i: 7 of 7 agree; 1 copy in upper, same data; mode 640"; done)
work dir: clean" "$COPYUP"

# rename against open-for-write (t_stress.py race-rename)
if have_hpy; then
    check "rename x<->y $N times against two appenders; rename over a file kept open for writing" \
        "pingpong: one name, every write once
replace: ok" \
        'stpy_t 500 race-rename $M/r $N 2> $T/race.$FSTYPE; rc=$?; [ $rc -eq 0 ] || echo "rc=$rc $(cat $T/race.$FSTYPE)"'
    diag "appends that succeeded: overlay: $(cat $T/race.overlay 2>/dev/null); rovl: $(cat $T/race.rovl 2>/dev/null)"
else
    skip "rename x<->y against appenders; rename over an open file" "no host python"
fi

# After all that: the work dirs are clean and the merged views equal the union model.
if have_hpy; then
    for fs in $FSTYPES; do umount "$T/$fs" 2>/dev/null; done
    _need_mount=
    check "afterwards: work dir clean, the merged view after a remount equals the union model" "work: clean
view: equals the model" \
        'stpy viewcheck $FSTYPE $M $T/upper-$FSTYPE $T/work-$FSTYPE $L'
else
    skip "afterwards: work dir clean, the merged view equals the union model" "no host python"
fi

# umount -l while a process writes 16 MiB through a file it opened: the write
# completes and lands in the upper layer.
check "umount -l during a long write: the write completes, the data is in upper" \
    "written: 16777216" \
    'remnt || exit
     ( exec 6> $M/long; : > $T/opened.$FSTYPE; dd if=/dev/zero bs=64k count=256 >&6 2>/dev/null ) &
     while [ ! -e $T/opened.$FSTYPE ]; do sleep 0.1; done
     umount -l $M; wait
     remnt; echo "written: $(stat -c %s $M/long)"; umount $M'
finish
