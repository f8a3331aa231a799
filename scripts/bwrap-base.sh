# Sourced by bench.sh and launch-phases.sh: bwrap_base, the arguments that give bubblewrap the
# isolation of cloister's `base` profile: every namespace, /usr and /etc read-only, the
# merged-/usr links, fresh /proc and /dev, private /tmp and home, a cleared environment.
# (cloister does more on top: /proc's kernel internals masked and its knobs read-only, every
# capability dropped, no_new_privs, a seccomp filter, Landlock, a read-only root.)
# shellcheck shell=bash
bwrap_base=(--unshare-all --die-with-parent --clearenv --ro-bind /usr /usr --ro-bind /etc /etc
  --symlink usr/bin /bin --symlink usr/sbin /sbin --symlink usr/lib /lib)
for l in lib32 lib64 libx32; do
  [ -L "/$l" ] && bwrap_base+=(--symlink "usr/$l" "/$l")
done
bwrap_base+=(--proc /proc --dev /dev --tmpfs /tmp --tmpfs "$HOME" --hostname base)
