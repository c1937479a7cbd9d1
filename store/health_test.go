package store_test

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"

	"rallybot/store"
)

func TestWritable(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		db := MustOpen(t, dbPath(t), newClock(t0))
		if err := db.Writable(ctx()); err != nil {
			t.Fatalf("writable = %v, want nil", err)
		}
	})
	t.Run("ErrClosed", func(t *testing.T) {
		db := MustOpen(t, dbPath(t), newClock(t0))
		db.Close()
		if err := db.Writable(ctx()); err == nil {
			t.Fatal("writable = nil on a closed database")
		}
	})
}

// diskFullEnv names the database a child process checks with its file size
// limit at one byte.
const diskFullEnv = "RALLYBOT_TEST_DISK_FULL_DB"

// TestWritableDiskFull: the database cannot take one more byte, as on a full
// disk or a file system gone read-only under the running bot. The write lock
// can still be taken then; only a committed write shows the problem, so
// /healthz must report it and report health again once there is room. The
// file size limit (RLIMIT_FSIZE) binds every file of a process, root
// included, so the check runs in a child process.
func TestWritableDiskFull(t *testing.T) {
	if path := os.Getenv(diskFullEnv); path != "" {
		writableDiskFullChild(t, path)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("RLIMIT_FSIZE and SIGXFSZ behave this way on Linux")
	}
	t.Parallel()
	path := dbPath(t)
	db := MustOpen(t, path, newClock(t0))
	db.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWritableDiskFull$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), diskFullEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
}

func writableDiskFullChild(t *testing.T, path string) {
	db, err := store.Open(ctx(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Writable(ctx()); err != nil {
		t.Fatalf("writable with room = %v, want nil", err)
	}
	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Fatal(err)
	}
	full := limit
	full.Cur = 1
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &full); err != nil {
		t.Fatal(err)
	}
	err = db.Writable(ctx())
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Fatal(err)
	}
	if err == nil {
		t.Fatal("writable = nil while no byte can be written")
	}
	t.Logf("writable on a full disk: %v", err)
	if err := db.Writable(ctx()); err != nil {
		t.Errorf("writable once there is room again = %v, want nil", err)
	}
}
