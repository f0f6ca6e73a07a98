package main

import "strconv"

// fsKind sorts filesystems by what they mean for a staging dir.
type fsKind int

const (
	// fsOther: not known to this check.
	fsOther fsKind = iota
	// fsLocal: a disk filesystem of this host.
	fsLocal
	// fsMemory: held in memory (tmpfs): gone at reboot.
	fsMemory
	// fsNFS: NFS, where flock reaches other hosts through the lock
	// protocol unless the mount keeps locks local.
	fsNFS
	// fsNetwork: another network or cluster filesystem.
	fsNetwork
)

// fsType is a filesystem's name and kind.
type fsType struct {
	name string
	kind fsKind
}

// fsMagics maps the f_type of statfs(2) (Linux's magic numbers) to the
// filesystem.
var fsMagics = map[int64]fsType{
	0xEF53:     {"ext2/ext3/ext4", fsLocal},
	0x58465342: {"xfs", fsLocal},
	0x9123683E: {"btrfs", fsLocal},
	0x2FC12FC1: {"zfs", fsLocal},
	0xF2F52010: {"f2fs", fsLocal},
	0x794C7630: {"overlayfs", fsLocal},
	0x4D44:     {"vfat", fsLocal},
	0x2011BAB0: {"exfat", fsLocal},
	0x5346544E: {"ntfs", fsLocal},
	0x01021994: {"tmpfs", fsMemory},
	0x858458F6: {"ramfs", fsMemory},
	0x6969:     {"nfs", fsNFS},
	0xFF534D42: {"cifs", fsNetwork},
	0xFE534D42: {"smb2", fsNetwork},
	0x517B:     {"smb", fsNetwork},
	0x00C36400: {"cephfs", fsNetwork},
	0x01021997: {"9p", fsNetwork},
	0x0BD00BD0: {"lustre", fsNetwork},
	0x47504653: {"gpfs", fsNetwork},
	0x19830326: {"beegfs", fsNetwork},
	0x65735546: {"fuse", fsNetwork},
}

// fsTypeOfMagic returns the filesystem of a statfs magic number; the
// mount table's type name (such as "fuse.sshfs") refines the name where
// it is known.
func fsTypeOfMagic(magic int64, mountType string) fsType {
	t, ok := fsMagics[magic]
	if !ok {
		t = fsType{name: "filesystem type 0x" + strconv.FormatUint(uint64(magic), 16), kind: fsOther}
	}
	if mountType != "" && mountType != t.name {
		t.name = mountType
	}
	return t
}
