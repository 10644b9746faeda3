package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"examhall"
	"examhall/web"
)

// BenchmarkAutosaveLoad is the take page's autosave under an exam's load:
// 2,000 candidates, each with their own session and connection, saving two
// changed answers every 5 s (each at its own phase) through POST
// /attempts/{id}/answers of a server listening on loopback, as their pages
// do. b.N is the number of saves (-benchtime 12000x is 30 s). It reports
// p50/p99/max latency and then checks that every candidate's last save is
// what the store holds: no save lost or applied out of order. With
// EXAMHALL_TEST_POSTGRES set, on PostgreSQL too.
func BenchmarkAutosaveLoad(b *testing.B) {
	run := func(b *testing.B, m *Main) {
		const (
			candidates = 2000
			every      = 5 * time.Second
		)
		base := serveMain(b, m)
		pages := benchPages(b, m, base, candidates)
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: candidates, MaxIdleConnsPerHost: candidates, IdleConnTimeout: time.Minute,
		}}
		rounds := max(1, (b.N+candidates-1)/candidates)
		lat := make([]time.Duration, 0, rounds*candidates)
		var (
			mu     sync.Mutex
			failed atomic.Int64
			wg     sync.WaitGroup
		)
		start := time.Now()
		b.ResetTimer()
		for i, p := range pages {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Pages load over the first interval, then save every 5 s.
				time.Sleep(time.Duration(rand.Int64N(int64(every))))
				next := time.Now()
				for seq := 1; seq <= rounds; seq++ {
					d, err := p.save(client, base, seq)
					if err != nil {
						if failed.Add(1) <= 3 {
							b.Logf("candidate %d save %d: %v", i, seq, err)
						}
					}
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
					next = next.Add(every)
					time.Sleep(time.Until(next))
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		slices.Sort(lat)
		q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))]) / 1e6 }
		b.ReportMetric(q(0.5), "p50-ms")
		b.ReportMetric(q(0.99), "p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "saves/s")
		b.ReportMetric(float64(failed.Load()), "failed")
		if failed.Load() > 0 {
			b.Fatalf("%d saves failed", failed.Load())
		}
		// Every candidate's last save is what the store holds.
		ctx := context.Background()
		for _, p := range pages {
			a, err := m.DB.FindAttemptByID(ctx, p.attempt)
			must(b, err)
			if got, want := a.Answers["essay"].Text, fmt.Sprintf("draft %d", rounds); got != want {
				b.Fatalf("attempt %s holds %q, want %q: a save was lost or applied out of order", p.attempt, got, want)
			}
		}
	}
	b.Run("sqlite", func(b *testing.B) { run(b, MustOpenMain(b, "")) })
	if dsn := os.Getenv("EXAMHALL_TEST_POSTGRES"); dsn != "" {
		b.Run("postgres", func(b *testing.B) { run(b, MustOpenMain(b, mustSchema(b, dsn))) })
	}
}

// serveMain runs m on a loopback port until the test ends and returns its
// base URL.
func serveMain(tb testing.TB, m *Main) string {
	tb.Helper()
	m.Config.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	for range 200 {
		if m.Addr() != "" {
			return "http://" + m.Addr()
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatal("the server did not start")
	return ""
}

// benchPage is one candidate's take page: the cookies and CSRF token its
// requests carry.
type benchPage struct {
	attempt, cookie, csrf, device string
}

var csrfInPage = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// benchPages starts an attempt of a 20-question exam for each of n new
// candidates and opens its take page, as a browser would, for its cookies.
func benchPages(tb testing.TB, m *Main, base string, n int) []*benchPage {
	tb.Helper()
	ctx := context.Background()
	now := time.Now()
	exam := &examhall.Exam{Name: "autosave bench", BeginTime: now.Add(-time.Hour), EndTime: now.Add(3 * time.Hour),
		AnswerMinutes: 120, PassScore: 60, AllowTimes: 1, IntegralRate: 0.1,
		Audience: examhall.AudienceAll, Status: examhall.ExamPublished}
	must(tb, m.DB.CreateExam(ctx, exam))
	qs := []*examhall.Question{{ID: "essay", Type: examhall.QuestionShort, Stem: "Essay", Score: 5}}
	for i := range 19 {
		qs = append(qs, &examhall.Question{ID: fmt.Sprintf("q%02d", i), Type: examhall.QuestionSingle,
			Stem: fmt.Sprintf("Question %d", i), Score: 5, Options: []string{"A", "B", "C", "D"}, Correct: []int{i % 4}})
	}
	must(tb, m.DB.SetPaper(ctx, exam.ID, qs))
	users := make([]*examhall.User, n)
	for i := range users {
		users[i] = &examhall.User{Account: fmt.Sprintf("s%06d", i), Name: "Candidate", Role: examhall.RoleExaminee}
	}
	must(tb, m.DB.ImportUsers(ctx, users))
	pages := make([]*benchPage, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 32)
	for i, u := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			p, err := openPage(ctx, m, base, exam.ID, u, now)
			pages[i] = p
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	return pages
}

// openPage starts u's attempt and reads its take page with u's session.
func openPage(ctx context.Context, m *Main, base, examID string, u *examhall.User, now time.Time) (*benchPage, error) {
	a, err := m.DB.StartAttempt(ctx, examID, u.ID, now)
	if err != nil {
		return nil, err
	}
	tok, _, err := m.Auth.Session(u)
	if err != nil {
		return nil, err
	}
	req, _ := http.NewRequest("GET", base+"/attempts/"+a.ID, nil)
	req.Header.Set("Cookie", web.SessionCookie+"="+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	csrf := csrfInPage.FindSubmatch(body)
	var csrfCookie string
	for _, c := range res.Cookies() {
		if c.Name == "examhall_csrf" {
			csrfCookie = c.Value
		}
	}
	if res.StatusCode != http.StatusOK || csrf == nil || csrfCookie == "" {
		return nil, fmt.Errorf("take page of %s: %d", u.Account, res.StatusCode)
	}
	return &benchPage{attempt: a.ID, cookie: web.SessionCookie + "=" + tok + "; examhall_csrf=" + csrfCookie,
		csrf: string(csrf[1]), device: "bench-" + u.Account}, nil
}

// save sends save number seq, changing the essay and one choice.
func (p *benchPage) save(client *http.Client, base string, seq int) (time.Duration, error) {
	body, _ := json.Marshal(map[string]any{"device": p.device, "seq": seq, "answers": []examhall.Answer{
		{QuestionID: "essay", Text: fmt.Sprintf("draft %d", seq)},
		{QuestionID: fmt.Sprintf("q%02d", seq%19), Choices: []int{seq % 4}},
	}})
	req, _ := http.NewRequest("POST", base+"/attempts/"+p.attempt+"/answers", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", p.cookie)
	req.Header.Set(web.CSRFHeader, p.csrf)
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return time.Since(start), err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	d := time.Since(start)
	if res.StatusCode != http.StatusOK {
		return d, fmt.Errorf("status %d", res.StatusCode)
	}
	return d, nil
}
