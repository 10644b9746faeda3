package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

// coreMustAudio creates a clip.
func coreMustAudio(tb testing.TB, db *DB, classify int, name string) *examhall.Audio {
	tb.Helper()
	a := &examhall.Audio{Classify: classify, Name: name, URL: "https://cdn.example/" + name, OSSURL: "oss://" + name}
	if err := db.CreateAudio(context.Background(), a); err != nil {
		tb.Fatalf("CreateAudio(%s): %v", name, err)
	}
	return a
}

func TestAudioCRUD(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		coreClock(db)
		a := coreMustAudio(t, db, 2, "Start")
		if len(a.ID) != 16 || a.CreatedAt.IsZero() {
			t.Errorf("created %+v", a)
		}
		got, err := db.FindAudioByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("FindAudioByID (-want +got):\n%s", diff)
		}
		_, err = db.FindAudioByID(ctx, "nope")
		coreWantErr(t, err, examhall.ENOTFOUND, `audio "nope" not found`)
		coreWantErr(t, db.CreateAudio(ctx, &examhall.Audio{Name: " "}), examhall.EINVALID, "audio name is required")
		coreWantErr(t, db.CreateAudio(ctx, &examhall.Audio{ID: a.ID, Name: "x"}), examhall.ECONFLICT, fmt.Sprintf("audio %q already exists", a.ID))

		up, err := db.UpdateAudio(ctx, a.ID, examhall.AudioUpdate{Name: corePtr("Begin"), Classify: corePtr(0)})
		if err != nil {
			t.Fatal(err)
		}
		want := *a
		want.Name, want.Classify = "Begin", 0
		if diff := cmp.Diff(&want, up); diff != "" {
			t.Errorf("UpdateAudio (-want +got):\n%s", diff)
		}
		up, err = db.UpdateAudio(ctx, a.ID, examhall.AudioUpdate{URL: corePtr("u2"), OSSURL: corePtr("o2")})
		if err != nil {
			t.Fatal(err)
		}
		want.URL, want.OSSURL = "u2", "o2"
		if diff := cmp.Diff(&want, up); diff != "" {
			t.Errorf("UpdateAudio (-want +got):\n%s", diff)
		}
		_, err = db.UpdateAudio(ctx, "nope", examhall.AudioUpdate{URL: corePtr("x")})
		coreWantErr(t, err, examhall.ENOTFOUND, `audio "nope" not found`)
		_, err = db.UpdateAudio(ctx, a.ID, examhall.AudioUpdate{Name: corePtr("")})
		coreWantErr(t, err, examhall.EINVALID, "audio name is required")

		if err := db.DeleteAudio(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		coreWantErr(t, db.DeleteAudio(ctx, a.ID), examhall.ENOTFOUND, fmt.Sprintf("audio %q not found", a.ID))
	})
}

