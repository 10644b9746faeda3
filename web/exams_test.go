package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"examhall"
	"examhall/sheet"
)

// examForm is a valid exam form; with overrides some fields.
func examForm(with url.Values) url.Values {
	form := url.Values{
		"name": {"Safety 2026"}, "begin": {"2026-12-10T09:00"}, "end": {"2026-12-10T11:00"}, "minutes": {"60"},
		"allowTimes": {"2"}, "passScore": {"60"}, "integralRate": {"0.1"}, "shuffleOptions": {"1"}, "audience": {"all"},
	}
	for k, v := range with {
		form[k] = v
	}
	return form
}

func (s *staff) examCount() int {
	s.t.Helper()
	_, n, err := s.db.FindExams(context.Background(), examhall.ExamFilter{Limit: 1})
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

func TestExamPages(t *testing.T) {
	s := mustStaff(t)
	ctx := context.Background()
	sales, err := s.db.EnsureDepartmentPath(ctx, "Acme/Sales")
	if err != nil {
		t.Fatal(err)
	}
	b := s.as(s.admin)
	b.get("/admin/exams/new")
	for _, tt := range []struct {
		name  string
		with  url.Values
		field string
	}{
		{"no name", url.Values{"name": {""}}, "name"},
		{"bad begin", url.Values{"begin": {"tomorrow"}}, "begin"},
		{"end before begin", url.Values{"end": {"2026-12-10T08:00"}}, "end"},
		{"negative minutes", url.Values{"minutes": {"-1"}}, "minutes"},
		{"no attempts", url.Values{"allowTimes": {"0"}}, "allowTimes"},
		{"pass score not a number", url.Values{"passScore": {"lots"}}, "passScore"},
		{"unknown audience", url.Values{"audience": {"everyone"}}, "audience"},
		{"departments without any", url.Values{"audience": {"depts"}}, "depts"},
		{"unknown account", url.Values{"audience": {"users"}, "accounts": {"cand\nghost"}}, "accounts"},
		{"negative switch limit", url.Values{"switchLimit": {"-1"}}, "switchLimit"},
		{"snapshots too often", url.Values{"snapshotSeconds": {"1"}}, "snapshotSeconds"},
		{"absence too long", url.Values{"switchMaxSeconds": {"99999"}}, "switchMaxSeconds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := b.send("/admin/exams", examForm(tt.with))
			if status != 400 {
				t.Fatalf("status %d, want 400", status)
			}
			mustContain(t, "form", body, `id="err-`+tt.field+`"`, `role="alert"`)
		})
	}
	if n := s.examCount(); n != 0 {
		t.Fatalf("%d exams after bad input", n)
	}
	status, loc, _ := b.send("/admin/exams", examForm(url.Values{"audience": {"depts"}, "depts": {sales.ID}}))
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/exams/") {
		t.Fatalf("create: %d %s", status, loc)
	}
	es, _, _ := s.db.FindExams(ctx, examhall.ExamFilter{})
	e := es[0]
	want := time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
	if !e.BeginTime.Equal(want) || e.AnswerMinutes != 60 || e.AllowTimes != 2 || !e.ShuffleOptions || e.ShuffleQuestions ||
		e.Audience != examhall.AudienceDepts || len(e.AudienceDeptIDs) != 1 || e.Status != examhall.ExamDraft || e.CreatedBy != s.admin.ID {
		t.Fatalf("created exam: %+v", e)
	}
	// The edit page shows the stored values; a bad edit writes nothing.
	_, body := b.get("/admin/exams/" + e.ID)
	mustContain(t, "edit page", body, `value="2026-12-10T09:00"`, `value="`+sales.ID+`" checked`, `id="proctoring-settings"`)
	if status, _, _ := b.send("/admin/exams/"+e.ID, examForm(url.Values{"name": {"Renamed"}, "allowTimes": {"x"}})); status != 400 {
		t.Fatalf("bad edit: %d", status)
	}
	if got, _ := s.db.FindExamByID(ctx, e.ID); got.Name != "Safety 2026" {
		t.Fatal("a bad edit wrote")
	}
	if status, _, _ := b.send("/admin/exams/"+e.ID, examForm(url.Values{"name": {"Renamed"}, "audience": {"users"}, "accounts": {"cand"}})); status != http.StatusSeeOther {
		t.Fatalf("edit: %d", status)
	}
	if got, _ := s.db.FindExamByID(ctx, e.ID); got.Name != "Renamed" || len(got.AudienceUserIDs) != 1 || got.AudienceUserIDs[0] != s.cand.ID || len(got.AudienceDeptIDs) != 0 {
		t.Fatalf("edited exam: %+v", got)
	}
	// The proctoring settings are part of the form.
	if status, _, _ := b.send("/admin/exams/"+e.ID, examForm(url.Values{"name": {"Renamed"}, "audience": {"users"}, "accounts": {"cand"}, "proctored": {"1"}, "switchLimit": {"4"},
		"switchMaxSeconds": {"30"}, "snapshotSeconds": {"20"}, "requireFullscreen": {"1"}})); status != http.StatusSeeOther {
		t.Fatalf("proctoring edit: %d", status)
	}
	if got, _ := s.db.FindExamByID(ctx, e.ID); got.Proctoring != (examhall.Proctoring{Enabled: true, SwitchLimit: 4,
		SwitchMaxSeconds: 30, SnapshotSeconds: 20, RequireFullscreen: true}) {
		t.Fatalf("proctoring settings: %+v", got.Proctoring)
	}

	// Publishing an exam without a paper is refused with the reason.
	_, body = b.get("/admin/exams/" + e.ID + "/status?to=published")
	mustContain(t, "confirmation", body, "no questions yet")
	if status, _, _ := b.send("/admin/exams/"+e.ID+"/status", url.Values{"to": {"published"}}); status != http.StatusConflict {
		t.Fatalf("publish without paper: %d", status)
	}
	if err := s.db.SetPaper(ctx, e.ID, []*examhall.Question{{ID: "q1", Type: examhall.QuestionTrueFalse, Stem: "OK?", Score: 5, IsTrue: true}}); err != nil {
		t.Fatal(err)
	}
	_, body = b.get("/admin/exams/" + e.ID + "/status?to=published")
	mustContain(t, "confirmation", body, `id="confirm-status"`, "1 question(s)")
	if got, _ := s.db.FindExamByID(ctx, e.ID); got.Status != examhall.ExamDraft {
		t.Fatal("the confirmation page published")
	}
	if status, _, _ := b.send("/admin/exams/"+e.ID+"/status", url.Values{"to": {"published"}}); status != http.StatusSeeOther {
		t.Fatalf("publish: %d", status)
	}
	if got, _ := s.db.FindExamByID(ctx, e.ID); got.Status != examhall.ExamPublished {
		t.Fatalf("status %s", got.Status)
	}
	if status, _, _ := b.send("/admin/exams/"+e.ID+"/status", url.Values{"to": {"deleted"}}); status != 400 {
		t.Fatalf("unknown status: %d", status)
	}

	// The list filters by status and name.
	other := &examhall.Exam{Name: "Other", BeginTime: want, EndTime: want.Add(time.Hour), AllowTimes: 1, Audience: examhall.AudienceAll, Status: examhall.ExamDraft}
	if err := s.db.CreateExam(ctx, other); err != nil {
		t.Fatal(err)
	}
	_, body = b.get("/admin/exams?status=published")
	if !strings.Contains(body, "Renamed") || strings.Contains(body, ">Other<") {
		t.Errorf("status filter:\n%s", body)
	}
	_, body = b.get("/admin/exams?q=oth")
	if strings.Contains(body, "Renamed") || !strings.Contains(body, ">Other<") {
		t.Errorf("name filter:\n%s", body)
	}
	if status, _ := b.get("/admin/exams?status=gone"); status != 400 {
		t.Errorf("bad status filter: %d", status)
	}

	// Overrides: bad input refused, then saved and removed.
	for _, bad := range []url.Values{
		{"account": {"ghost"}, "extraMinutes": {"10"}},
		{"account": {"cand"}, "extraMinutes": {"-5"}},
		{"account": {"cand"}, "obegin": {"2026-12-10T10:00"}, "oend": {"2026-12-10T09:30"}},
	} {
		if status, _, body := b.send("/admin/exams/"+e.ID+"/overrides", bad); status != 400 || !strings.Contains(body, `role="alert"`) {
			t.Errorf("override %v: %d", bad, status)
		}
	}
	if os, _ := s.db.FindOverrides(ctx, e.ID); len(os) != 0 {
		t.Fatal("a bad override wrote")
	}
	if status, _, _ := b.send("/admin/exams/"+e.ID+"/overrides", url.Values{"account": {"cand"}, "extraMinutes": {"15"}, "extraAttempts": {"1"}}); status != http.StatusSeeOther {
		t.Fatalf("override: %d", status)
	}
	o, err := s.db.FindOverride(ctx, e.ID, s.cand.ID)
	if err != nil || o.ExtraMinutes != 15 || o.ExtraAttempts != 1 || o.BeginTime != nil {
		t.Fatalf("override: %+v %v", o, err)
	}
	_, body = b.get("/admin/exams/" + e.ID)
	mustContain(t, "overrides", body, `data-user-id="`+s.cand.ID+`"`)
	if status, _, _ := b.send("/admin/exams/"+e.ID+"/overrides/"+s.cand.ID+"/delete", nil); status != http.StatusSeeOther {
		t.Fatalf("delete override: %d", status)
	}
	if _, err := s.db.FindOverride(ctx, e.ID, s.cand.ID); examhall.ErrorCode(err) != examhall.ENOTFOUND {
		t.Fatalf("override still there: %v", err)
	}
}

