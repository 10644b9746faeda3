package manage

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
	"examhall/sheet"
)

// TestExportGrades exports more grades than one FindGrades page holds and
// reads both formats back.
func TestExportGrades(t *testing.T) {
	const n = exportPage*2 + 3
	grades := make([]*examhall.Attempt, n)
	for i := range grades {
		grades[i] = &examhall.Attempt{
			ID: fmt.Sprintf("g%04d", i), ExamID: "e1", Status: examhall.AttemptPublished,
			BeginTime: now.Add(-time.Hour), EndTime: now.Add(-time.Hour + time.Duration(i)*time.Second),
			UsedSeconds: i, Score: float64(100 - i%50), Passed: i%2 == 0, Integral: 7.5,
			UserAccount: fmt.Sprintf("acc%d", i), UserName: "名字", DeptName: "Sales", DeptPath: "Acme/Sales", Rank: i + 1,
		}
	}
	for _, tt := range []struct {
		query       string
		format      sheet.Format
		contentType string
	}{
		{"", sheet.XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"?format=xlsx", sheet.XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"?format=csv", sheet.CSV, "text/csv; charset=utf-8"},
	} {
		t.Run(string(tt.format)+tt.query, func(t *testing.T) {
			w := newWorld(t)
			var calls int
			w.attempts.FindGradesFn = func(_ context.Context, examID string, offset, limit int) ([]*examhall.Attempt, int, error) {
				calls++
				if examID != "e1" || limit != exportPage {
					t.Errorf("FindGrades(%q, %d, %d)", examID, offset, limit)
				}
				return grades[min(offset, n):min(offset+limit, n)], n, nil
			}
			rec := w.do(t, request{method: "GET", path: "/api/v1/exams/e1/grades/export" + tt.query, token: tokInv})
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
			}
			if calls != 3 {
				t.Errorf("FindGrades called %d times, want 3", calls)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			_, params, err := mime.ParseMediaType(rec.Header().Get("Content-Disposition"))
			if err != nil {
				t.Fatalf("Content-Disposition %q: %v", rec.Header().Get("Content-Disposition"), err)
			}
			if want := "Safety 2025-grades." + string(tt.format); params["filename"] != want {
				t.Errorf("filename = %q, want %q", params["filename"], want)
			}

			rows, err := sheet.Read(rec.Body.Bytes(), tt.format, n)
			if err != nil {
				t.Fatal(err)
			}
			got := make([][]string, len(rows))
			for i, r := range rows {
				got[i] = r.Cells
			}
			loc, _ := time.LoadLocation("Asia/Shanghai")
			want := [][]string{examhall.GradeColumns}
			for _, a := range grades {
				want = append(want, examhall.GradeRow(w.exam, a, loc))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("export mismatch (-want +got):\n%s", diff)
			}
			if got[1][5] != "2025-06-01 09:00:00" {
				t.Errorf("beginTime = %q, want it in Asia/Shanghai", got[1][5])
			}
		})
	}
}

func TestAttachment(t *testing.T) {
	got := attachment(`grades-"e1".csv`, "期末 考试/1-grades.csv")
	want := `attachment; filename="grades-_e1_.csv"; filename*=UTF-8''%E6%9C%9F%E6%9C%AB%20%E8%80%83%E8%AF%95%2F1-grades.csv`
	if got != want {
		t.Errorf("attachment = %s\nwant %s", got, want)
	}
}

// TestPublishGrades checks both an explicit list and "all marked" (no body).
func TestPublishGrades(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       []string
	}{
		{"no body", "", nil},
		{"empty ids", `{"ids":[]}`, []string{}},
		{"some ids", `{"ids":["a1","a2"]}`, []string{"a1", "a2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			var got []string
			w.attempts.PublishAttemptsFn = func(_ context.Context, examID string, ids []string) (int, error) {
				got = ids
				return len(ids), nil
			}
			rec := w.do(t, request{method: "POST", path: "/api/v1/exams/e1/grades/publish", token: tokAdmin, body: tt.body})
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
