package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"examhall"
	"examhall/auth"
	"examhall/store"
	"examhall/web"
)

// BenchmarkResultsPage100k renders the results page (GET /results/{exam},
// the whole handler stack, signed in as an admin) of an exam with 100,000
// published attempts of a 10-question paper, on SQLite and, with
// EXAMHALL_TEST_POSTGRES, on PostgreSQL. "warm" is a page whose item
// analysis and departments exam_results already holds; "cold" recomputes
// them (the first view after new publications).
func BenchmarkResultsPage100k(b *testing.B) {
	if testing.Short() {
		b.Skip("big data set")
	}
	run := func(b *testing.B, dsn string) {
		ctx := context.Background()
		m := MustOpenMain(b, dsn)
		db := m.DB
		if err := db.Generate(ctx, store.GenOptions{Exams: 1, Candidates: 100_000, Attempts: 100_000}); err != nil {
			b.Fatal(err)
		}
		exams, _, err := db.FindExams(ctx, examhall.ExamFilter{Limit: 1})
		must(b, err)
		examID := exams[0].ID
		hash, err := auth.HashPassword("bench password 1")
		must(b, err)
		must(b, db.CreateUser(ctx, &examhall.User{Account: "benchadmin", Name: "Admin", Role: examhall.RoleAdmin, PasswordHash: hash}))
		token, _, err := m.Auth.Login(ctx, "benchadmin", "bench password 1", "127.0.0.1")
		must(b, err)
		get := func(b *testing.B) {
			r := httptest.NewRequest("GET", "/results/"+examID, nil)
			r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: token})
			w := httptest.NewRecorder()
			m.Handler.ServeHTTP(w, r)
			if w.Code != 200 || !strings.Contains(w.Body.String(), `data-stat="attempts">100000<`) {
				b.Fatalf("status %d\n%.2000s", w.Code, w.Body.String())
			}
		}
		b.Run("warm", func(b *testing.B) {
			get(b)
			for b.Loop() {
				get(b)
			}
		})
		b.Run("cold", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				must(b, db.ForgetResults(ctx, examID))
				b.StartTimer()
				get(b)
			}
		})
	}
	b.Run("sqlite", func(b *testing.B) { run(b, "") })
	if dsn := os.Getenv("EXAMHALL_TEST_POSTGRES"); dsn != "" {
		b.Run("postgres", func(b *testing.B) { run(b, mustSchema(b, dsn)) })
	}
}
