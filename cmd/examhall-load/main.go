// Command examhall-load drives a running examhall server over loopback and
// measures the /exam/ (AppServer) surface against the targets of the
// performance issue.
//
// In the same run it starts a ceiling: a minimal net/http server on
// 127.0.0.1:0 answering a fixed 250-byte JSON body. It drives the ceiling
// first, with the same client, concurrency and duration, and reports each
// scenario's requests/s as a fraction of it, which makes the numbers
// comparable across machines.
//
// Before the scenarios it creates fresh fixtures through the management API
// (/api/v1/): N examinees, a published exam, a room with the examinees on
// its roster, and their join-link tokens (see setup.go). The fixtures are
// left in place afterwards; their names carry the run prefix.
//
// Usage:
//
//	examhall-load [-url http://127.0.0.1:7001] [-c 64] [-d 10s] [-warmup 2s]
//	              [-scenarios roomInfo,userInfo,...|ceiling] [-admin admin]
//	              [-password P] [-examinees 30] [-preload N] [-pid PID] [-json]
//
//	examhall-load -scenarios ws [-url2 URL] [-ws-candidates 10000] [-ws-invigilators 50]
//	              [-ws-rooms 50] [-ws-d 60s] [-pid PID] [-debug-url URL]
//
// -scenarios ws runs the live room's WebSocket scenario (ws.go): candidate
// and invigilator pages on one or two replicas, signal-to-invigilator
// latency and memory per idle connection; it raises the open-files limit.
// -scenarios ceiling measures only the ceiling and needs no server. The
// password may come from EXAMHALL_LOAD_PASSWORD instead of -password.
// Only loopback targets are accepted: the host must be localhost or a
// loopback IP, and the dialer refuses every other address.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// config is the parsed command line.
type config struct {
	URL       string
	Conns     int
	Duration  time.Duration
	Warmup    time.Duration
	Timeout   time.Duration
	Scenarios []Scenario // without the ceiling, which always runs
	Admin     string
	Password  string
	Examinees int
	Preload   int
	PID       int
	JSON      bool
	WS        *WSConfig // the WebSocket scenario, when -scenarios names ws
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "examhall-load:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "examhall-load:", err)
		os.Exit(1)
	}
}

func scenarioNames() string {
	names := make([]string, len(Scenarios))
	for i, s := range Scenarios {
		names[i] = s.Name
	}
	return strings.Join(names, ",")
}

