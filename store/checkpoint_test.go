package store

import (
	"context"
	"fmt"
	"os"
	"testing"

	"examhall"
)

// TestCheckpointer writes without pause, with the writer never checkpointing
// itself: the checkpointer must copy the log into the database file and keep
// the log bounded (maxFrames, lowered here, plus what the writes add while a
// checkpoint runs) instead of letting it grow with every commit.
func TestCheckpointer(t *testing.T) {
	db := MustOpenSQLite(t)
	ctx := context.Background()
	db.ckpt.maxFrames.Store(64)
	var path string
	if err := db.r.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&path); err != nil {
		t.Fatal(err)
	}
	size := func(name string) int64 {
		t.Helper()
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size(path)
	const writes = 12000
	for i := range writes {
		if err := db.CreateDepartment(ctx, &examhall.Department{Name: fmt.Sprintf("部门%04d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Unchecked, the log would hold about two 4 KB pages per commit (about
	// 96 MB here); checked, what commits in one checkpoint round (settle's
	// wait and the checkpoint with its fsyncs): 5–25 MB at this rate on a
	// quiet machine, whatever the number of commits. A round's length is
	// wall time, so on a machine whose cores are busy with other work the
	// checkpointer runs less often (53 MB was seen at a load average of 16
	// on 2 cores); the bound is three quarters of the unchecked log, which
	// only a checkpointer that has stopped keeping up reaches.
	if wal := size(path + "-wal"); wal > writes*2*4096*3/4 {
		t.Errorf("the log grew to %d bytes in %d commits", wal, writes)
	}
	if after := size(path); after <= before {
		t.Errorf("the database file did not grow (%d bytes): nothing was copied from the log", after)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("the log is still there after Close: %v", err)
	}
}
