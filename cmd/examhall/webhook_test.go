package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"examhall"
	"examhall/auth"
	"examhall/client"
	"examhall/webhook"
)

// receiver is a webhook endpoint for tests: it answers 500 to the first
// fail requests, checks every request's signature and records the events
// it accepted, in order.
type receiver struct {
	secret string

	mu       sync.Mutex
	fail     int
	requests int
	accepted []webhook.Event
	seen     map[string]int // accepted deliveries per event ID
	bad      []string       // requests whose signature did not verify
}

func newReceiver(secret string, fail int) *receiver {
	return &receiver{secret: secret, fail: fail, seen: map[string]int{}}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests++
	err := webhook.Verify(rc.secret, r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature),
		body, time.Now(), 5*time.Minute)
	if err != nil {
		rc.bad = append(rc.bad, err.Error())
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rc.fail > 0 {
		rc.fail--
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	var e webhook.Event
	if err := json.Unmarshal(body, &e); err != nil || e.ID != r.Header.Get(webhook.HeaderEventID) {
		rc.bad = append(rc.bad, "body "+string(body))
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	rc.accepted = append(rc.accepted, e)
	rc.seen[e.ID]++
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// startSender runs m's webhook sender with short waits until the test ends.
func startSender(t *testing.T, m *Main) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	m.Sender.Poll = 10 * time.Millisecond
	m.Sender.Backoff = func(int) time.Duration { return 20 * time.Millisecond }
	go func() { defer close(done); m.Sender.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// mustAdminClient creates an admin and returns a client logged in as them.
func mustAdminClient(t *testing.T, m *Main, url string) (*client.Client, *examhall.User) {
	t.Helper()
	ctx := context.Background()
	hash, err := auth.HashPassword("admin-password")
	if err != nil {
		t.Fatal(err)
	}
	u := &examhall.User{Account: "root", Name: "Root", Role: examhall.RoleAdmin, PasswordHash: hash}
	if err := m.DB.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	c := client.New(url)
	if _, err := c.Login(ctx, "root", "admin-password"); err != nil {
		t.Fatal(err)
	}
	return c, u
}

// TestWebhooks registers an endpoint through the API whose first three
// answers are errors, makes an exam and an attempt happen, and checks every
// event arrives signed, in order per attempt, with its deliveries visible
// and redeliverable.
func TestWebhooks(t *testing.T) {
	testMains(t, func(t *testing.T, m *Main) {
		ctx := context.Background()
		ts := httptest.NewServer(m.Handler)
		t.Cleanup(ts.Close)
		admin, root := mustAdminClient(t, m, ts.URL)
		const secret = "whsec_test_0123456789"
		recv := newReceiver(secret, 3)
		rs := httptest.NewServer(recv)
		t.Cleanup(rs.Close)

		events := []string{examhall.HookExamPublished, examhall.HookAttemptStarted, examhall.HookAttemptSubmitted, examhall.HookAttemptGraded}
		_, err := admin.CreateWebhook(ctx, client.WebhookRequest{URL: &rs.URL, Secret: ptr(secret), Events: &events})
		if examhall.ErrorCode(err) != examhall.EINVALID {
			t.Fatalf("loopback endpoint without allowPrivate: err %v, want invalid", err)
		}
		hook, err := admin.CreateWebhook(ctx, client.WebhookRequest{URL: &rs.URL, Secret: ptr(secret), Events: &events,
			AllowPrivate: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		if hook.Secret != secret || !hook.Enabled {
			t.Fatalf("created %+v", hook)
		}

		exam := &examhall.Exam{Name: "Hooked", BeginTime: time.Now().Add(-time.Hour), EndTime: time.Now().Add(time.Hour),
			AnswerMinutes: 30, PassScore: 1, PaperScore: 2, AllowTimes: 1, Audience: examhall.AudienceAll, Status: examhall.ExamDraft}
		if err := m.DB.CreateExam(ctx, exam); err != nil {
			t.Fatal(err)
		}
		if err := m.DB.SetPaper(ctx, exam.ID, []*examhall.Question{{ID: "q1", Type: examhall.QuestionTrueFalse, Stem: "T?", Score: 2, IsTrue: true}}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.DB.UpdateExam(ctx, exam.ID, examhall.ExamUpdate{Status: ptr(examhall.ExamPublished)}); err != nil {
			t.Fatal(err)
		}
		cand := &examhall.User{Account: "cand", Name: "Cand", Role: examhall.RoleExaminee}
		if err := m.DB.CreateUser(ctx, cand); err != nil {
			t.Fatal(err)
		}
		a, err := m.DB.StartAttempt(ctx, exam.ID, cand.ID, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.DB.SubmitOwnAttempt(ctx, a.ID, cand.ID, "", time.Now()); err != nil {
			t.Fatal(err)
		}

		startSender(t, m)
		waitFor(t, "four events", 20*time.Second, func() bool {
			recv.mu.Lock()
			defer recv.mu.Unlock()
			return len(recv.seen) == 4
		})
		recv.mu.Lock()
		if len(recv.bad) > 0 {
			t.Errorf("requests failing verification: %v", recv.bad)
		}
		var order []string
		for _, e := range recv.accepted {
			if e.Type != examhall.HookExamPublished {
				order = append(order, e.Type)
			}
			if e.Type == examhall.HookAttemptSubmitted && !strings.Contains(string(e.Data), `"reason":"candidate"`) {
				t.Errorf("submitted data %s", e.Data)
			}
		}
		requests := recv.requests
		recv.mu.Unlock()
		if strings.Join(order, ",") != "attempt.started,attempt.submitted,attempt.graded" {
			t.Errorf("attempt events arrived as %v", order)
		}

		// The sender records a round's outcomes after its requests.
		waitFor(t, "the outcomes recorded", 10*time.Second, func() bool {
			_, n, err := admin.Deliveries(ctx, hook.ID, examhall.DeliveryDelivered, client.Page{})
			return err == nil && n == 4
		})
		ds, total, err := admin.Deliveries(ctx, hook.ID, "", client.Page{})
		if err != nil {
			t.Fatal(err)
		}
		attempts := 0
		for _, d := range ds {
			attempts += d.Attempts
			if d.Status != examhall.DeliveryDelivered || d.LastCode != 200 {
				t.Errorf("delivery %+v, want delivered with 200", d)
			}
		}
		if total != 4 || attempts != requests || requests != 7 {
			t.Errorf("%d deliveries with %d attempts for %d requests; want 4 deliveries, 7 attempts (3 failed)", total, attempts, requests)
		}
		d, err := admin.Redeliver(ctx, hook.ID, ds[0].ID)
		if err != nil || d.Status != examhall.DeliveryPending {
			t.Fatalf("Redeliver: %+v, %v", d, err)
		}
		waitFor(t, "the redelivery", 10*time.Second, func() bool {
			recv.mu.Lock()
			defer recv.mu.Unlock()
			return recv.seen[ds[0].EventID] == 2
		})

		// Registering the endpoint and redelivering were audited.
		es, _, err := admin.ListAudit(ctx, client.AuditFilter{ActorID: root.ID})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range es {
			actions = append(actions, e.ObjectType+" "+e.Action)
		}
		if strings.Join(actions, ",") != "delivery redeliver,webhook create" {
			t.Errorf("audit of the admin: %v", actions)
		}
	})
}

// TestAuditSurfaces makes staff writes through /api/v1 and /exam/ and
// checks each leaves exactly one audit row naming its actor and client
// address, while candidates' writes and refused writes leave none.
func TestAuditSurfaces(t *testing.T) {
	testMains(t, func(t *testing.T, m *Main) {
		res := seed(t, m)
		count := func() int {
			t.Helper()
			_, n, err := m.DB.FindAuditEntries(context.Background(), examhall.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		last := func() *examhall.AuditEntry {
			t.Helper()
			es, _, err := m.DB.FindAuditEntries(context.Background(), examhall.AuditFilter{Limit: 1})
			if err != nil || len(es) == 0 {
				t.Fatalf("no audit entry: %v", err)
			}
			return es[0]
		}
		if n := count(); n != 0 {
			t.Fatalf("seeding without a caller left %d audit rows", n)
		}
		adminTok := bearerOf(t, m, res, examhall.RoleAdmin)
		examinees, invTok := joinLinks(t, res)
		var examinee, examineeTok string
		for id, tok := range examinees {
			examinee, examineeTok = id, tok
			break
		}

		tests := []struct {
			surface, method, path, token string
			body                         any
			status                       int
			rows                         int
			role                         examhall.Role
			object, action               string
		}{
			{"/api/v1", "PATCH", "/api/v1/users/" + examinee, adminTok, map[string]string{"name": "Renamed"}, 200, 1,
				examhall.RoleAdmin, "user", "update"},
			{"/exam/", "POST", "/exam/updateRoomAudioStatus", invTok, map[string]any{"id": res.RoomID, "audioStatus": 1}, 200, 1,
				examhall.RoleInvigilator, "room", "update"},
			{"/exam/", "GET", "/exam/endRoom?roomId=" + res.RoomID, invTok, nil, 200, 1,
				examhall.RoleInvigilator, "room", "end"},
			{"/exam/ candidate", "POST", "/exam/cheat/addCheatRecord", examineeTok, map[string]any{"examId": res.ExamID,
				"roomId": res.RoomID, "data": `[{"detectTime":1,"isMainMonitor":true,"detectType":"11","userId":"` + examinee + `"}]`}, 200, 0, "", "", ""},
			{"/api/v1 refused", "POST", "/api/v1/departments", adminTok, map[string]string{"name": "A/B"}, 400, 0, "", "", ""},
			{"/api/v1 conflict", "POST", "/api/v1/users", adminTok, map[string]string{"account": res.Logins[0].Account,
				"name": "Dup", "role": "examinee"}, 409, 0, "", "", ""},
		}
		for _, tt := range tests {
			before := count()
			code, out := call(t, m, tt.method, tt.path, tt.token, tt.body)
			if code != tt.status {
				t.Fatalf("%s %s %s = %d %v, want %d", tt.surface, tt.method, tt.path, code, out, tt.status)
			}
			if got := count() - before; got != tt.rows {
				t.Errorf("%s %s %s: %d audit rows, want %d", tt.surface, tt.method, tt.path, got, tt.rows)
				continue
			}
			if tt.rows == 0 {
				continue
			}
			e := last()
			if e.ActorRole != tt.role || e.ObjectType != tt.object || e.Action != tt.action || e.ClientAddr != "192.0.2.1" || e.ActorID == "" {
				t.Errorf("%s %s %s: entry %+v, want %s %s %s from 192.0.2.1", tt.surface, tt.method, tt.path, e, tt.role, tt.object, tt.action)
			}
		}

		code, out := call(t, m, "GET", "/api/v1/audit?action=update", adminTok, nil)
		if items, _ := out["items"].([]any); code != 200 || out["total"] != float64(2) || len(items) != 2 {
			t.Errorf("GET /api/v1/audit?action=update = %d %v", code, out)
		}
		if code, _ := call(t, m, "GET", "/api/v1/audit", bearerOf(t, m, res, examhall.RoleInvigilator), nil); code != 403 {
			t.Errorf("invigilator GET /api/v1/audit = %d, want 403", code)
		}
		r := httptest.NewRequest("GET", "/api/v1/audit/export", nil)
		r.Header.Set("Authorization", adminTok)
		w := httptest.NewRecorder()
		m.Handler.ServeHTTP(w, r)
		lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(w.Body.String(), "\ufeff")), "\n")
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || len(lines) != 4 ||
			!strings.HasPrefix(lines[0], "id,time,actorId") || !strings.Contains(lines[1], ",room,"+res.RoomID+",end,") {
			t.Errorf("export = %d %q", w.Code, w.Body.String())
		}
	})
}

func ptr[T any](v T) *T { return &v }
