"""The kubelet's ConfigMap, Secret and projected volumes (v1.34), simulated for the integration
and chart tests: the cases the real cluster (tests/e2e) only hits by chance, made deterministic.

What the kubelet does (pkg/volume/util/atomic_writer.go, volume_linux.go SetVolumeOwnership),
and so what this does:
- The volume root is an emptyDir: on disk 0777 for a ConfigMap; tmpfs 1777 for a Secret or a
  projected volume. With an fsGroup it becomes root:<fsGroup> with setgid: 2777, and 3777.
- A write creates a new `..<timestamp>` directory in place, in the root (0755), with the files
  (their mode) and nested directories (0755) in it; an empty ConfigMap gets an empty one.
- With an fsGroup, the whole volume then changes group and modes: the old directory, `..data`
  and the links included (files |= 0440, directories |= 0550 + setgid, links group only).
- `..data_tmp` -> the new directory is renamed onto `..data` (the atomic step).
- A link per first path element is added when missing; the links of keys that stay are kept;
  links of keys that are gone are removed; the old directory is deleted.
tmpfs needs root (`mount`); without it, or with tmpfs=False, the root is a plain directory.
"""

import datetime
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

RO_MASK = 0o440  # what SetVolumeOwnership ORs into files of a read-only volume
DIR_MASK = RO_MASK | 0o110 | stat.S_ISGID  # and into its directories


def _stamp_prefix(now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("..%Y_%m_%d_%H_%M_%S.")


def _tree(stamp_dir):
    """Relative paths of every file and directory below a timestamp directory."""
    paths = set()
    for dirpath, dirnames, filenames in os.walk(stamp_dir):
        for name in dirnames + filenames:
            paths.add(os.path.relpath(os.path.join(dirpath, name), stamp_dir))
    return paths


def _set_ownership(root, gid):
    """SetVolumeOwnership for a read-only volume: the whole tree, root and links included."""
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [None] + dirnames + filenames:
            path = dirpath if name is None else os.path.join(dirpath, name)
            st = os.lstat(path)
            os.lchown(path, -1, gid)
            if stat.S_ISLNK(st.st_mode):
                continue
            mask = DIR_MASK if stat.S_ISDIR(st.st_mode) else RO_MASK
            os.chmod(path, stat.S_IMODE(st.st_mode) | mask)
        # os.walk does not follow the links, so ..data is visited once, as a link.


def mount_root(root, kind="configMap", gid=None, tmpfs=True):
    """Creates the volume's root as the kubelet's emptyDir wrapper does. Returns True when a
    tmpfs was mounted there (the caller unmounts it: `unmount_root`)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    mounted = False
    if kind in ("secret", "projected") and tmpfs and os.geteuid() == 0:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(root)], check=True)
        mounted = True
    elif kind in ("secret", "projected"):
        os.chmod(root, 0o1777)
    else:
        os.chmod(root, 0o777)
    if gid is not None:
        os.chown(root, -1, gid)
        os.chmod(root, stat.S_IMODE(os.stat(root).st_mode) | stat.S_ISGID)
    return mounted


def unmount_root(root):
    subprocess.run(["umount", str(root)], check=True)


def atomic_write(root, files, mode=0o644, gid=None, stamp=None):
    """One AtomicWriter.Write of files ({path: bytes or str}) into the volume at root."""
    root = Path(root)
    data_link = root / "..data"
    old = os.readlink(data_link) if data_link.is_symlink() else None
    old_paths = _tree(root / old) if old else set()
    new_paths = set()
    for path in files:
        parts = path.split("/")
        new_paths.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))

    # The new timestamp directory, created in place.
    if stamp:
        (root / stamp).mkdir()
        new = stamp
    else:
        new = os.path.basename(tempfile.mkdtemp(prefix=_stamp_prefix(), dir=root))
    os.chmod(root / new, 0o755)
    for path, content in sorted(files.items()):
        target = root / new / path
        for parent in reversed(Path(path).parents[:-1]):
            d = root / new / parent
            if not d.exists():
                d.mkdir()
                os.chmod(d, 0o755)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
        os.chmod(target, mode)

    if gid is not None:
        _set_ownership(root, gid)

    tmp_link = root / "..data_tmp"
    os.symlink(new, tmp_link)
    os.rename(tmp_link, data_link)

    for first in sorted({p.split("/")[0] for p in files}):
        if not (root / first).is_symlink():
            os.symlink(f"..data/{first}", root / first)
    for gone in sorted(old_paths - new_paths):
        if "/" not in gone and (root / gone).is_symlink():
            os.unlink(root / gone)
    if old:
        shutil.rmtree(root / old)
    return root
