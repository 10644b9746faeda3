package manage

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"examhall"
)

// MustXLSX builds an XLSX workbook whose first sheet holds rows from row 1.
func MustXLSX(tb testing.TB, rows [][]any) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			tb.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// MustMultipart wraps data as the multipart field "file".
func MustMultipart(tb testing.TB, filename string, data []byte) (body, contentType string) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("note", "ignored")
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		tb.Fatal(err)
	}
	fw.Write(data)
	if err := mw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.String(), mw.FormDataContentType()
}

func TestImportUsers(t *testing.T) {
	wantUsers := []*examhall.User{
		{Account: "s001", Name: "Ann", Role: examhall.RoleExaminee, DeptPath: "Acme/Sales Center/Sales", PasswordHash: "hash:secret1"},
		{Account: "s002", Name: "张三", Role: examhall.RoleExaminee, DeptPath: "Acme/HR"},
		{Account: "13800138000", Name: "Ivy", Role: examhall.RoleInvigilator, DeptPath: "Acme", PasswordHash: "hash:123456"},
	}
	csv := "\ufeffName,ACCOUNT,Department,Role,password\r\n" +
		"Ann,s001, Acme / Sales Center / Sales ,examinee,secret1\r\n" +
		"张三,s002,Acme/HR,考生,\r\n" +
		"\r\n" +
		"Ivy,13800138000,Acme,Invigilator,123456\r\n"
	xlsx := MustXLSX(t, [][]any{
		{"account", "role", "name", "department", "password"},
		{"s001", "examinee", "Ann", "Acme/Sales Center/Sales", "secret1"},
		{"s002", "examinee", "张三", "Acme/HR"},
		{13800138000, "invigilator", "Ivy", "Acme", 123456},
	})
	mpBody, mpType := MustMultipart(t, "users.xlsx", xlsx)
	mpCSVBody, mpCSVType := MustMultipart(t, "users.csv", []byte(csv))
	for _, tt := range []struct {
		name, body, contentType string
	}{
		{"raw CSV", csv, "text/csv"},
		{"raw XLSX", string(xlsx), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"multipart XLSX", mpBody, mpType},
		{"multipart CSV sent as Excel", mpCSVBody, mpCSVType},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			var got []*examhall.User
			w.users.ImportUsersFn = func(_ context.Context, us []*examhall.User) error {
				got = us
				return nil
			}
			rec := w.do(t, request{method: "POST", path: "/api/v1/users/import", token: tokAdmin, body: tt.body, contentType: tt.contentType})
			if rec.Code != http.StatusCreated {
				t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
			}
			if diff := cmp.Diff(wantUsers, got); diff != "" {
				t.Errorf("imported users mismatch (-want +got):\n%s", diff)
			}
			var resp struct{ Imported int }
			MustDecode(t, rec, &resp)
			if resp.Imported != 3 {
				t.Errorf("imported = %d, want 3", resp.Imported)
			}
		})
	}
}

func TestImportUsersBadRows(t *testing.T) {
	// Line 1 is the header; line 3 is blank; the existing account is "exa".
	csv := "account,name,department,role,password\n" +
		"ok1,Fine,Acme,examinee,\n" +
		"\n" +
		",No Account,Acme,examinee,\n" +
		"dup,First,Acme,examinee,\n" +
		"dup,Second,Acme,examinee,\n" +
		"exa,Taken,Acme,examinee,\n" +
		"bad1,,Acme//X,king,123\n" +
		"ok2,Fine Too,Acme,admin,longenough\n"
	want := []RowError{
		{Line: 4, Reason: "account is required"},
		{Line: 6, Reason: `account "dup" repeats line 5`},
		{Line: 7, Reason: `account "exa" already exists`},
		{Line: 8, Reason: `name is required; role must be admin, invigilator or examinee, not "king"; department path "Acme//X": department name is empty; password: password must have at least 6 characters`},
	}
	xlsx := MustXLSX(t, [][]any{
		{"account", "name", "department", "role", "password"},
		{"ok1", "Fine", "Acme", "examinee"},
		{},
		{"", "No Account", "Acme", "examinee"},
		{"dup", "First", "Acme", "examinee"},
		{"dup", "Second", "Acme", "examinee"},
		{"exa", "Taken", "Acme", "examinee"},
		{"bad1", "", "Acme//X", "king", "123"},
		{"ok2", "Fine Too", "Acme", "admin", "longenough"},
	})
	for _, tt := range []struct{ name, body string }{{"CSV", csv}, {"XLSX", string(xlsx)}} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			rec := w.do(t, request{method: "POST", path: "/api/v1/users/import", token: tokAdmin, body: tt.body})
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
			}
			var got errorJSON
			MustDecode(t, rec, &got)
			if got.Error.Code != examhall.EINVALID {
				t.Errorf("code = %q", got.Error.Code)
			}
			if diff := cmp.Diff(want, got.Rows); diff != "" {
				t.Errorf("rows mismatch (-want +got):\n%s", diff)
			}
			if writes := w.writes(); len(writes) > 0 {
				t.Errorf("a rejected import wrote: %v", writes)
			}
		})
	}
}

func TestImportUsersBadFile(t *testing.T) {
	for _, tt := range []struct {
		name, body, contentType string
		bodyReader              io.Reader
		status                  int
	}{
		{name: "empty", contentType: "text/csv", status: 400},
		{name: "header only", body: "account,name,department,role\n", contentType: "text/csv", status: 400},
		{name: "missing column", body: "account,name,role\na,b,examinee\n", contentType: "text/csv", status: 400},
		{name: "unknown column", body: "account,name,department,role,pasword\na,b,c,examinee,x\n", contentType: "text/csv", status: 400},
		{name: "repeated column", body: "account,name,department,role,Name\na,b,c,examinee,x\n", contentType: "text/csv", status: 400},
		{name: "not UTF-8", body: "account,name,department,role\na,\xff,c,examinee\n", contentType: "text/csv", status: 400},
		{name: "broken XLSX", body: "PK\x03\x04broken", contentType: "application/octet-stream", status: 400},
		{name: "multipart without file", body: "--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b--\r\n", contentType: "multipart/form-data; boundary=b", status: 400},
		{name: "too large", contentType: "text/csv", bodyReader: io.LimitReader(repeatReader('a'), maxImportBytes+1), status: 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			rec := w.do(t, request{method: "POST", path: "/api/v1/users/import", token: tokAdmin, body: tt.body, bodyReader: tt.bodyReader, contentType: tt.contentType})
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d; body %.300s", rec.Code, tt.status, rec.Body)
			}
			if writes := w.writes(); len(writes) > 0 {
				t.Errorf("a rejected import wrote: %v", writes)
			}
		})
	}
}

// repeatReader is an endless stream of one byte.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}
