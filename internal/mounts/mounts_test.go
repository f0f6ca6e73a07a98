package mounts

import (
	"strings"
	"testing"
)

func TestHoldingInBothFormats(t *testing.T) {
	procMounts := strings.Join([]string{
		"/dev/vda / ext4 rw,relatime 0 0",
		"nas:/export /shared nfs rw,vers=3,nolock 0 0",
		`nas:/sp /with\040space nfs4 rw,local_lock=all,local_lock=all 0 0`,
		"tmpfs /shared/tmp tmpfs rw 0 0",
	}, "\n")
	mountinfo := strings.Join([]string{
		"22 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
		"40 22 0:50 / /shared rw,relatime - nfs nas:/export rw,vers=3,nolock",
		`41 22 0:51 / /with\040space rw - nfs4 nas:/sp rw,local_lock=all,local_lock=all`,
		"42 40 0:52 / /shared/tmp rw - tmpfs tmpfs rw",
	}, "\n")
	for name, entries := range map[string][]Entry{"mounts": ParseMounts([]byte(procMounts)), "mountinfo": ParseMountinfo([]byte(mountinfo))} {
		for _, tt := range []struct{ dir, point, locks string }{
			{"/home/u", "/", ""},
			{"/shared/jobs", "/shared", "nolock"},
			{"/shared/tmp/x", "/shared/tmp", ""},
			{"/sharedx", "/", ""},
			{"/with space/a", "/with space", "local_lock=all"},
		} {
			m, ok := Holding(entries, tt.dir)
			if !ok || m.Point != tt.point {
				t.Errorf("%s: Holding(%q) = %q, %v; want %q", name, tt.dir, m.Point, ok, tt.point)
			}
			if got := strings.Join(NFSLockOptions(m.Options), ","); got != tt.locks {
				t.Errorf("%s: NFS lock options of %q = %q, want %q", name, tt.dir, got, tt.locks)
			}
		}
	}
	if _, ok := Holding(nil, "/x"); ok {
		t.Error("Holding in an empty table found a mount")
	}
}
