package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"examhall"
)

// hookMust registers an enabled endpoint for events (all when none).
func hookMust(tb testing.TB, db *DB, events ...string) *examhall.Webhook {
	tb.Helper()
	w := &examhall.Webhook{URL: "http://127.0.0.1:9/hook", Secret: "0123456789abcdef", Events: events, Enabled: true,
		AllowPrivate: true}
	if err := db.CreateWebhook(context.Background(), w); err != nil {
		tb.Fatalf("CreateWebhook: %v", err)
	}
	return w
}

// hookDeliveries returns every delivery, oldest first.
func hookDeliveries(tb testing.TB, db *DB) []*examhall.Delivery {
	tb.Helper()
	ds, _, err := db.FindDeliveries(context.Background(), examhall.DeliveryFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	for i, j := 0, len(ds)-1; i < j; i, j = i+1, j-1 {
		ds[i], ds[j] = ds[j], ds[i]
	}
	return ds
}

// TestOutboxAttemptEvents: starting and submitting attempts writes their
// events for the subscribed endpoints only, with the same data on both
// dialects (PostgreSQL builds submit events in SQL).
func TestOutboxAttemptEvents(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := engineMustExam(t, db)
		engineMustPaper(t, db, exam.ID, engineSingle("q1", 100, 0))
		u1, u2 := engineMustUser(t, db, ""), engineMustUser(t, db, "")
		a0, err := db.StartAttempt(ctx, exam.ID, u1, engineT0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if ds := hookDeliveries(t, db); len(ds) != 0 {
			t.Fatalf("%d deliveries without endpoints", len(ds))
		}
		if _, err := db.SubmitOwnAttempt(ctx, a0.ID, u1, "", engineT0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		all := hookMust(t, db)
		only := hookMust(t, db, examhall.HookAttemptSubmitted)
		off := hookMust(t, db)
		if _, err := db.UpdateWebhook(ctx, off.ID, examhall.WebhookUpdate{Enabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		a, err := db.StartAttempt(ctx, exam.ID, u2, engineT0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveAnswers(ctx, a.ID, []examhall.Answer{{QuestionID: "q1", Choices: []int{0}}}, engineT0.Add(90*time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SubmitOwnAttempt(ctx, a.ID, u2, "", engineT0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		ds := hookDeliveries(t, db)
		type row struct{ hook, typ string }
		var got []row
		for _, d := range ds {
			got = append(got, row{d.WebhookID, d.Type})
			if d.Key != a.ID || d.Status != examhall.DeliveryPending {
				t.Errorf("delivery %+v: key %q status %s", d, d.Key, d.Status)
			}
		}
		want := []row{{all.ID, examhall.HookAttemptStarted},
			{all.ID, examhall.HookAttemptSubmitted}, {only.ID, examhall.HookAttemptSubmitted}, {all.ID, examhall.HookAttemptGraded}}
		if len(got) != len(want) {
			t.Fatalf("deliveries %v, want %v", got, want)
		}
		// By id: started, then submitted (either endpoint first), then graded.
		if got[0] != want[0] || got[3] != want[3] || !(got[1] == want[1] && got[2] == want[2] || got[1] == want[2] && got[2] == want[1]) {
			t.Errorf("deliveries %v, want %v", got, want)
		}
		var sub map[string]any
		var subEvent string
		for _, d := range ds {
			if d.Type == examhall.HookAttemptSubmitted {
				if subEvent != "" && d.EventID != subEvent {
					t.Errorf("one event, two ids: %s, %s", subEvent, d.EventID)
				}
				subEvent = d.EventID
				if err := json.Unmarshal(d.Data, &sub); err != nil {
					t.Fatal(err)
				}
			}
		}
		wantSub := map[string]any{"attemptId": a.ID, "examId": exam.ID, "userId": u2, "reason": "candidate",
			"status": "published", "endTime": "2025-03-01T09:02:00.000Z", "usedSeconds": float64(60)}
		for k, v := range wantSub {
			if sub[k] != v {
				t.Errorf("submitted data %s = %v, want %v (%v)", k, sub[k], v, sub)
			}
		}
		var graded map[string]any
		if err := json.Unmarshal(ds[3].Data, &graded); err != nil {
			t.Fatal(err)
		}
		if graded["score"] != float64(100) || graded["passed"] != true {
			t.Errorf("graded data %v", graded)
		}
	})
}

// TestOutboxReasons: the reaper's submits say deadline, staff's invigilator.
func TestOutboxReasons(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := engineMustExam(t, db)
		engineMustPaper(t, db, exam.ID, engineSingle("q1", 100, 0))
		hookMust(t, db, examhall.HookAttemptSubmitted)
		admin := coreMustUser(t, db, "boss", examhall.RoleAdmin, "")
		late, err := db.StartAttempt(ctx, exam.ID, engineMustUser(t, db, ""), engineT0)
		if err != nil {
			t.Fatal(err)
		}
		forced, err := db.StartAttempt(ctx, exam.ID, engineMustUser(t, db, ""), engineT0)
		if err != nil {
			t.Fatal(err)
		}
		switched, err := db.StartAttempt(ctx, exam.ID, engineMustUser(t, db, ""), engineT0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SubmitAttempt(auditCtx(admin, ""), forced.ID, "", engineT0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SubmitAttempt(ctx, switched.ID, examhall.SubmitSwitchLimit, engineT0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SubmitAttempt(ctx, switched.ID, "bogus", engineT0.Add(time.Minute)); examhall.ErrorCode(err) != examhall.EINVALID {
			t.Errorf("bogus reason: %v", err)
		}
		if n, err := db.SubmitExpiredAttempts(ctx, engineT0.Add(2*time.Hour)); err != nil || n != 1 {
			t.Fatalf("SubmitExpiredAttempts = %d, %v", n, err)
		}
		reasons := map[string]string{}
		for _, d := range hookDeliveries(t, db) {
			var data struct{ AttemptID, Reason string }
			if err := json.Unmarshal(d.Data, &data); err != nil {
				t.Fatal(err)
			}
			reasons[data.AttemptID] = data.Reason
		}
		want := map[string]string{late.ID: "deadline", forced.ID: "invigilator", switched.ID: "switch_limit"}
		for id, r := range want {
			if reasons[id] != r {
				t.Errorf("reason of %s = %q, want %q", id, reasons[id], r)
			}
		}
	})
}

// TestOutboxOtherEvents: exam publishing, grade publishing, room end,
// cheat records and review decisions write their events.
func TestOutboxOtherEvents(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		hookMust(t, db)
		exam := engineMustExam(t, db, func(e *examhall.Exam) { e.Status = examhall.ExamDraft })
		engineMustPaper(t, db, exam.ID, &examhall.Question{ID: "s1", Type: examhall.QuestionShort, Stem: "Why?", Score: 10})
		if _, err := db.UpdateExam(ctx, exam.ID, examhall.ExamUpdate{Status: ptr(examhall.ExamPublished)}); err != nil {
			t.Fatal(err)
		}
		u := engineMustUser(t, db, "")
		a, err := db.StartAttempt(ctx, exam.ID, u, engineT0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SubmitOwnAttempt(ctx, a.ID, u, "", engineT0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.MarkAttempt(ctx, a.ID, map[string]float64{"s1": 8}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.PublishAttempts(ctx, exam.ID, nil); err != nil {
			t.Fatal(err)
		}
		room := coreMustRoom(t, db, exam.ID, u)
		if _, err := db.UpdateRoom(ctx, room.ID, examhall.RoomUpdate{Status: ptr(examhall.RoomEnded)}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateRoom(ctx, room.ID, examhall.RoomUpdate{Status: ptr(examhall.RoomEnded)}); err != nil {
			t.Fatal(err) // ended already: no second event
		}
		if err := db.CreateCheatRecords(ctx, []*examhall.CheatRecord{{ExamID: exam.ID, RoomID: room.ID, UserID: u,
			DetectType: "switch", DetectTime: 1}}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetReview(ctx, &examhall.Review{AttemptID: a.ID, Decision: examhall.DecisionViolation,
			Comment: "phone on the desk", ReviewerID: u}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range hookDeliveries(t, db) {
			got = append(got, d.Type+" "+d.Key)
		}
		want := []string{
			examhall.HookExamPublished + " " + exam.ID,
			examhall.HookAttemptStarted + " " + a.ID,
			examhall.HookAttemptSubmitted + " " + a.ID,
			examhall.HookAttemptGraded + " " + a.ID,
			examhall.HookGradesPublished + " " + exam.ID,
			examhall.HookRoomEnded + " " + room.ID,
			examhall.HookCheatRecorded + " " + exam.ID + "/" + u,
			examhall.HookReviewDecided + " " + a.ID,
		}
		if len(got) != len(want) {
			t.Fatalf("events %q, want %q", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("event %d = %q, want %q", i, got[i], want[i])
			}
		}
	})
}

// TestOutboxRolledBack: an event enqueued in a transaction that rolls back
// is never written.
func TestOutboxRolledBack(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		hookMust(t, db, examhall.HookReviewDecided, examhall.HookAttemptStarted)
		boom := errors.New("boom")
		err := db.transact(ctx, func(tx *sql.Tx) error {
			if err := db.enqueue(ctx, tx, examhall.HookReviewDecided, "a1", map[string]string{"attemptId": "a1"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		exam := engineMustExam(t, db)
		_, err = db.StartAttempt(ctx, exam.ID, engineMustUser(t, db, ""), engineT0.Add(-time.Hour))
		engineWantCode(t, "start before the window", err, examhall.EINVALID)
		if ds := hookDeliveries(t, db); len(ds) != 0 {
			t.Errorf("%d deliveries after rolled-back writes", len(ds))
		}
	})
}

// TestClaimOrder: only the oldest pending delivery of a key is claimed;
// a leased one is not claimed again until its lease runs out; a failure is
// retried when due and failed past its window.
func TestClaimOrder(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := hookMust(t, db)
		t0 := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return t0 }
		for _, k := range []string{"a", "a", "b"} {
			if err := db.transact(ctx, func(tx *sql.Tx) error {
				return db.enqueue(ctx, tx, examhall.HookReviewDecided, k, map[string]string{"k": k})
			}); err != nil {
				t.Fatal(err)
			}
		}
		claim := func(at time.Time) []*examhall.Delivery {
			t.Helper()
			ds, err := db.ClaimDeliveries(ctx, at, time.Minute, 10)
			if err != nil {
				t.Fatal(err)
			}
			return ds
		}
		ds := claim(t0)
		if len(ds) != 2 || ds[0].Key != "a" || ds[1].Key != "b" || ds[0].URL != w.URL || ds[0].Secret != w.Secret ||
			ds[0].Attempts != 1 {
			t.Fatalf("first claim %+v", ds)
		}
		first := ds[0]
		if again := claim(t0.Add(30 * time.Second)); len(again) != 0 {
			t.Fatalf("claimed leased deliveries again: %+v", again)
		}
		// The lease ran out (the sender died): claimed again, same event.
		ds = claim(t0.Add(2 * time.Minute))
		if len(ds) != 2 || ds[0].EventID != first.EventID || ds[0].Attempts != 2 {
			t.Fatalf("after the lease %+v", ds)
		}
		at := t0.Add(2 * time.Minute)
		if err := db.FinishDeliveries(ctx, []examhall.DeliveryResult{
			{ID: ds[0].ID, OK: true, Try: examhall.DeliveryTry{At: at, Code: 200}},
			{ID: ds[1].ID, Retry: at.Add(time.Hour), Try: examhall.DeliveryTry{At: at, Code: 500, Error: "HTTP 500"}},
		}); err != nil {
			t.Fatal(err)
		}
		ds = claim(at)
		if len(ds) != 1 || ds[0].Key != "a" || ds[0].ID == first.ID {
			t.Fatalf("after the first of a: %+v", ds)
		}
		for _, d := range claim(at.Add(30 * time.Minute)) { // the second a, its lease over
			if d.Key == "b" {
				t.Fatalf("claimed b before its retry: %+v", d)
			}
		}
		b, err := db.FindDeliveryByID(ctx, first.ID+2)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status != examhall.DeliveryPending || b.LastCode != 500 || len(b.Tries) != 1 || !b.NextAt.Equal(at.Add(time.Hour)) {
			t.Errorf("retried delivery %+v", b)
		}
		// A retry past the 24-hour window fails it; redelivery revives it.
		if err := db.FinishDeliveries(ctx, []examhall.DeliveryResult{{ID: ds[0].ID, Retry: t0.Add(25 * time.Hour),
			Try: examhall.DeliveryTry{At: at, Error: "connection refused"}}}); err != nil {
			t.Fatal(err)
		}
		d, err := db.FindDeliveryByID(ctx, ds[0].ID)
		if err != nil || d.Status != examhall.DeliveryFailed || d.LastError != "connection refused" {
			t.Fatalf("past the window: %+v, %v", d, err)
		}
		_, err = db.RedeliverDelivery(ctx, b.ID)
		engineWantCode(t, "redeliver a pending one", err, examhall.ECONFLICT)
		d, err = db.RedeliverDelivery(ctx, d.ID)
		if err != nil || d.Status != examhall.DeliveryPending {
			t.Fatalf("redeliver: %+v, %v", d, err)
		}
		if ds := claim(t0); len(ds) != 1 || ds[0].ID != d.ID {
			t.Errorf("redelivered not claimed: %+v", ds)
		}
		if _, err := db.RedeliverDelivery(ctx, 999999); examhall.ErrorCode(err) != examhall.ENOTFOUND {
			t.Errorf("unknown delivery: %v", err)
		}
	})
}

// TestClaimConcurrent: claimers racing on one store never hold the same
// delivery at once, and each key's deliveries are claimed in order.
func TestClaimConcurrent(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		hookMust(t, db)
		const keys, perKey = 20, 5
		for i := range perKey {
			if err := db.transact(ctx, func(tx *sql.Tx) error {
				var events []hookEvent
				for k := range keys {
					events = append(events, hookEvent{typ: examhall.HookReviewDecided, key: string(rune('A' + k)), data: map[string]int{"n": i}})
				}
				return db.enqueueAll(ctx, tx, events)
			}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		last := map[string]int64{}
		delivered := 0
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				for {
					ds, err := db.ClaimDeliveries(ctx, time.Now(), time.Hour, 7)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					if delivered == keys*perKey {
						mu.Unlock()
						return
					}
					var results []examhall.DeliveryResult
					for _, d := range ds {
						if d.ID <= last[d.Key] {
							errs <- errors.New("out of order or twice: " + d.Key)
						}
						last[d.Key] = d.ID
						delivered++
						results = append(results, examhall.DeliveryResult{ID: d.ID, OK: true, Try: examhall.DeliveryTry{At: time.Now()}})
					}
					mu.Unlock()
					if err := db.FinishDeliveries(ctx, results); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if delivered != keys*perKey {
			t.Errorf("delivered %d, want %d", delivered, keys*perKey)
		}
	})
}
