package check

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"

	"github.com/medusa-go/medusa/internal/storage"
)

// KeyFileMode checks a credentials file the way the AWS guide asks: it
// exists, is a regular file, belongs to the user running medusa and only
// that user may read it. what describes the file for messages.
func KeyFileMode(path, what string) Result { return fileMode(path, "key_file", what) }

// fileMode is KeyFileMode for the file of [storage] key (key_file,
// encryption_key_file).
func fileMode(path, key, what string) Result {
	p, err := storage.ExpandHome(path)
	if err != nil {
		return fail("give "+key+" as an absolute path", "%v", err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return fail("fix "+key+" in [storage]", "%s %s: %v", key, p, err)
	}
	if !fi.Mode().IsRegular() {
		return fail("point "+key+" at the "+what, "%s %s is not a regular file", key, p)
	}
	perm := fi.Mode().Perm()
	uid := os.Getuid()
	owner := -1
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		owner = int(st.Uid)
	}
	chmod := fmt.Sprintf("chmod 600 %s", p)
	switch {
	case perm&0o022 != 0:
		return fail(chmod, "%s %s (mode %#o) is writable by group or others: anyone could swap it", key, p, perm)
	case perm&0o004 != 0:
		return fail(chmod, "%s %s (mode %#o) is readable by every user of the host", key, p, perm)
	case perm&0o040 != 0:
		return warn(chmod, "%s %s (mode %#o) is readable by its group", key, p, perm)
	case owner >= 0 && owner != uid:
		return warn(fmt.Sprintf("chown %s %s", userName(uid), p),
			"%s %s belongs to %s, not to %s who runs medusa", key, p, userName(owner), userName(uid))
	}
	if _, err := os.ReadFile(p); err != nil {
		return fail("make the file readable by the user running medusa", "%s %s: %v", key, p, err)
	}
	return ok("%s %s: mode %#o, owned by %s who runs medusa", key, p, perm, userName(uid))
}

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return "uid " + strconv.Itoa(uid)
}
