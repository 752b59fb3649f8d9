#!/usr/bin/env bash
# Last resort when neither ../shared/linux-source-7.3.tar.xz nor KERNEL_SRC= is
# there: fetch Debian's linux-source-7.3 package from trixie-backports, using
# the mirror this machine's apt sources already name (so no host name is kept
# in the repository), and print the path of the tarball it contains.
# apt's configuration on the machine is left untouched.
set -euo pipefail
. "$(dirname "$0")/env.sh"
pkg=linux-source-7.3
out=$ROVL_CACHE/debian-source
tarball=$out/usr/src/$pkg.tar.xz
if [ -f "$tarball" ]; then echo "$tarball"; exit 0; fi

uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '/^deb / { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$uri" ] || { echo "rovl: no apt source to derive a mirror from; set KERNEL_SRC=" >&2; exit 1; }

apt_dir=$ROVL_CACHE/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$out"
echo "deb $uri trixie-backports main" > "$apt_dir/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
          -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives")
echo "rovl: fetching $pkg from trixie-backports" >&2
apt-get -q "${apt_opts[@]}" update >&2
(cd "$apt_dir/archives" && apt-get -q "${apt_opts[@]}" download "$pkg" >&2)
deb=$(ls -t "$apt_dir/archives/${pkg}"_*.deb | head -n1)
dpkg-deb -x "$deb" "$out"
[ -f "$tarball" ] || { echo "rovl: $deb holds no $tarball" >&2; exit 1; }
echo "$tarball"
