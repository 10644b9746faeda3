// Command examhall is the examhall server and its administration commands.
//
//	examhall serve [--addr :7001] [--data ./data] [--db URL] [--demo]
//	examhall migrate
//	examhall demo
//	examhall user add --account A --name N --role R --password P [--dept PATH]
//	examhall app create --name N
//	examhall gen [--exams 1000 --users 100000 --attempts 1000000]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

const usage = `usage: examhall <command> [flags]

commands:
  serve     run the server (applies pending migrations first)
  migrate   apply pending migrations and exit
  demo      seed the demo and print join links and logins
  user add  create a user
  app create  create open-API credentials (prints appid and secret once)
  gen       generate a large synthetic data set (benchmarks)

Run 'examhall <command> -h' for a command's flags. Every flag has an
EXAMHALL_* environment fallback; see README.md.
`

// defaultGCPercent trades memory for CPU: the server's live heap is small
// (tens of MB), and collecting less often left more of the two cores to
// requests (docs/performance.md). GOGC in the environment still wins.
const defaultGCPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "examhall:", err)
		os.Exit(1)
	}
}

// run dispatches a command line; tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, args, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args, stdout, stderr)
	case "demo":
		return runDemo(ctx, args, stdout, stderr)
	case "user":
		if len(args) > 0 && args[0] == "add" {
			return runUserAdd(ctx, args[1:], stdout, stderr)
		}
	case "app":
		if len(args) > 0 && args[0] == "create" {
			return runAppCreate(ctx, args[1:], stdout, stderr)
		}
	case "gen":
		return runGen(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