// parseFlags parses and validates the command line.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("examhall-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config{}
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:7001", "base URL of the examhall server (loopback only)")
	fs.IntVar(&cfg.Conns, "c", 64, "connections: concurrent workers, each on its own keep-alive connection")
	fs.DurationVar(&cfg.Duration, "d", 10*time.Second, "measured duration of each scenario")
	fs.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "unrecorded warm-up before each scenario")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "timeout of one request")
	list := fs.String("scenarios", scenarioNames(), "comma-separated scenarios to run after the ceiling; \"ceiling\" alone runs only the ceiling")
	fs.StringVar(&cfg.Admin, "admin", "admin", "admin account for the setup")
	fs.StringVar(&cfg.Password, "password", "", "admin password (default $EXAMHALL_LOAD_PASSWORD)")
	fs.IntVar(&cfg.Examinees, "examinees", 30, "examinees created and put on the room's roster")
	fs.IntVar(&cfg.Preload, "preload", 0, "cheat records inserted (batches of 1000) before listCheatRecord")
	fs.IntVar(&cfg.PID, "pid", 0, "examhall server's process id, to report its resident memory (VmRSS)")
	fs.BoolVar(&cfg.JSON, "json", false, "print the report as JSON")
	ws := WSConfig{}
	url2 := fs.String("url2", "", "ws: a second replica's base URL (same database); pages alternate between the two")
	debug := fs.String("debug-url", "", "ws: replica 1's --debug-addr URL (http://127.0.0.1:6060), for its heap after a GC")
	fs.IntVar(&ws.Candidates, "ws-candidates", 10000, "ws: candidate pages")
	fs.IntVar(&ws.Invigilators, "ws-invigilators", 50, "ws: invigilator pages (the admin's session), invigilator i on room i mod -ws-rooms")
	fs.IntVar(&ws.Rooms, "ws-rooms", 50, "ws: rooms the candidates are spread over")
	fs.DurationVar(&ws.Duration, "ws-d", 60*time.Second, "ws: measured duration")
	fs.DurationVar(&ws.Settle, "ws-settle", 10*time.Second, "ws: idle time after every page connected, before memory is read")
	fs.DurationVar(&ws.Heartbeat, "ws-heartbeat", 10*time.Second, "ws: heartbeat interval of each candidate")
	fs.DurationVar(&ws.Signal, "ws-signal", 60*time.Second, "ws: mean signal interval of each candidate")
	fs.IntVar(&ws.Dialers, "ws-dialers", 32, "ws: connections opened at a time")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: examhall-load [flags]\n\nDrives an examhall server over loopback; see the package doc.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	u, err := CheckLoopback(cfg.URL)
	if err != nil {
		return nil, err
	}
	cfg.URL = u
	switch {
	case cfg.Conns < 1 || cfg.Conns > 10000:
		return nil, fmt.Errorf("-c %d: want 1..10000", cfg.Conns)
	case cfg.Duration <= 0:
		return nil, fmt.Errorf("-d %v: want a positive duration", cfg.Duration)
	case cfg.Warmup < 0:
		return nil, fmt.Errorf("-warmup %v: want zero or more", cfg.Warmup)
	case cfg.Timeout <= 0:
		return nil, fmt.Errorf("-timeout %v: want a positive duration", cfg.Timeout)
	case cfg.Examinees < 1:
		return nil, fmt.Errorf("-examinees %d: want at least 1", cfg.Examinees)
	case cfg.Preload < 0:
		return nil, fmt.Errorf("-preload %d: want zero or more", cfg.Preload)
	case cfg.PID < 0:
		return nil, fmt.Errorf("-pid %d: want a process id", cfg.PID)
	}

	seen := map[string]bool{}
	for name := range strings.SplitSeq(*list, ",") {
		name = strings.TrimSpace(name)
		if name == "" || strings.EqualFold(name, "ceiling") {
			continue
		}
		if strings.EqualFold(name, "ws") {
			cfg.WS = &ws
			continue
		}
		if strings.EqualFold(name, "all") {
			for _, s := range Scenarios {
				if !seen[s.Name] {
					seen[s.Name] = true
					cfg.Scenarios = append(cfg.Scenarios, s)
				}
			}
			continue
		}
		s, ok := FindScenario(name)
		if !ok {
			return nil, fmt.Errorf("-scenarios: unknown %q; known: ceiling,%s", name, scenarioNames())
		}
		if !seen[s.Name] {
			seen[s.Name] = true
			cfg.Scenarios = append(cfg.Scenarios, s)
		}
	}
	if cfg.WS != nil {
		ws.URLs = []string{cfg.URL}
		ws.PIDs = []int{cfg.PID}
		ws.DebugURLs = []string{*debug}
		if *url2 != "" {
			u2, err := CheckLoopback(*url2)
			if err != nil {
				return nil, fmt.Errorf("-url2: %w", err)
			}
			ws.URLs = append(ws.URLs, u2)
		}
		if *debug != "" {
			if _, err := CheckLoopback(*debug); err != nil {
				return nil, fmt.Errorf("-debug-url: %w", err)
			}
		}
		switch {
		case ws.Candidates < 1 || ws.Candidates > 100000:
			return nil, fmt.Errorf("-ws-candidates %d: want 1..100000", ws.Candidates)
		case ws.Invigilators < 1 || ws.Invigilators > 1000:
			return nil, fmt.Errorf("-ws-invigilators %d: want 1..1000", ws.Invigilators)
		case ws.Duration <= 0 || ws.Settle < 0 || ws.Heartbeat <= 0 || ws.Signal <= 0:
			return nil, fmt.Errorf("-ws-d, -ws-heartbeat and -ws-signal must be positive, -ws-settle not negative")
		case ws.Rooms < 1 || ws.Rooms > ws.Candidates:
			return nil, fmt.Errorf("-ws-rooms %d: want 1..-ws-candidates", ws.Rooms)
		case ws.Dialers < 1:
			return nil, fmt.Errorf("-ws-dialers %d: want at least 1", ws.Dialers)
		}
		cfg.Examinees = max(cfg.Examinees, ws.Candidates)
	}
	if len(cfg.Scenarios) > 0 || cfg.WS != nil {
		if cfg.Password == "" {
			cfg.Password = os.Getenv("EXAMHALL_LOAD_PASSWORD")
		}
		if cfg.Password == "" {
			return nil, fmt.Errorf("the setup needs the admin password: -password or $EXAMHALL_LOAD_PASSWORD")
		}
	}
	return cfg, nil
}

