package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// checkpointer copies SQLite's write-ahead log back into the database file
// on a connection of its own, beside the writer.
//
// Left to itself SQLite checkpoints inside the commit that grows the log
// past wal_autocheckpoint pages: that commit copies them all and waits for
// two fsyncs, which under load take 10–20 ms each on a VM's disk, and every
// write queued behind it waits as long (a submit's p99 doubled). So the
// writer never checkpoints (wal_autocheckpoint 0); passive checkpoints run
// here, beside the writer, once writes pause (settle): a checkpoint's page
// copying and fsyncs during a burst of submits slowed the burst itself (on
// 2 vCPUs, burst p50 13–14 ms instead of 11). The log starts over when a
// write finds it fully copied and no reader still on it, which happens
// whenever writes pause for a moment. Under writes without pause it never
// is, so past maxWALFrames one checkpoint runs on the writer's connection,
// where no write can overtake it: it finds only the last pages to copy.
type checkpointer struct {
	conn   *sql.DB // one connection, not a reader: checkpoints write the file
	writer *sql.DB
	// maxFrames is maxWALFrames; tests lower it.
	maxFrames atomic.Int64
	kick      chan struct{}
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

const (
	// checkpointPause is the least time between two checkpoints: long
	// enough to gather a few commits' pages into one sync, short enough
	// that each sync stays small.
	checkpointPause = 10 * time.Millisecond
	// checkpointQuiet is how long writes must pause before a checkpoint
	// (about two batches of submits), and checkpointMaxWait how long a
	// checkpoint waits for that under writes without pause.
	checkpointQuiet   = 10 * time.Millisecond
	checkpointMaxWait = 30 * time.Millisecond
	// checkpointIdle is how often the checkpointer looks at the log without
	// being told of a write (writes outside transact do not tell it).
	checkpointIdle = time.Second
	// maxWALFrames bounds the log (about 64 MB with 4 KB pages); beyond it
	// a checkpoint holds the writer for a few milliseconds to restart it.
	maxWALFrames = 16384
)

func startCheckpointer(conn, writer *sql.DB) *checkpointer {
	c := &checkpointer{conn: conn, writer: writer,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	c.maxFrames.Store(maxWALFrames)
	go c.run()
	return c
}

// written tells the checkpointer that a write committed. It never blocks.
func (c *checkpointer) written() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	idle := time.NewTicker(checkpointIdle)
	defer idle.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
			if !c.settle() {
				return
			}
		case <-idle.C:
		}
		// Failures (a full disk, say) surface in the writes themselves.
		if frames, err := checkpoint(c.conn); err == nil && frames >= c.maxFrames.Load() {
			_, _ = checkpoint(c.writer)
		}
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointPause):
		}
	}
}

// settle waits until no write has committed for checkpointQuiet, at most
// checkpointMaxWait; false when the checkpointer is stopped meanwhile.
func (c *checkpointer) settle() bool {
	quiet, limit := time.NewTimer(checkpointQuiet), time.NewTimer(checkpointMaxWait)
	defer quiet.Stop()
	defer limit.Stop()
	for {
		select {
		case <-c.stop:
			return false
		case <-c.kick:
			quiet.Reset(checkpointQuiet)
		case <-quiet.C:
			return true
		case <-limit.C:
			return true
		}
	}
}

// checkpoint runs a passive checkpoint on db and returns the log's size in
// frames.
func checkpoint(db *sql.DB) (frames int64, err error) {
	var busy, copied int64
	err = db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	return frames, err
}

// close stops the checkpointer and closes its connection.
func (c *checkpointer) close() (err error) {
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.done
		err = c.conn.Close()
	})
	return err
}
