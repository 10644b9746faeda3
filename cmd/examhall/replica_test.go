package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"examhall"
	"examhall/client"
)

// countingOutbox counts the deliveries one sender claims.
type countingOutbox struct {
	examhall.Outbox
	claimed atomic.Int64
}

func (c *countingOutbox) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, max int) ([]*examhall.Delivery, error) {
	ds, err := c.Outbox.ClaimDeliveries(ctx, now, lease, max)
	c.claimed.Add(int64(len(ds)))
	return ds, err
}

// TestWebhooksTwoReplicas runs two programs on one PostgreSQL database,
// each with its sender: they share the deliveries, none is delivered twice,
// and each attempt's events arrive in order.
func TestWebhooksTwoReplicas(t *testing.T) {
	dsn := os.Getenv("EXAMHALL_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("EXAMHALL_TEST_POSTGRES is not set: replicas need PostgreSQL")
	}
	ctx := context.Background()
	schema := mustSchema(t, dsn)
	m1, m2 := MustOpenMain(t, schema), MustOpenMain(t, schema)
	const secret = "whsec_replicas_0123456789"
	recv := newReceiver(secret, 5)
	rs := httptest.NewServer(recv)
	t.Cleanup(rs.Close)
	if err := m1.DB.CreateWebhook(ctx, &examhall.Webhook{URL: rs.URL, Secret: secret, Enabled: true, AllowPrivate: true}); err != nil {
		t.Fatal(err)
	}
	exam := &examhall.Exam{Name: "Replicas", BeginTime: time.Now().Add(-time.Hour), EndTime: time.Now().Add(time.Hour),
		AnswerMinutes: 30, PassScore: 1, PaperScore: 2, AllowTimes: 1, Audience: examhall.AudienceAll, Status: examhall.ExamDraft}
	if err := m1.DB.CreateExam(ctx, exam); err != nil {
		t.Fatal(err)
	}
	if err := m1.DB.SetPaper(ctx, exam.ID, []*examhall.Question{{ID: "q1", Type: examhall.QuestionTrueFalse, Stem: "T?", Score: 2, IsTrue: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m1.DB.UpdateExam(ctx, exam.ID, examhall.ExamUpdate{Status: ptr(examhall.ExamPublished)}); err != nil {
		t.Fatal(err)
	}
	var c1, c2 countingOutbox
	c1.Outbox, c2.Outbox = m1.DB, m2.DB
	m1.Sender.Outbox, m2.Sender.Outbox = &c1, &c2
	m1.Sender.Workers, m2.Sender.Workers = 4, 4
	startSender(t, m1)
	startSender(t, m2)

	// Candidates start and submit while both senders run, half on each.
	const candidates = 60
	var wg sync.WaitGroup
	for i := range candidates {
		m := m1
		if i%2 == 1 {
			m = m2
		}
		wg.Go(func() {
			u := &examhall.User{Account: fmt.Sprintf("c%03d", i), Name: "C", Role: examhall.RoleExaminee}
			if err := m.DB.CreateUser(ctx, u); err != nil {
				t.Error(err)
				return
			}
			a, err := m.DB.StartAttempt(ctx, exam.ID, u.ID, time.Now())
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := m.DB.SubmitOwnAttempt(ctx, a.ID, u.ID, "", time.Now()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	want := 1 + 3*candidates // exam.published, then started, submitted, graded each
	waitFor(t, "every event", 60*time.Second, func() bool {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		return len(recv.seen) == want
	})
	time.Sleep(200 * time.Millisecond) // a duplicate would arrive now
	recv.mu.Lock()
	defer recv.mu.Unlock()
	for id, n := range recv.seen {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	if len(recv.bad) > 0 {
		t.Errorf("bad requests: %v", recv.bad)
	}
	next := map[string]int{} // attempt → index of the next type expected
	order := []string{examhall.HookAttemptStarted, examhall.HookAttemptSubmitted, examhall.HookAttemptGraded}
	for _, e := range recv.accepted {
		if e.Type == examhall.HookExamPublished {
			continue
		}
		var data struct{ AttemptID string }
		if err := json.Unmarshal(e.Data, &data); err != nil {
			t.Fatal(err)
		}
		if i := next[data.AttemptID]; order[i] != e.Type {
			t.Errorf("attempt %s: got %s, want %s", data.AttemptID, e.Type, order[i])
		}
		next[data.AttemptID]++
	}
	t.Logf("replica 1 claimed %d, replica 2 claimed %d of %d events (+%d retries)", c1.claimed.Load(), c2.claimed.Load(),
		want, recv.requests-want)
	if c1.claimed.Load() == 0 || c2.claimed.Load() == 0 {
		t.Errorf("one replica did all the work: %d and %d", c1.claimed.Load(), c2.claimed.Load())
	}
}

// TestWebhookSurvivesKill runs the server binary, makes an event whose
// first delivery fails, kills the server with SIGKILL before it delivers,
// starts it again and checks the event arrives, with the same ID.
func TestWebhookSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "examhall")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	args := []string{"--data", data}
	if dsn := os.Getenv("EXAMHALL_TEST_POSTGRES"); dsn != "" {
		args = append(args, "--db", mustSchema(t, dsn))
	}
	if out, err := exec.Command(bin, append([]string{"user", "add", "--account", "root", "--name", "Root", "--role", "admin",
		"--password", "admin-password-1"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs bytes.Buffer
	var logMu sync.Mutex
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, append([]string{"serve", "--addr", addr}, args...)...)
		w := &lockedWriter{mu: &logMu, w: &logs}
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the server", 20*time.Second, func() bool {
			resp, err := http.Get("http://" + addr + "/healthz")
			if err == nil {
				resp.Body.Close()
			}
			return err == nil && resp.StatusCode == 200
		})
		return cmd
	}
	srv := start()
	defer func() {
		if srv.ProcessState == nil {
			srv.Process.Kill()
			srv.Wait()
		}
		if t.Failed() {
			logMu.Lock()
			t.Logf("server log:\n%s", logs.String())
			logMu.Unlock()
		}
	}()

	const secret = "whsec_kill_0123456789"
	recv := newReceiver(secret, 1<<30) // down until recovered
	rs := httptest.NewServer(recv)
	t.Cleanup(rs.Close)
	ctx := context.Background()
	c := client.New("http://" + addr)
	if _, err := c.Login(ctx, "root", "admin-password-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateWebhook(ctx, client.WebhookRequest{URL: &rs.URL, Secret: ptr(secret),
		Events: &[]string{examhall.HookExamPublished}, AllowPrivate: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	begin, end := time.Now().Add(time.Hour), time.Now().Add(2*time.Hour)
	e, err := c.CreateExam(ctx, client.ExamRequest{Name: ptr("Kill -9"), BeginTime: &begin, EndTime: &end})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetPaper(ctx, e.ID, []*examhall.Question{{Type: examhall.QuestionTrueFalse, Stem: "T?", Score: 1, IsTrue: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PublishExam(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	// Committed; the first attempt fails; the server dies before the retry.
	waitFor(t, "the first attempt", 10*time.Second, func() bool {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		return recv.requests >= 1
	})
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	recv.mu.Lock()
	recv.fail = 0
	if len(recv.accepted) != 0 {
		t.Fatalf("delivered before the kill: %v", recv.accepted)
	}
	recv.mu.Unlock()

	srv = start()
	waitFor(t, "the event after the restart", 20*time.Second, func() bool {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		return len(recv.accepted) > 0
	})
	recv.mu.Lock()
	defer recv.mu.Unlock()
	got := recv.accepted[0]
	if got.Type != examhall.HookExamPublished || !bytes.Contains(got.Data, []byte(e.ID)) || len(recv.accepted) != 1 {
		t.Errorf("after the restart: %+v", recv.accepted)
	}
}

// lockedWriter serializes writes of a process's stdout and stderr.
type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
