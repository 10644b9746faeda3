package sheet_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"examhall"
	"examhall/sheet"
)

// MustXLSX builds a workbook whose first sheet holds rows, each placed at
// the row number given by its key (so tests can leave gaps).
func MustXLSX(tb testing.TB, rows map[int][]any) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for n, cells := range rows {
		cell, err := excelize.CoordinatesToCellName(1, n)
		if err != nil {
			tb.Fatal(err)
		}
		if err := f.SetSheetRow("Sheet1", cell, &cells); err != nil {
			tb.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadCSV(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		want []sheet.Row
	}{
		{
			name: "plain",
			in:   "account,name\na1,Ann\na2,Bob\n",
			want: []sheet.Row{{1, []string{"account", "name"}}, {2, []string{"a1", "Ann"}}, {3, []string{"a2", "Bob"}}},
		},
		{
			name: "BOM, CRLF, blank lines and a quoted newline keep file line numbers",
			in:   "\ufeffaccount,name\r\n\r\na1,\"Ann\nSmith\"\r\n,\r\na2,张三\r\n",
			want: []sheet.Row{{1, []string{"account", "name"}}, {3, []string{"a1", "Ann\nSmith"}}, {6, []string{"a2", "张三"}}},
		},
		{
			name: "ragged rows are kept as they are",
			in:   "a,b,c\n1\n1,2,3,4\n",
			want: []sheet.Row{{1, []string{"a", "b", "c"}}, {2, []string{"1"}}, {3, []string{"1", "2", "3", "4"}}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sheet.Read([]byte(tt.in), sheet.CSV, 100)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rows mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadXLSX(t *testing.T) {
	data := MustXLSX(t, map[int][]any{
		1: {"Account", "Name"},
		2: {13800138000, "Ann"},
		4: {"a2", "张三"},
		5: {"", "   "},
		6: {"a3", 1.5},
	})
	got, err := sheet.Read(data, sheet.Detect(data), 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []sheet.Row{
		{1, []string{"Account", "Name"}},
		{2, []string{"13800138000", "Ann"}},
		{4, []string{"a2", "张三"}},
		{6, []string{"a3", "1.5"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}
}

func TestReadErrors(t *testing.T) {
	for _, tt := range []struct {
		name     string
		data     []byte
		format   sheet.Format
		maxRows  int
		wantCode string
	}{
		{"bad quote", []byte("a,b\n\"x,y\n"), sheet.CSV, 10, examhall.EINVALID},
		{"not UTF-8", []byte("a,b\n\xff\xfe,x\n"), sheet.CSV, 10, examhall.EINVALID},
		{"NUL in a cell", []byte("a,b\nx\x00y,z\n"), sheet.CSV, 10, examhall.EINVALID},
		{"legacy xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"), sheet.CSV, 10, examhall.EINVALID},
		{"broken zip", []byte("PK\x03\x04garbage"), sheet.XLSX, 10, examhall.EINVALID},
		{"too many CSV rows", []byte("h\n1\n2\n3\n"), sheet.CSV, 2, examhall.ETOOLARGE},
		{"too many XLSX rows", MustXLSX(t, map[int][]any{1: {"h"}, 2: {1}, 3: {2}, 4: {3}}), sheet.XLSX, 2, examhall.ETOOLARGE},
		{"unknown format", []byte("x"), sheet.Format("ods"), 10, examhall.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sheet.Read(tt.data, tt.format, tt.maxRows)
			if got := examhall.ErrorCode(err); got != tt.wantCode {
				t.Errorf("code = %q, want %q (err %v)", got, tt.wantCode, err)
			}
		})
	}
}

func TestDetectAndParseFormat(t *testing.T) {
	if got := sheet.Detect(MustXLSX(t, map[int][]any{1: {"a"}})); got != sheet.XLSX {
		t.Errorf("Detect(xlsx) = %q", got)
	}
	if got := sheet.Detect([]byte("a,b\n")); got != sheet.CSV {
		t.Errorf("Detect(csv) = %q", got)
	}
	for in, want := range map[string]sheet.Format{"csv": sheet.CSV, "XLSX": sheet.XLSX} {
		if got, err := sheet.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := sheet.ParseFormat("xls"); examhall.ErrorCode(err) != examhall.EINVALID {
		t.Errorf("ParseFormat(xls) err = %v, want invalid", err)
	}
}

// TestWriteRoundTrip writes both formats and reads them back.
func TestWriteRoundTrip(t *testing.T) {
	header := []string{"account", "name", "score"}
	rows := [][]string{{"a1", "张三", "75.0"}, {"a2", "Bob, Jr.", "39.8"}, {"a3", "", "0.0"}}
	want := []sheet.Row{
		{1, header},
		{2, rows[0]},
		{3, rows[1]},
		{4, []string{"a3", "", "0.0"}},
	}
	for _, f := range []sheet.Format{sheet.CSV, sheet.XLSX} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := sheet.Write(&buf, f, "Grades", header, rows); err != nil {
				t.Fatal(err)
			}
			if got := sheet.Detect(buf.Bytes()); got != f {
				t.Errorf("Detect = %q, want %q", got, f)
			}
			got, err := sheet.Read(buf.Bytes(), f, 100)
			if err != nil {
				t.Fatal(err)
			}
			if f == sheet.XLSX {
				// XLSX drops trailing empty cells; compare on a common shape.
				for i := range got {
					for len(got[i].Cells) < len(header) {
						got[i].Cells = append(got[i].Cells, "")
					}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteCSVEscapesFormulas(t *testing.T) {
	var buf bytes.Buffer
	if err := sheet.Write(&buf, sheet.CSV, "", []string{"name"}, [][]string{{"=HYPERLINK(\"x\")"}, {"@SUM(A1)"}, {"plain"}}); err != nil {
		t.Fatal(err)
	}
	got := strings.TrimPrefix(buf.String(), "\ufeff")
	want := "name\n\"'=HYPERLINK(\"\"x\"\")\"\n'@SUM(A1)\nplain\n"
	if got != want {
		t.Errorf("CSV = %q, want %q", got, want)
	}
}