func TestFindAudios(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		for _, c := range []struct {
			classify int
			name     string
		}{{1, "Warning"}, {0, "Start of exam"}, {1, "100% done"}, {0, "End of exam"}, {1, "Last_call"}, {1, "LastXcall"}, {2, `back\slash`}} {
			coreMustAudio(t, db, c.classify, c.name)
		}
		for _, tt := range []struct {
			name   string
			filter examhall.AudioFilter
			want   []string
			total  int
		}{
			{"all, by classify then name", examhall.AudioFilter{}, []string{"End of exam", "Start of exam", "100% done", "LastXcall", "Last_call", "Warning", `back\slash`}, 7},
			{"first page", examhall.AudioFilter{Limit: 3}, []string{"End of exam", "Start of exam", "100% done"}, 7},
			{"second page", examhall.AudioFilter{Offset: 3, Limit: 3}, []string{"LastXcall", "Last_call", "Warning"}, 7},
			{"past the end", examhall.AudioFilter{Offset: 7, Limit: 3}, nil, 7},
			{"substring, any case", examhall.AudioFilter{Name: "OF EXAM"}, []string{"End of exam", "Start of exam"}, 2},
			{"underscore is literal", examhall.AudioFilter{Name: "t_c"}, []string{"Last_call"}, 1},
			{"percent is literal", examhall.AudioFilter{Name: "0%"}, []string{"100% done"}, 1},
			{"backslash is literal", examhall.AudioFilter{Name: `k\s`}, []string{`back\slash`}, 1},
			{"classify", examhall.AudioFilter{Classify: corePtr(1), Limit: 2}, []string{"100% done", "LastXcall"}, 4},
			{"classify 0", examhall.AudioFilter{Classify: corePtr(0)}, []string{"End of exam", "Start of exam"}, 2},
			{"classify and name", examhall.AudioFilter{Classify: corePtr(1), Name: "call"}, []string{"LastXcall", "Last_call"}, 2},
			{"no match", examhall.AudioFilter{Name: "zzz"}, nil, 0},
		} {
			t.Run(tt.name, func(t *testing.T) {
				audios, total, err := db.FindAudios(ctx, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, a := range audios {
					got = append(got, a.Name)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" || total != tt.total {
					t.Errorf("names (-want +got):\n%s\ntotal = %d, want %d", diff, total, tt.total)
				}
			})
		}
	})
}

func TestBroadcastsAndPlaylist(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := coreMustExam(t, db)
		a, b, c := coreMustAudio(t, db, 0, "a"), coreMustAudio(t, db, 0, "b"), coreMustAudio(t, db, 0, "c")
		t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

		if err := db.SetBroadcasts(ctx, exam, []examhall.ScheduledAudio{
			{AudioID: a.ID, StartTime: t0.Add(time.Hour)},
			{AudioID: b.ID, StartTime: t0},
			{AudioID: a.ID, StartTime: t0.Add(30 * time.Minute)},
		}); err != nil {
			t.Fatal(err)
		}
		wantB := []*examhall.Broadcast{{Audio: *b, StartTime: t0}, {Audio: *a, StartTime: t0.Add(30 * time.Minute)}, {Audio: *a, StartTime: t0.Add(time.Hour)}}
		coreWantBroadcasts(t, db, exam, wantB)

		if err := db.SetPlaylist(ctx, exam, []string{c.ID, a.ID, c.ID}); err != nil {
			t.Fatal(err)
		}
		coreWantPlaylist(t, db, exam, []*examhall.Audio{c, a, c})

		// A clip in use stays.
		coreWantErr(t, db.DeleteAudio(ctx, b.ID), examhall.ECONFLICT, fmt.Sprintf("audio %q is used by exam %q", b.ID, exam))
		coreWantErr(t, db.DeleteAudio(ctx, c.ID), examhall.ECONFLICT, fmt.Sprintf("audio %q is used by exam %q", c.ID, exam))

		// Failures change nothing.
		coreWantErr(t, db.SetBroadcasts(ctx, exam, []examhall.ScheduledAudio{{AudioID: c.ID, StartTime: t0}, {AudioID: "a0", StartTime: t0}}),
			examhall.EINVALID, `audio "a0" not found`)
		coreWantErr(t, db.SetBroadcasts(ctx, exam, []examhall.ScheduledAudio{{AudioID: c.ID}}), examhall.EINVALID, "start time is required")
		coreWantErr(t, db.SetBroadcasts(ctx, "e0", nil), examhall.ENOTFOUND, `exam "e0" not found`)
		coreWantErr(t, db.SetPlaylist(ctx, exam, []string{b.ID, "a0"}), examhall.EINVALID, `audio "a0" not found`)
		coreWantErr(t, db.SetPlaylist(ctx, "e0", []string{b.ID}), examhall.ENOTFOUND, `exam "e0" not found`)
		coreWantBroadcasts(t, db, exam, wantB)
		coreWantPlaylist(t, db, exam, []*examhall.Audio{c, a, c})

		// Replacing, then clearing.
		if err := db.SetBroadcasts(ctx, exam, []examhall.ScheduledAudio{{AudioID: c.ID, StartTime: t0}}); err != nil {
			t.Fatal(err)
		}
		coreWantBroadcasts(t, db, exam, []*examhall.Broadcast{{Audio: *c, StartTime: t0}})
		if err := db.SetPlaylist(ctx, exam, []string{b.ID}); err != nil {
			t.Fatal(err)
		}
		coreWantPlaylist(t, db, exam, []*examhall.Audio{b})
		if err := db.SetBroadcasts(ctx, exam, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.SetPlaylist(ctx, exam, nil); err != nil {
			t.Fatal(err)
		}
		coreWantBroadcasts(t, db, exam, nil)
		coreWantPlaylist(t, db, exam, nil)
		if err := db.DeleteAudio(ctx, b.ID); err != nil {
			t.Errorf("DeleteAudio after clearing: %v", err)
		}
	})
}