// run measures the ceiling, sets up the fixtures, runs the scenarios and
// writes the report to stdout; progress goes to stderr.
func run(ctx context.Context, cfg *config, stdout, stderr io.Writer) error {
	client := NewClient(cfg.Conns, cfg.Timeout)
	defer client.CloseIdleConnections()
	eng := &Engine{Client: client, Workers: cfg.Conns, Warmup: cfg.Warmup, Duration: cfg.Duration}
	rep := &Report{
		Started:     time.Now(),
		URL:         cfg.URL,
		Connections: cfg.Conns,
		Seconds:     cfg.Duration.Seconds(),
		Warmup:      cfg.Warmup.Seconds(),
		NumCPU:      runtime.NumCPU(),
		GOMAXPROCS:  runtime.GOMAXPROCS(0),
		ServerPID:   cfg.PID,
	}
	progress := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	if cfg.PID != 0 {
		if _, err := ReadRSS(cfg.PID); err != nil {
			return fmt.Errorf("-pid %d: %w", cfg.PID, err)
		}
	}

	if cfg.WS != nil && len(cfg.Scenarios) == 0 {
		return runWSOnly(ctx, cfg, client, rep, stdout, progress)
	}

	// The ceiling first, before the fixtures exist.
	ceilURL, stopCeiling, err := StartCeiling()
	if err != nil {
		return err
	}
	progress("ceiling: %s, %d connections, %v warm-up + %v", ceilURL, cfg.Conns, cfg.Warmup, cfg.Duration)
	cres := eng.Run(ctx, func(int) RequestFunc {
		return func(ctx context.Context, _ int) (*http.Request, error) {
			return newRequest(ctx, "GET", ceilURL+"/", "", nil)
		}
	})
	stopCeiling()
	if cres.Errors > 0 || cres.Requests == 0 {
		rep.Warnings = append(rep.Warnings, "the ceiling had errors: its requests/s is not a valid reference")
	}
	rep.Results = append(rep.Results, NewScenarioReport("ceiling", cres, cres.RPS, 0, nil))

	if len(cfg.Scenarios) > 0 && ctx.Err() == nil {
		if err := runScenarios(ctx, cfg, client, eng, cres.RPS, rep, progress); err != nil {
			return err
		}
	}
	if cfg.WS != nil && ctx.Err() == nil {
		if _, err := RaiseFileLimit(); err != nil {
			return fmt.Errorf("raising the open-files limit: %w", err)
		}
		f, err := SetupRooms(ctx, client, cfg.URL, cfg.Admin, cfg.Password, cfg.WS.Candidates, cfg.WS.Rooms)
		if err != nil {
			return err
		}
		if rep.WebSocket, err = RunWS(ctx, *cfg.WS, f, progress); err != nil {
			return err
		}
	}
	rep.Interrupted = ctx.Err() != nil
	if cfg.JSON {
		return WriteJSON(stdout, rep)
	}
	if err := WriteTable(stdout, rep); err != nil {
		return err
	}
	if rep.WebSocket != nil {
		WriteWSTable(stdout, rep.WebSocket)
	}
	return nil
}

