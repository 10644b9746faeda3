package examhall_test

import (
	"testing"

	"examhall"
)

func TestStreamNameRoundTrip(t *testing.T) {
	room := "f064a22d-9885-47ab-bce9-a058c74c0000"
	for _, tt := range []struct {
		name       string
		stream     string
		wantExam   string
		wantRoom   string
		wantUser   string
		wantFailed bool
	}{
		{"mobile", examhall.StreamName("e1", room, "u1", false), "e1", room, "u1", false},
		{"pc", examhall.StreamName("e1", room, "u1", true), "e1", room, "u1", false},
		{"transcoded", examhall.StreamName("e1", room, "u1", false) + "_240p", "e1", room, "u1", false},
		{"no dashes", "e1room", "", "", "", true},
		{"empty room", "e1--u1", "", "", "", true},
		{"empty user", "e1-r-", "", "", "", true},
		{"only suffix", "e1-r-_pc", "", "", "", true},
	} {
		e, r, u, err := examhall.ParseStreamName(tt.stream)
		if (err != nil) != tt.wantFailed {
			t.Errorf("%s: ParseStreamName(%q) err = %v", tt.name, tt.stream, err)
			continue
		}
		if !tt.wantFailed && (e != tt.wantExam || r != tt.wantRoom || u != tt.wantUser) {
			t.Errorf("%s: got %q %q %q", tt.name, e, r, u)
		}
	}
	if got := examhall.StreamName("e", "r", "u", true); got != "e-r-u_pc" {
		t.Errorf("StreamName pc = %q", got)
	}
}

func TestParseIMServers(t *testing.T) {
	got, err := examhall.ParseIMServers([]string{"aliyun_new", "rong_cloud", "aliyun_old"})
	if err != nil || len(got) != 3 {
		t.Fatalf("ParseIMServers = %v, %v", got, err)
	}
	if _, err := examhall.ParseIMServers([]string{"aliyun_new", "wechat"}); examhall.ErrorCode(err) != examhall.EINVALID {
		t.Errorf("unknown server: %v, want invalid", err)
	}
}

func TestJoinLink(t *testing.T) {
	got := examhall.JoinLink("http://localhost:8000", "r 1", "u1", "t.k+n", true)
	want := "http://localhost:8000?roomId=r+1&userId=u1&token=t.k%2Bn&role=0"
	if got != want {
		t.Errorf("JoinLink = %q, want %q", got, want)
	}
}
