package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseVmRSS(t *testing.T) {
	status := "Name:\texamhall\nVmPeak:\t  900000 kB\nVmRSS:\t   51234 kB\nThreads:\t9\n"
	got, err := parseVmRSS(strings.NewReader(status))
	if err != nil || got != 51234*1024 {
		t.Errorf("parseVmRSS = %d, %v; want %d", got, err, 51234*1024)
	}
	for _, bad := range []string{"Name:\tkthreadd\n", "VmRSS:\tlots\n", "VmRSS:\t12 MB\n"} {
		if _, err := parseVmRSS(strings.NewReader(bad)); err == nil {
			t.Errorf("parseVmRSS(%q): no error", bad)
		}
	}
	rss, err := ReadRSS(os.Getpid())
	if err != nil || rss <= 0 {
		t.Errorf("ReadRSS(self) = %d, %v", rss, err)
	}
}

func TestTargetMet(t *testing.T) {
	good := Result{Requests: 1000, RPS: 6500, Latency: Latency{P99: 14 * time.Millisecond}}
	tgt := Target{MinRatio: 0.6, MaxP99: 15 * time.Millisecond}
	if !tgt.Met(good, 10000, 0) {
		t.Error("65% and p99 14ms missed >=60%, p99<15ms")
	}
	if tgt.Met(good, 11000, 0) {
		t.Error("59% met >=60%")
	}
	slow := good
	slow.Latency.P99 = 15 * time.Millisecond
	if tgt.Met(slow, 10000, 0) {
		t.Error("p99 of exactly 15ms met p99<15ms")
	}
	errs := good
	errs.Errors = 1
	if tgt.Met(errs, 10000, 0) {
		t.Error("a run with an error met its target")
	}
	if (Target{}).Met(Result{}, 1, 0) {
		t.Error("an empty run met a target")
	}
	rec := Target{MinRecordsSec: 20000}
	if !rec.Met(good, 0, 20000) || rec.Met(good, 0, 19999) {
		t.Error("records/s threshold")
	}
	if got := tgt.String(); got != ">=60% ceiling, p99<15ms, 0 errors" {
		t.Errorf("String = %q", got)
	}
}

func TestNewScenarioReport(t *testing.T) {
	r := Result{Requests: 1000, Errors: 100, Window: 2 * time.Second, Elapsed: 2100 * time.Millisecond,
		Completed: 990, CompletedOK: 900, RPS: 500,
		ErrorKinds: map[string]int{"HTTP 500": 100}, Latency: Latency{P99: 3 * time.Millisecond}}
	tgt := Target{MinRecordsSec: 1}
	s := NewScenarioReport("addCheatRecord", r, 2000, 10, &tgt)
	if s.CeilingRatio != 0.25 || s.RecordsSec != 4500 || s.LatencyMs.P99 != 3 || s.TargetMet == nil || *s.TargetMet {
		t.Errorf("report %+v", s)
	}
}

func TestParseFlags(t *testing.T) {
	var stderr bytes.Buffer
	t.Setenv("EXAMHALL_LOAD_PASSWORD", "")
	cfg, err := parseFlags([]string{"-scenarios", "ceiling"}, &stderr)
	if err != nil || len(cfg.Scenarios) != 0 || cfg.Conns != 64 || cfg.Duration != 10*time.Second || cfg.URL != "http://127.0.0.1:7001" {
		t.Fatalf("ceiling only: %+v, %v", cfg, err)
	}
	cfg, err = parseFlags([]string{"-password", "x"}, &stderr)
	if err != nil || len(cfg.Scenarios) != len(Scenarios) {
		t.Fatalf("defaults: %v, %v", cfg, err)
	}
	cfg, err = parseFlags([]string{"-password", "x", "-scenarios", "listcheatrecord, roomInfo,ceiling,roomInfo"}, &stderr)
	if err != nil || len(cfg.Scenarios) != 2 || cfg.Scenarios[0].Name != "listCheatRecord" || cfg.Scenarios[1].Name != "roomInfo" {
		t.Fatalf("a list: %+v, %v", cfg, err)
	}
	t.Setenv("EXAMHALL_LOAD_PASSWORD", "fromenv")
	if cfg, err = parseFlags(nil, &stderr); err != nil || cfg.Password != "fromenv" {
		t.Errorf("password from the environment: %v", err)
	}
	t.Setenv("EXAMHALL_LOAD_PASSWORD", "")
	for _, args := range [][]string{
		{"-url", "http://10.1.2.3:7001", "-scenarios", "ceiling"},
		{"-url", "http://examhall.internal:7001", "-scenarios", "ceiling"},
		{"-scenarios", "roomInfo"}, // no password
		{"-password", "x", "-scenarios", "nope"},
		{"-c", "0", "-scenarios", "ceiling"},
		{"-d", "0s", "-scenarios", "ceiling"},
		{"-examinees", "0", "-password", "x"},
		{"-scenarios", "ceiling", "extra"},
	} {
		if _, err := parseFlags(args, &stderr); err == nil {
			t.Errorf("parseFlags(%q): no error", args)
		}
	}
}

func TestWriteAligned(t *testing.T) {
	var b bytes.Buffer
	writeAligned(&b, [][]string{{"name", "n", "note"}, {"ceiling", "12345", "-"}, {"x", "1", "ok (fine)"}},
		func(col int) bool { return col != 1 })
	want := "name         n  note\n" +
		"ceiling  12345  -\n" +
		"x            1  ok (fine)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
