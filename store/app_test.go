package store

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

func TestApps(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		coreClock(db)
		a1 := &examhall.App{Name: "HR", SecretHash: "h1"}
		a2 := &examhall.App{ID: "fixedid", Name: "LMS", SecretHash: "h2"}
		for _, a := range []*examhall.App{a1, a2} {
			if err := db.CreateApp(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		if len(a1.ID) != 16 || a1.CreatedAt.IsZero() || a2.ID != "fixedid" {
			t.Errorf("created %+v, %+v", a1, a2)
		}
		got, err := db.FindAppByID(ctx, a1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a1, got); diff != "" {
			t.Errorf("FindAppByID (-want +got):\n%s", diff)
		}
		_, err = db.FindAppByID(ctx, "nope")
		coreWantErr(t, err, examhall.ENOTFOUND, `app "nope" not found`)

		for _, tt := range []struct {
			name string
			app  examhall.App
			code string
			msg  string
		}{
			{"taken id", examhall.App{ID: "fixedid", Name: "X", SecretHash: "h"}, examhall.ECONFLICT, `app "fixedid" already exists`},
			{"no name", examhall.App{SecretHash: "h"}, examhall.EINVALID, "app name is required"},
			{"no secret", examhall.App{Name: "X"}, examhall.EINVALID, "app secret hash is required"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				coreWantErr(t, db.CreateApp(ctx, &tt.app), tt.code, tt.msg)
			})
		}

		if err := db.DisableApp(ctx, a1.ID); err != nil {
			t.Fatal(err)
		}
		coreWantErr(t, db.DisableApp(ctx, "nope"), examhall.ENOTFOUND, `app "nope" not found`)
		apps, err := db.FindApps(ctx)
		if err != nil {
			t.Fatal(err)
		}
		disabled := *a1
		disabled.Disabled = true
		if diff := cmp.Diff([]*examhall.App{a2, &disabled}, apps); diff != "" {
			t.Errorf("FindApps, newest first (-want +got):\n%s", diff)
		}
		if err := db.DisableApp(ctx, a1.ID); err != nil {
			t.Errorf("disabling twice: %v", err)
		}
	})
}