// questionForm is a valid single-choice question form.
func questionForm(with url.Values) url.Values {
	form := url.Values{"type": {"single"}, "stem": {"2 + 2?"}, "score": {"5"}, "options": {"3\n4\n5"}, "answer": {"B"}}
	for k, v := range with {
		form[k] = v
	}
	return form
}

func TestPaperEditor(t *testing.T) {
	s := mustStaff(t)
	ctx := context.Background()
	e := &examhall.Exam{Name: "Quiz", BeginTime: s.now.Add(-time.Hour), EndTime: s.now.Add(time.Hour), AllowTimes: 1,
		Audience: examhall.AudienceAll, Status: examhall.ExamPublished}
	if err := s.db.CreateExam(ctx, e); err != nil {
		t.Fatal(err)
	}
	paper := func() []*examhall.Question {
		qs, err := s.db.FindPaper(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		return qs
	}
	base := "/admin/exams/" + e.ID + "/paper"
	b := s.as(s.admin)
	b.get(base + "/new")
	for _, form := range []url.Values{
		questionForm(nil),
		questionForm(url.Values{"type": {"multiple"}, "stem": {"Primes"}, "options": {"2\n4\n5"}, "answer": {"A,C"}}),
		questionForm(url.Values{"type": {"truefalse"}, "stem": {"Sky is blue"}, "options": {""}, "answer": {"true"}}),
		questionForm(url.Values{"type": {"fill"}, "stem": {"__ and __"}, "options": {""}, "answer": {"salt;NaCl|pepper"}, "loose": {"1"}}),
		questionForm(url.Values{"type": {"short"}, "stem": {"Explain"}, "score": {"10"}, "options": {""}, "answer": {""}, "reference": {"Because."}}),
	} {
		if status, loc, body := b.send(base, form); status != http.StatusSeeOther || !strings.HasPrefix(loc, base) {
			t.Fatalf("add %s: %d\n%s", form.Get("type"), status, body)
		}
	}
	qs := paper()
	if len(qs) != 5 || qs[1].Correct[1] != 2 || !qs[2].IsTrue || qs[3].Blanks[0][1] != "NaCl" || !qs[3].Loose || qs[4].Reference != "Because." {
		t.Fatalf("paper: %+v", qs)
	}
	for _, tt := range []struct {
		name  string
		with  url.Values
		field string
	}{
		{"no stem", url.Values{"stem": {" "}}, "stem"},
		{"zero score", url.Values{"score": {"0"}}, "score"},
		{"one option", url.Values{"options": {"only"}}, "options"},
		{"answer out of range", url.Values{"answer": {"D"}}, "answer"},
		{"two answers for single", url.Values{"answer": {"AB"}}, "answer"},
		{"unknown type", url.Values{"type": {"essay"}}, "type"},
		{"truefalse maybe", url.Values{"type": {"truefalse"}, "answer": {"maybe"}}, "answer"},
		{"fill empty blank", url.Values{"type": {"fill"}, "answer": {"x||y"}}, "answer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := b.send(base, questionForm(tt.with))
			if status != 400 {
				t.Fatalf("status %d", status)
			}
			mustContain(t, "form", body, `id="err-`+tt.field+`"`, `aria-invalid="true"`)
		})
	}
	if len(paper()) != 5 {
		t.Fatal("a bad question was added")
	}
	// In Chinese, the problems are in Chinese.
	b.get("/?lang=zh-CN")
	if status, _, body := b.send(base, questionForm(url.Values{"stem": {""}, "answer": {"E"}})); status != 400 ||
		!strings.Contains(body, "题干: 请填写题干。") || !strings.Contains(body, "答案: 没有选项 E。") {
		t.Fatalf("zh-CN problems: %d\n%s", status, body)
	}
	b.get("/?lang=en")
	// The editor shows the total; edit, move and delete.
	_, body := b.get(base)
	mustContain(t, "editor", body, "5 question(s), total 30 points", `aria-label="Move question 2 up"`)
	if status, _, _ := b.send(base+"/"+qs[0].ID, questionForm(url.Values{"stem": {"3 + 3?"}, "options": {"5\n6"}, "answer": {"b"}})); status != http.StatusSeeOther {
		t.Fatalf("edit: %d", status)
	}
	if got := paper()[0]; got.ID != qs[0].ID || got.Stem != "3 + 3?" || len(got.Options) != 2 {
		t.Fatalf("edited: %+v", got)
	}
	if status, _, _ := b.send(base+"/"+qs[4].ID+"/move", url.Values{"dir": {"up"}}); status != http.StatusSeeOther {
		t.Fatalf("move: %d", status)
	}
	if got := paper(); got[3].ID != qs[4].ID || got[4].ID != qs[3].ID {
		t.Fatal("not moved")
	}
	if status, _, _ := b.send(base+"/"+qs[0].ID+"/move", url.Values{"dir": {"up"}}); status != 400 {
		t.Fatalf("move the first up: %d", status)
	}
	if status, _, _ := b.send(base+"/"+qs[1].ID+"/delete", nil); status != http.StatusSeeOther {
		t.Fatalf("delete: %d", status)
	}
	if len(paper()) != 4 {
		t.Fatal("not deleted")
	}
	// The preview uses the take page's markup.
	_, body = b.get(base + "/preview")
	mustContain(t, "preview", body, `data-question-id="`+qs[0].ID+`"`, `type="radio"`, `data-blank="1"`, "<textarea", "4 questions, 25 points")
	if strings.Contains(body, "NaCl") || strings.Contains(body, "Because.") {
		t.Error("the preview shows answers")
	}

	// Export, then import the export: the same questions, appended.
	res, err := b.c.Get(s.srv.URL + base + "/export?format=xlsx")
	if err != nil {
		t.Fatal(err)
	}
	exported, _ := io.ReadAll(res.Body)
	res.Body.Close()
	status, _, body := b.upload(base+"/import", "paper.xlsx", exported, url.Values{"mode": {"append"}})
	if status != 200 {
		t.Fatalf("import preview: %d\n%s", status, body)
	}
	mustContain(t, "import preview", body, "4 question(s) are ready", `id="import-commit"`)
	if len(paper()) != 4 {
		t.Fatal("the preview wrote")
	}
	if status, _, _ := b.send(base+"/import/commit", url.Values{"payload": {hidden(t, body, "payload")}, "sig": {hidden(t, body, "sig")}}); status != http.StatusSeeOther {
		t.Fatalf("import commit: %d", status)
	}
	got := paper()
	if len(got) != 8 || got[4].Stem != got[0].Stem || got[7].Type != got[3].Type || got[4].ID == got[0].ID {
		t.Fatalf("after import: %d questions", len(got))
	}
	// A sheet with bad rows lists each with its line and writes nothing.
	bad := "type,stem,score,answer,A,B\nsingle,Fine,2,A,x,y\nsingle,,2,A,x,y\ntruefalse,Hmm,1,perhaps,,\n"
	status, _, body = b.upload(base+"/import", "bad.csv", []byte(bad), url.Values{"mode": {"replace"}})
	if status != 400 {
		t.Fatalf("bad import: %d", status)
	}
	mustContain(t, "bad import", body, `data-line="3"`, "stem: the question text is required", `data-line="4"`, "2 of 3 rows")
	if len(paper()) != 8 {
		t.Fatal("a bad import wrote")
	}
	// Replace mode replaces.
	fixed := "type,stem,score,answer,A,B\nsingle,Fine,2,A,x,y\n"
	_, _, body = b.upload(base+"/import", "ok.csv", []byte(fixed), url.Values{"mode": {"replace"}})
	b.send(base+"/import/commit", url.Values{"payload": {hidden(t, body, "payload")}, "sig": {hidden(t, body, "sig")}})
	if got := paper(); len(got) != 1 || got[0].Stem != "Fine" {
		t.Fatalf("after replace: %+v", got)
	}
	// A preview of another exam's import cannot be committed here.
	other := &examhall.Exam{Name: "Other", BeginTime: s.now, EndTime: s.now.Add(time.Hour), AllowTimes: 1, Audience: examhall.AudienceAll, Status: examhall.ExamDraft}
	if err := s.db.CreateExam(ctx, other); err != nil {
		t.Fatal(err)
	}
	_, _, body = b.upload("/admin/exams/"+other.ID+"/paper/import", "ok.csv", []byte(fixed), nil)
	if status, _, _ := b.send(base+"/import/commit", url.Values{"payload": {hidden(t, body, "payload")}, "sig": {hidden(t, body, "sig")}}); status != 400 {
		t.Fatalf("another exam's preview: %d", status)
	}

	// Once a candidate has started, the editor is locked and writes are
	// refused with the store's reason.
	if _, err := s.db.StartAttempt(ctx, e.ID, s.cand.ID, s.now); err != nil {
		t.Fatal(err)
	}
	_, body = b.get(base)
	mustContain(t, "locked editor", body, `id="paper-locked"`, `class="small danger" disabled aria-label="Delete question 1"`)
	status, _, body = b.send(base, questionForm(nil))
	if status != http.StatusConflict {
		t.Fatalf("add to a locked paper: %d", status)
	}
	mustContain(t, "refusal", body, `id="paper-error"`)
	if len(paper()) != 1 {
		t.Fatal("a locked paper changed")
	}
	// Export still works, and reads back.
	res, err = b.c.Get(s.srv.URL + base + "/export?format=csv")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	rows, err := sheet.Read(data, sheet.CSV, 10)
	if err != nil || len(rows) != 2 || rows[1].Cells[1] != "Fine" {
		t.Fatalf("csv export: %v %v", rows, err)
	}
}

// TestProblemCatalogue keeps a translation of every problem the question
// form can report.
func TestProblemCatalogue(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		for _, code := range sheet.ProblemCodes() {
			b, err := os.ReadFile("locale/" + lang + "/exams.json")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), `"paper.problem.`+code+`"`) {
				t.Errorf("%s: no paper.problem.%s", lang, code)
			}
		}
	}
}
