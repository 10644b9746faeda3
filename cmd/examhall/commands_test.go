package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestCommands runs the command line as an operator would, on a SQLite
// data directory.
func TestCommands(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		wantOut string // substring of stdout
		wantErr string // substring of the error; "" for success
	}{
		{"no command", nil, "", "flag: help requested"},
		{"unknown command", []string{"bogus"}, "", `unknown command "bogus"`},
		{"migrate", []string{"migrate", "--data", data}, "migrations applied", ""},
		{"user add, missing flags", []string{"user", "add", "--data", data, "--account", "x"}, "", "missing --name, --password, --role"},
		{"user add, bad role", []string{"user", "add", "--data", data, "--account", "x", "--name", "X", "--role", "boss", "--password", "longenough"}, "", `--role "boss"`},
		{"user add, short password", []string{"user", "add", "--data", data, "--account", "x", "--name", "X", "--role", "admin", "--password", "short"}, "", "at least 8 characters"},
		{"user add", []string{"user", "add", "--data", data, "--account", "ops", "--name", "Ops", "--role", "admin", "--password", "longenough", "--dept", "Acme/IT"}, "created admin ops", ""},
		{"user add, taken", []string{"user", "add", "--data", data, "--account", "ops", "--name", "Ops", "--role", "admin", "--password", "longenough"}, "", `account "ops" is taken`},
		{"app create, no name", []string{"app", "create", "--data", data}, "", "missing --name"},
		{"app create", []string{"app", "create", "--data", data, "--name", "LMS"}, "secret=", ""},
		{"demo on a store with users", []string{"demo", "--data", data}, "", "only an empty store"},
		{"extra arguments", []string{"migrate", "--data", data, "now"}, "", "unexpected arguments: now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("run(%q) = %v\nstderr: %s", tt.args, err, stderr.String())
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("run(%q) error = %v, want it to contain %q", tt.args, err, tt.wantErr)
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("run(%q) stdout = %q, want it to contain %q", tt.args, stdout.String(), tt.wantOut)
			}
		})
	}
}

func TestDemoCommandPrintsLinks(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"demo", "--data", t.TempDir()}, &stdout, &stderr); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"account=admin password=", "appid=", "http://localhost:8000?roomId=", "&role=0", "http://localhost:8001?roomId="} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "http://localhost:8001?"); n < 5 {
		t.Errorf("demo printed %d examinee links, want at least 5", n)
	}
}
