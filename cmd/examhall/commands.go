package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"examhall"
	"examhall/auth"
	"examhall/demo"
	"examhall/store"
)

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("examhall "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses args, then the environment-only settings, and sets up logging.
func (m *Main) parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	m.Config.loadSecrets()
	if err := envError(); err != nil {
		return err
	}
	level, err := logLevel(m.Config.LogLevel)
	if err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	m.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return nil
}

// openWith parses a command's flags and opens the whole program; on failure
// it closes what it opened.
func (m *Main) openWith(ctx context.Context, fs *flag.FlagSet, args []string, stderr io.Writer) error {
	if err := m.parse(fs, args, stderr); err != nil {
		return err
	}
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	return nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := NewMain()
	fs := newFlagSet("serve", stderr)
	m.Config.serveFlags(fs)
	if err := m.openWith(ctx, fs, args, stderr); err != nil {
		return err
	}
	defer m.Close()
	if m.Config.Demo {
		if err := m.seedDemo(ctx, stdout, true); err != nil {
			return err
		}
	}
	return m.Run(ctx)
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := NewMain()
	fs := newFlagSet("migrate", stderr)
	m.Config.storeFlags(fs)
	if err := m.parse(fs, args, stderr); err != nil {
		return err
	}
	db, err := openStore(ctx, &m.Config)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := NewMain()
	fs := newFlagSet("demo", stderr)
	m.Config.serveFlags(fs)
	if err := m.openWith(ctx, fs, args, stderr); err != nil {
		return err
	}
	defer m.Close()
	return m.seedDemo(ctx, stdout, false)
}

// seedDemo seeds an empty store and prints the logins and join links. On a
// store that has users it seeds nothing: quietly when serving, as an error
// for the demo command.
func (m *Main) seedDemo(ctx context.Context, w io.Writer, quiet bool) error {
	empty, err := demo.Empty(ctx, m.DB)
	if err != nil {
		return err
	}
	if !empty {
		if quiet {
			m.Log.Info("store already has data; demo not seeded")
			return nil
		}
		return errors.New("the store already has users; the demo seeds only an empty store (use a new --data directory)")
	}
	start := time.Now()
	res, err := demo.Seed(ctx, demo.Deps{
		Users: m.DB, Depts: m.DB, Exams: m.DB, Attempts: m.DB, Rooms: m.DB, Audio: m.DB, Cheat: m.DB,
		Auth: m.Auth, Apps: m.Auth, HashPassword: auth.HashPassword,
		ExamineeClientURL: m.Config.ExamineeClientURL, InvigilatorClientURL: m.Config.InvigilatorClientURL,
		JoinMargin: m.Config.JoinMargin, Now: time.Now(),
	})
	if err != nil {
		return err
	}
	printDemo(w, res, m.Config.publicURL())
	m.Log.Info("demo seeded", "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

func printDemo(w io.Writer, res *demo.Result, publicURL string) {
	base := strings.TrimRight(publicURL, "/")
	fmt.Fprintf(w, "examhall demo seeded. Open %s/ in a browser and sign in with one of these logins\n", base)
	fmt.Fprintln(w, "(the same logins work for POST /exam/login and /api/v1/login):")
	for _, l := range res.Logins {
		fmt.Fprintf(w, "  %-11s account=%s password=%s\n", l.Role, l.Account, l.Password)
	}
	fmt.Fprintf(w, "A practice exam with every question type is open now for every candidate: %s/v5/exam/%s\n", base, res.PracticeExamID)
	fmt.Fprintf(w, "Open API (%s/api/v5/token.ashx): appid=%s secret=%s\n", base, res.AppID, res.AppSecret)
	fmt.Fprintf(w, "Join links for room %q (exam %s), one per person, each under its owner:\n", res.RoomName, res.ExamID)
	for _, l := range res.Links {
		fmt.Fprintf(w, "# %s %s\n%s\n", l.Role, l.Name, l.URL)
	}
}

func runUserAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := NewMain()
	fs := newFlagSet("user add", stderr)
	m.Config.storeFlags(fs)
	account := fs.String("account", "", "login name (required)")
	name := fs.String("name", "", "display name (required)")
	role := fs.String("role", "", "admin, invigilator or examinee (required)")
	password := fs.String("password", "", "password, 8 to 72 bytes (required)")
	dept := fs.String("dept", "", `department path such as "Root/Sub" (created when missing)`)
	if err := m.parse(fs, args, stderr); err != nil {
		return err
	}
	var missing []string
	for n, v := range map[string]string{"--account": *account, "--name": *name, "--role": *role, "--password": *password} {
		if v == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(slices.Sorted(slices.Values(missing)), ", "))
	}
	if r := examhall.Role(*role); !r.Valid() {
		return fmt.Errorf("--role %q: use admin, invigilator or examinee", *role)
	}
	hash, err := auth.HashPassword(*password)
	if err != nil {
		return errors.New(examhall.ErrorMessage(err))
	}
	db, err := openStore(ctx, &m.Config)
	if err != nil {
		return err
	}
	defer db.Close()
	u := &examhall.User{Account: *account, Name: *name, Role: examhall.Role(*role), PasswordHash: hash}
	if *dept != "" {
		d, err := db.EnsureDepartmentPath(ctx, *dept)
		if err != nil {
			return errors.New(examhall.ErrorMessage(err))
		}
		u.DeptID = d.ID
	}
	if err := db.CreateUser(ctx, u); err != nil {
		return errors.New(examhall.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "created %s %s (id %s)\n", u.Role, u.Account, u.ID)
	return nil
}

func runAppCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := NewMain()
	fs := newFlagSet("app create", stderr)
	m.Config.serveFlags(fs)
	name := fs.String("name", "", "what the credentials are for (required)")
	if err := m.parse(fs, args, stderr); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("missing --name")
	}
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	defer m.Close()
	app, secret, err := m.Auth.CreateApp(ctx, *name)
	if err != nil {
		return errors.New(examhall.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "appid=%s\nsecret=%s\n(the secret is shown only now; it is stored hashed)\n", app.ID, secret)
	return nil
}

func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := NewMain()
	fs := newFlagSet("gen", stderr)
	m.Config.storeFlags(fs)
	var opt store.GenOptions
	fs.IntVar(&opt.Exams, "exams", 1000, "exams")
	fs.IntVar(&opt.Candidates, "users", 100000, "candidates")
	fs.IntVar(&opt.BigExam, "big-exam", 100000, "attempts of the first exam")
	fs.StringVar(&opt.Prefix, "prefix", "gen", "prefix of generated accounts and names (use a new one per run)")
	fs.IntVar(&opt.Attempts, "attempts", 1000000, "published attempts")
	if err := m.parse(fs, args, stderr); err != nil {
		return err
	}
	db, err := openStore(ctx, &m.Config)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if err := db.Generate(ctx, opt); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "generated %d exams, %d candidates, %d attempts in %s\n", opt.Exams, opt.Candidates, opt.Attempts, time.Since(start).Round(time.Millisecond))
	return nil
}

// openStore opens and migrates the configured store.
func openStore(ctx context.Context, c *Config) (*store.DB, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, c.DSN())
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
