package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestParseWSFlags(t *testing.T) {
	var stderr bytes.Buffer
	t.Setenv("EXAMHALL_LOAD_PASSWORD", "")
	cfg, err := parseFlags([]string{"-password", "x", "-scenarios", "ws", "-url2", "http://127.0.0.1:7002"}, &stderr)
	if err != nil || cfg.WS == nil || len(cfg.Scenarios) != 0 {
		t.Fatalf("ws: %+v, %v", cfg, err)
	}
	ws := cfg.WS
	if ws.Candidates != 10000 || ws.Invigilators != 50 || ws.Rooms != 50 || ws.Heartbeat != 10*time.Second ||
		ws.Signal != 60*time.Second || len(ws.URLs) != 2 || ws.URLs[1] != "http://127.0.0.1:7002" || cfg.Examinees != 10000 {
		t.Errorf("ws defaults: %+v", ws)
	}
	for _, args := range [][]string{
		{"-password", "x", "-scenarios", "ws", "-url2", "http://10.0.0.2:7001"},
		{"-password", "x", "-scenarios", "ws", "-debug-url", "http://example.com:6060"},
		{"-password", "x", "-scenarios", "ws", "-ws-candidates", "0"},
		{"-password", "x", "-scenarios", "ws", "-ws-rooms", "0"},
		{"-password", "x", "-scenarios", "ws", "-ws-candidates", "10", "-ws-rooms", "11"},
		{"-password", "x", "-scenarios", "ws", "-ws-signal", "0s"},
		{"-scenarios", "ws"}, // no password
	} {
		if _, err := parseFlags(args, &stderr); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
}

func TestParseHeapInuse(t *testing.T) {
	profile := "heap profile: 1: 2 [3: 4] @ heap/1048576\n...\n# runtime.MemStats\n# Alloc = 123\n# HeapInuse = 987654\n# Stack = 1 / 2\n"
	if n, err := parseHeapInuse(strings.NewReader(profile)); err != nil || n != 987654 {
		t.Errorf("got %d, %v", n, err)
	}
	if _, err := parseHeapInuse(strings.NewReader("no stats")); err == nil {
		t.Error("a profile without HeapInuse was accepted")
	}
}

func TestWSSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := summarize(ds)
	if l.P50 != 51 || l.P99 != 100 || l.Max != 100 || l.Mean != 50.5 {
		t.Errorf("summarize: %+v", l)
	}
	if summarize(nil) != (LatencyMs{}) {
		t.Error("no samples")
	}
}