func coreWantBroadcasts(tb testing.TB, db *DB, examID string, want []*examhall.Broadcast) {
	tb.Helper()
	got, err := db.FindBroadcasts(context.Background(), examID)
	if err != nil {
		tb.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		tb.Errorf("FindBroadcasts (-want +got):\n%s", diff)
	}
}

func coreWantPlaylist(tb testing.TB, db *DB, examID string, want []*examhall.Audio) {
	tb.Helper()
	got, err := db.FindPlaylist(context.Background(), examID)
	if err != nil {
		tb.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		tb.Errorf("FindPlaylist (-want +got):\n%s", diff)
	}
}

// TestConcurrentReplace replaces one exam's broadcasts and playlist from
// many goroutines at once: each replacement wins whole, none fails.
func TestConcurrentReplace(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := coreMustExam(t, db)
		a, b := coreMustAudio(t, db, 0, "a"), coreMustAudio(t, db, 0, "b")
		t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
		var wg sync.WaitGroup
		for g := range 10 {
			wg.Go(func() {
				ids := []string{a.ID, b.ID, a.ID}[:1+g%3]
				var items []examhall.ScheduledAudio
				for i, id := range ids {
					items = append(items, examhall.ScheduledAudio{AudioID: id, StartTime: t0.Add(time.Duration(i) * time.Minute)})
				}
				for range 5 {
					if err := db.SetBroadcasts(ctx, exam, items); err != nil {
						t.Error(err)
					}
					if err := db.SetPlaylist(ctx, exam, ids); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		bs, err := db.FindBroadcasts(ctx, exam)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := db.FindPlaylist(ctx, exam)
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) < 1 || len(bs) > 3 || len(ps) < 1 || len(ps) > 3 {
			t.Errorf("%d broadcasts and %d playlist entries; want one replacement's 1 to 3", len(bs), len(ps))
		}
	})
}

// TestConcurrentWrites has 50 goroutines insert cheat batches and toggle
// rooms' audio status at once: the writers queue, none fails.
func TestConcurrentWrites(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		exam := coreMustExam(t, db)
		rooms := []*examhall.Room{coreMustRoom(t, db, exam, "t"), coreMustRoom(t, db, exam, "t")}
		const goroutines, rounds = 50, 20
		var wg sync.WaitGroup
		errs := make(chan error, goroutines*rounds)
		for g := range goroutines {
			wg.Go(func() {
				r := rooms[g%len(rooms)]
				for i := range rounds {
					var err error
					if g%5 == 0 {
						_, err = db.UpdateRoom(ctx, r.ID, examhall.RoomUpdate{AudioStatus: corePtr(i % 2)})
					} else {
						err = db.CreateCheatRecords(ctx, coreCheatBatch(exam, r.ID, 10))
					}
					if err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		n := 0
		for err := range errs {
			if n++; n <= 3 {
				t.Error(err)
			}
		}
		if n > 0 {
			t.Fatalf("%d writes failed", n)
		}
		if got, want := coreCount(t, db, "cheat_records"), goroutines*4/5*rounds*10; got != want {
			t.Errorf("cheat_records = %d, want %d", got, want)
		}
	})
}