// runWSOnly sets up the fixtures and runs the WebSocket scenario alone
// (no ceiling: it measures no request rate).
func runWSOnly(ctx context.Context, cfg *config, client *http.Client, rep *Report, stdout io.Writer, progress func(string, ...any)) error {
	limit, err := RaiseFileLimit()
	if err != nil {
		return fmt.Errorf("raising the open-files limit: %w", err)
	}
	if need := fileLimitNeeded(*cfg.WS); limit < need {
		return fmt.Errorf("the open-files limit is %d, the pages need %d: raise the hard limit (ulimit -Hn)", limit, need)
	}
	progress("setup: %s, %d examinees", cfg.URL, cfg.Examinees)
	f, err := SetupRooms(ctx, client, cfg.URL, cfg.Admin, cfg.Password, cfg.Examinees, cfg.WS.Rooms)
	if err != nil {
		return err
	}
	rep.Examinees, rep.Prefix = len(f.Examinees), f.Prefix
	progress("setup: prefix %s, exam %s, room %s", f.Prefix, f.ExamID, f.RoomID)
	wr, err := RunWS(ctx, *cfg.WS, f, progress)
	if err != nil {
		return err
	}
	rep.WebSocket = wr
	t := wr.TargetMet
	rep.TargetsMet = &t
	rep.Interrupted = ctx.Err() != nil
	if cfg.JSON {
		return WriteJSON(stdout, rep)
	}
	WriteWSTable(stdout, wr)
	return nil
}

// runScenarios creates the fixtures, preloads and runs every scenario,
// appending their lines to rep.
func runScenarios(ctx context.Context, cfg *config, client *http.Client, eng *Engine, ceilingRPS float64, rep *Report, progress func(string, ...any)) error {
	progress("setup: %s, %d examinees", cfg.URL, cfg.Examinees)
	f, err := Setup(ctx, client, cfg.URL, cfg.Admin, cfg.Password, cfg.Examinees)
	if err != nil {
		return err
	}
	rep.Examinees = len(f.Examinees)
	rep.Prefix = f.Prefix
	progress("setup: prefix %s, exam %s, room %s", f.Prefix, f.ExamID, f.RoomID)

	allMet := true
	for _, s := range cfg.Scenarios {
		if ctx.Err() != nil {
			break
		}
		if s.Name == "listCheatRecord" && cfg.Preload > 0 {
			progress("preload: %d cheat records", cfg.Preload)
			// A failed preload leaves a smaller table to page through; say
			// so and measure anyway rather than lose the results so far.
			if pr, err := Preload(ctx, client, cfg.URL, f, cfg.Preload, cfg.Conns); err != nil {
				progress("warning: %v", err)
				rep.Warnings = append(rep.Warnings, err.Error())
			} else {
				rep.Preload = &pr
			}
		}
		newWorker := s.Build(cfg.URL, f)
		if msg := Probe(ctx, client, newWorker); msg != "" {
			w := fmt.Sprintf("%s: the probe request failed: %s", s.Name, msg)
			progress("warning: %s", w)
			rep.Warnings = append(rep.Warnings, w)
		}
		progress("%s: %v warm-up + %v", s.Name, cfg.Warmup, cfg.Duration)
		res := eng.Run(ctx, newWorker)
		target := s.Target
		line := NewScenarioReport(s.Name, res, ceilingRPS, s.Records, &target)
		if cfg.PID != 0 {
			if rss, err := ReadRSS(cfg.PID); err == nil {
				line.RSSBytes = rss
			} else {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: server memory: %v", s.Name, err))
			}
		}
		allMet = allMet && *line.TargetMet
		rep.Results = append(rep.Results, line)
	}
	if ctx.Err() == nil {
		rep.TargetsMet = &allMet
	}
	return nil
}
