// Package sheet reads and writes the spreadsheets examhall exchanges with
// people (CSV or XLSX, a header row and one record per row): user imports,
// question sheets and grade exports. Read and Write deal in rows of text;
// ParseUsers and ParseQuestions turn rows into domain values and list every
// bad row with its line, for /api/v1 and the pages alike.
package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"examhall"
)

// Format is a spreadsheet file format.
type Format string

// Formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ContentType returns the MIME type of files of format f.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// ParseFormat parses "csv" or "xlsx" (any case).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, XLSX:
		return f, nil
	}
	return "", examhall.Errorf(examhall.EINVALID, "format must be csv or xlsx, not %q", s)
}

// Magic numbers: XLSX files are ZIP archives; legacy .xls files are OLE
// compound documents, which we do not read.
var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
	utf8BOM  = []byte("\xef\xbb\xbf")
)

// Detect tells the format of data from its content rather than from a
// declared type, which browsers get wrong (CSV is often sent as
// application/vnd.ms-excel): ZIP archives are XLSX, anything else is CSV.
func Detect(data []byte) Format {
	if bytes.HasPrefix(data, zipMagic) {
		return XLSX
	}
	return CSV
}

// Row is one row of a sheet with its position: Line is the CSV line the
// record starts on, or the XLSX row number; the header is line 1 when it is
// the first line of the file.
type Row struct {
	Line  int
	Cells []string
}

// Empty reports whether every cell of r is blank.
func (r Row) Empty() bool {
	for _, c := range r.Cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// MaxXLSXBytes bounds the unzipped size of an XLSX file, so a small
// compressed upload cannot expand without limit.
const MaxXLSXBytes = 256 << 20

// Read reads every row of data (the first worksheet of an XLSX file, or a
// UTF-8 CSV file with or without a byte-order mark), skipping blank rows.
// It returns ETOOLARGE when there are more than maxRows rows (after the
// header), and EINVALID for a file it cannot read.
func Read(data []byte, f Format, maxRows int) ([]Row, error) {
	switch f {
	case XLSX:
		return readXLSX(data, maxRows+1)
	case CSV:
		return readCSV(data, maxRows+1)
	}
	return nil, examhall.Errorf(examhall.EINVALID, "unknown sheet format %q", f)
}

// tooMany reports a file over limit rows, the header included.
func tooMany(limit int) error {
	return examhall.Errorf(examhall.ETOOLARGE, "the file has more than %d rows below its header", limit-1)
}

func readCSV(data []byte, limit int) ([]Row, error) {
	if bytes.HasPrefix(data, oleMagic) {
		return nil, examhall.Errorf(examhall.EINVALID, "legacy .xls files are not supported: save the sheet as .xlsx or CSV (UTF-8)")
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if !examhall.ValidText(string(data)) {
		return nil, examhall.Errorf(examhall.EINVALID, "the CSV file is not UTF-8 text (or holds NUL characters): save it as CSV (UTF-8)")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // short rows are reported per row, not as a file error
	var rows []Row
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, examhall.Errorf(examhall.EINVALID, "CSV line %d: %s", pe.Line, pe.Err)
			}
			return nil, examhall.Errorf(examhall.EINVALID, "reading CSV: %s", err)
		}
		line, _ := r.FieldPos(0)
		row := Row{Line: line, Cells: rec}
		if row.Empty() {
			continue
		}
		if len(rows) == limit {
			return nil, tooMany(limit)
		}
		rows = append(rows, row)
	}
}

func readXLSX(data []byte, limit int) (rows []Row, err error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: MaxXLSXBytes,
		RawCellValue:   true, // accounts like 13800138000 must not come back as 1.38E+10
	})
	if err != nil {
		return nil, examhall.Errorf(examhall.EINVALID, "the file is not a readable XLSX workbook")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, examhall.Errorf(examhall.EINVALID, "the workbook has no worksheet")
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, examhall.Errorf(examhall.EINVALID, "reading worksheet %q: %s", sheets[0], err)
	}
	defer func() {
		if cerr := it.Close(); cerr != nil && err == nil {
			err = examhall.Errorf(examhall.EINVALID, "reading worksheet %q: %s", sheets[0], cerr)
		}
	}()
	// Next visits gap rows too (with no cells), so counting calls gives the
	// row number people see in their spreadsheet program.
	for line := 1; it.Next(); line++ {
		cells, err := it.Columns()
		if err != nil {
			return nil, examhall.Errorf(examhall.EINVALID, "worksheet row %d: %s", line, err)
		}
		row := Row{Line: line, Cells: cells}
		if row.Empty() {
			continue
		}
		for _, c := range cells {
			if !examhall.ValidText(c) {
				return nil, examhall.Errorf(examhall.EINVALID, "worksheet row %d: a cell is not UTF-8 text or holds NUL characters", line)
			}
		}
		if len(rows) == limit {
			return nil, tooMany(limit)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// Write writes header and rows to w as a CSV file (with a UTF-8 byte-order
// mark, so spreadsheet programs read non-ASCII text correctly) or an XLSX
// workbook with one worksheet called name.
//
// In CSV, a cell starting with = + - @ gets a leading apostrophe so
// spreadsheet programs do not run it as a formula (CSV injection). XLSX cells
// are written as text and need no such escape.
func Write(w io.Writer, f Format, name string, header []string, rows [][]string) error {
	switch f {
	case CSV:
		return writeCSV(w, header, rows)
	case XLSX:
		return writeXLSX(w, name, header, rows)
	}
	return examhall.Errorf(examhall.EINVALID, "unknown sheet format %q", f)
}

func writeCSV(w io.Writer, header []string, rows [][]string) error {
	if _, err := w.Write(utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	esc := make([]string, 0, len(header))
	for _, rec := range append([][]string{header}, rows...) {
		esc = esc[:0]
		for _, c := range rec {
			esc = append(esc, escapeFormula(c))
		}
		if err := cw.Write(esc); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func escapeFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func writeXLSX(w io.Writer, name string, header []string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	if name == "" {
		name = "Sheet1"
	}
	if err := f.SetSheetName(f.GetSheetName(0), name); err != nil {
		return fmt.Errorf("sheet name %q: %w", name, err)
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	for i, rec := range append([][]string{header}, rows...) {
		cells := make([]any, len(rec))
		for j, c := range rec {
			cells[j] = c
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
