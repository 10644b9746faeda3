package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report is a whole run, as -json prints it.
type Report struct {
	Started     time.Time        `json:"started"`
	URL         string           `json:"url"`
	Connections int              `json:"connections"`
	Seconds     float64          `json:"durationSeconds"`
	Warmup      float64          `json:"warmupSeconds"`
	Examinees   int              `json:"examinees,omitempty"`
	NumCPU      int              `json:"numCPU"`
	GOMAXPROCS  int              `json:"gomaxprocs"`
	ServerPID   int              `json:"serverPid,omitempty"`
	Prefix      string           `json:"fixturePrefix,omitempty"`
	Preload     *PreloadResult   `json:"preload,omitempty"`
	Results     []ScenarioReport `json:"results"`              // the ceiling first
	TargetsMet  *bool            `json:"targetsMet,omitempty"` // all scenarios run met theirs
	Interrupted bool             `json:"interrupted,omitempty"`
	Warnings    []string         `json:"warnings,omitempty"`
	WebSocket   *WSReport        `json:"websocket,omitempty"` // the ws scenario
}

// ScenarioReport is one scenario's line.
type ScenarioReport struct {
	Name         string         `json:"name"`
	Requests     int            `json:"requests"`
	Errors       int            `json:"errors"`
	ErrorKinds   map[string]int `json:"errorKinds,omitempty"`
	Completed    int            `json:"completed"` // within the measured window
	Seconds      float64        `json:"seconds"`   // the measured window
	Elapsed      float64        `json:"elapsedSeconds"`
	RPS          float64        `json:"requestsPerSecond"`
	CeilingRatio float64        `json:"ceilingRatio"`
	RecordsSec   float64        `json:"recordsPerSecond,omitempty"`
	LatencyMs    LatencyMs      `json:"latencyMs"`
	RSSBytes     int64          `json:"serverRssBytes,omitempty"`
	Target       string         `json:"target,omitempty"`
	TargetMet    *bool          `json:"targetMet,omitempty"`
}

// LatencyMs is Latency in (fractional) milliseconds.
type LatencyMs struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// NewScenarioReport turns a Result into a report line. ceilingRPS is the
// ceiling's requests/s (the ceiling's own for the ceiling line); records is
// the cheat records per request, 0 for none; target is nil for no target.
func NewScenarioReport(name string, r Result, ceilingRPS float64, records int, target *Target) ScenarioReport {
	s := ScenarioReport{
		Name:       name,
		Requests:   r.Requests,
		Errors:     r.Errors,
		ErrorKinds: r.ErrorKinds,
		Completed:  r.Completed,
		Seconds:    r.Window.Seconds(),
		Elapsed:    r.Elapsed.Seconds(),
		RPS:        r.RPS,
		LatencyMs: LatencyMs{
			P50: ms(r.Latency.P50), P90: ms(r.Latency.P90), P99: ms(r.Latency.P99),
			Max: ms(r.Latency.Max), Mean: ms(r.Latency.Mean),
		},
	}
	if len(s.ErrorKinds) == 0 {
		s.ErrorKinds = nil
	}
	if ceilingRPS > 0 {
		s.CeilingRatio = r.RPS / ceilingRPS
	}
	if records > 0 && r.Window > 0 {
		s.RecordsSec = float64(r.CompletedOK*records) / r.Window.Seconds()
	}
	if target != nil {
		s.Target = target.String()
		met := target.Met(r, ceilingRPS, s.RecordsSec)
		s.TargetMet = &met
	}
	return s
}

// ReadRSS returns the resident set size of process pid from
// /proc/<pid>/status (VmRSS), in bytes.
func ReadRSS(pid int) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseVmRSS(f)
}

// parseVmRSS finds the "VmRSS:  1234 kB" line of a /proc status file.
func parseVmRSS(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected VmRSS line %q", sc.Text())
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS line (a kernel thread or a zombie?)")
}

// WriteJSON writes rep as indented JSON.
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

// WriteTable writes rep as an aligned plain-text table, followed by the
// error kinds of every scenario that had errors.
func WriteTable(w io.Writer, rep *Report) error {
	fmt.Fprintf(w, "examhall-load  %s  c=%d  d=%gs  warmup=%gs  cpus=%d  started %s\n",
		rep.URL, rep.Connections, rep.Seconds, rep.Warmup, rep.NumCPU, rep.Started.Format(time.RFC3339))
	if rep.Preload != nil {
		fmt.Fprintf(w, "preload: %d records in %.2fs (%.0f records/s, batches of %d)\n",
			rep.Preload.Records, rep.Preload.Seconds, rep.Preload.RecordsSec, preloadBatch)
	}
	fmt.Fprintln(w)

	header := []string{"scenario", "requests", "errors", "req/s", "ceiling", "p50 ms", "p90 ms", "p99 ms", "max ms", "rec/s"}
	withRSS := rep.ServerPID != 0
	if withRSS {
		header = append(header, "rss MiB")
	}
	header = append(header, "target")
	rows := [][]string{header}
	for _, s := range rep.Results {
		row := []string{
			s.Name,
			strconv.Itoa(s.Requests),
			strconv.Itoa(s.Errors),
			fmt.Sprintf("%.0f", s.RPS),
			fmt.Sprintf("%.1f%%", s.CeilingRatio*100),
			fmt.Sprintf("%.2f", s.LatencyMs.P50),
			fmt.Sprintf("%.2f", s.LatencyMs.P90),
			fmt.Sprintf("%.2f", s.LatencyMs.P99),
			fmt.Sprintf("%.2f", s.LatencyMs.Max),
			"-",
		}
		if s.RecordsSec > 0 {
			row[9] = fmt.Sprintf("%.0f", s.RecordsSec)
		}
		if withRSS {
			rss := "-"
			if s.RSSBytes > 0 {
				rss = fmt.Sprintf("%.1f", float64(s.RSSBytes)/(1<<20))
			}
			row = append(row, rss)
		}
		target := "-"
		if s.TargetMet != nil {
			verdict := "MISS"
			if *s.TargetMet {
				verdict = "ok"
			}
			target = verdict + "  (" + s.Target + ")"
		}
		row = append(row, target)
		rows = append(rows, row)
	}
	// Left-align the first and last columns, right-align the numbers.
	last := len(header) - 1
	writeAligned(w, rows, func(col int) bool { return col == 0 || col == last })

	for _, s := range rep.Results {
		if len(s.ErrorKinds) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nerrors in %s:\n", s.Name)
		for _, k := range slices.Sorted(maps.Keys(s.ErrorKinds)) {
			fmt.Fprintf(w, "  %8d  %s\n", s.ErrorKinds[k], k)
		}
	}
	for _, msg := range rep.Warnings {
		fmt.Fprintf(w, "\nwarning: %s\n", msg)
	}
	if rep.Interrupted {
		fmt.Fprintln(w, "\ninterrupted: the results above are partial")
	}
	if rep.TargetsMet != nil {
		if *rep.TargetsMet {
			fmt.Fprintln(w, "\nall targets met")
		} else {
			fmt.Fprintln(w, "\nsome targets missed")
		}
	}
	return nil
}

// writeAligned writes rows as columns separated by two spaces, padding each
// to its widest cell; left(col) says which columns are left-aligned.
func writeAligned(w io.Writer, rows [][]string, left func(col int) bool) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		b.Reset()
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if left(i) {
				b.WriteString(c)
				if i < len(r)-1 {
					b.WriteString(pad)
				}
			} else {
				b.WriteString(pad)
				b.WriteString(c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}
